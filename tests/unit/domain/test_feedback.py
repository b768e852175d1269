"""Call quality feedback validation and the report's period (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.domain.errors import InvalidField
from engine.domain.feedback import (
    ISSUES,
    ISSUES_MESSAGE,
    MAX_NOTES_CHARS,
    RATING_MESSAGE,
    Feedback,
    FeedbackSummary,
    parse_feedback,
    parse_report_range,
)


@pytest.mark.parametrize(("rating", "expected"), [
    ("3", 3.0), ("3.0", 3.0), (4.5, 4.5), ("4.5", 4.5), (1, 1.0), ("5", 5.0), (" 2 ", 2.0),
    ("1.25", 1.25), (5.0, 5.0),
])
def test_ratings_accepted(rating: object, expected: float) -> None:
    assert parse_feedback(rating, "ECHO").rating == expected


@pytest.mark.parametrize("rating", [
    None, "", "0", "0.99", "5.01", "6", 0, 10, -1, "abc", "3,5", "1e0", "NaN", "inf",
    float("nan"), float("inf"), True, False, [3], {"v": 3}, "+3", "3.",
])
def test_ratings_refused(rating: object) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_feedback(rating, "ECHO")
    assert caught.value.field == "rating"
    assert caught.value.message == RATING_MESSAGE


@pytest.mark.parametrize(("issues", "expected"), [
    ("ECHO", ("ECHO",)),
    ("ECHO,AUDIO_LAG", ("ECHO", "AUDIO_LAG")),
    (" echo , audio_lag ", ("ECHO", "AUDIO_LAG")),
    (["ROBOTIC_AUDIO", "OTHERS"], ("ROBOTIC_AUDIO", "OTHERS")),
    (["ECHO", "ECHO", "echo"], ("ECHO",)),
    (list(ISSUES), ISSUES),
])
def test_issues_accepted(issues: object, expected: tuple[str, ...]) -> None:
    assert parse_feedback("3", issues).issues == expected


@pytest.mark.parametrize("issues", [
    "NOISE", "ECHO,", "ECHO,,AUDIO_LAG", ["ECHO", 3], ["ECHO", None], 7, {"ECHO": 1},
    ["CALL_DROPPPED"], "x" * 2000,
])
def test_issues_refused(issues: object) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_feedback("3", issues)
    assert caught.value.field == "issues"
    assert caught.value.message == ISSUES_MESSAGE


@pytest.mark.parametrize("missing", [None, "", "  ", []])
def test_issues_required_below_five(missing: object) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_feedback("4.5", missing)
    assert caught.value.code == "issues_required"


def test_a_five_needs_no_issue_but_keeps_those_given() -> None:
    assert parse_feedback("5") == Feedback(5.0)
    assert parse_feedback(5, ["OTHERS"]).issues == ("OTHERS",)


def test_notes_bounded_and_clean() -> None:
    assert parse_feedback(5, notes="  It's intermittent\n").notes == "It's intermittent"
    assert parse_feedback(5, notes="x" * MAX_NOTES_CHARS).notes == "x" * MAX_NOTES_CHARS
    for bad in ("x" * (MAX_NOTES_CHARS + 1), "nul\x00byte", "bell\x07", 42, ["a"]):
        with pytest.raises(InvalidField) as caught:
            parse_feedback(5, notes=bad)
        assert caught.value.field == "notes"


def test_report_range() -> None:
    start, end = parse_report_range("2027-01-01", "2027-01-31")
    assert start == datetime(2027, 1, 1, tzinfo=UTC)
    assert end == datetime(2027, 2, 1, tzinfo=UTC)  # the whole last day
    assert parse_report_range(None, None) == (None, None)
    start, end = parse_report_range("2027-01-01 10:00", "2027-01-01T13:00:00+02:00")
    assert start == datetime(2027, 1, 1, 10, tzinfo=UTC)  # no offset: UTC
    assert end == datetime(2027, 1, 1, 11, tzinfo=UTC)
    for bad in (("2027-13-01", None), ("yesterday", None), ("2027-02-01", "2027-01-01"),
                (None, "2027-02-30"),
                ("2027-01-01 10:00", "2027-01-01T12:00:00+02:00")):
        with pytest.raises(InvalidField):
            parse_report_range(*bad)


def test_summary_lists_every_issue() -> None:
    view = FeedbackSummary(3, 3.6666, {"ECHO": 2}).view()
    assert view["feedback_count"] == 3
    assert view["mean_rating"] == 3.67
    issues = view["issues"]
    assert isinstance(issues, dict)
    assert list(issues) == list(ISSUES)
    assert issues["ECHO"] == 2 and issues["OTHERS"] == 0
    assert FeedbackSummary(0, None).view()["mean_rating"] is None
