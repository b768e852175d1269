"""The iSales write-back, pure parts: the midresult body, final statuses, the push body,
failCode from the hangup cause, and create_campaign's isales_* fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from engine.domain.errors import InvalidField
from engine.domain.isales import (
    BodyError,
    PushedAttempt,
    PushTarget,
    fail_code,
    is_final,
    isales_time,
    parse_midresult,
    push_body,
    push_status,
    validate_target,
)

SEED: dict[str, Any] = {
    "subCCNo": 1, "vdnId": 88, "uniqueId": "21713676089219765504",
    "serviceId": "1251250797", "status": "", "deviceType": 2, "phoneNumber": "88889156",
    "failCode": "", "asrResult": "", "fetchTime": "", "writeStartTime": "",
    "endCallTime": "", "callId": ""}


def test_the_seed_example_is_a_valid_body() -> None:
    result = parse_midresult(SEED)
    assert (result.sub_cc_no, result.vdn_id, result.unique_id, result.service_id) == (
        1, 88, "21713676089219765504", "1251250797")
    assert result.status == "" and not result.final
    assert result.fields["deviceType"] == 2


def test_only_the_required_fields_are_enough() -> None:
    result = parse_midresult({"subCCNo": 0, "vdnId": 1, "uniqueId": "u", "serviceId": "s"})
    assert result.status == "" and dict(result.fields) == {
        "subCCNo": 0, "vdnId": 1, "uniqueId": "u", "serviceId": "s"}


@pytest.mark.parametrize(("change", "field"), [
    ({"subCCNo": "1"}, "subCCNo"),  # a string where an integer is due
    ({"subCCNo": 1.0}, "subCCNo"),  # a float
    ({"vdnId": True}, "vdnId"),  # a boolean is no integer
    ({"vdnId": 2**31}, "vdnId"),  # beyond 32 bits
    ({"deviceType": "2"}, "deviceType"),
    ({"uniqueId": 217}, "uniqueId"),  # a number where a string is due
    ({"serviceId": ""}, "serviceId"),
    ({"uniqueId": "  "}, "uniqueId"),
    ({"status": ["0"]}, "status"),
    ({"status": "x" * 257}, "status"),
    ({"callId": "a\nb"}, "callId"),
    ({"uniqueId": "u" * 129}, "uniqueId"),
    ({"extra": "1"}, "extra"),  # not a field of the seed
])
def test_a_field_of_the_wrong_type_or_shape_is_named(change: dict[str, Any],
                                                     field: str) -> None:
    with pytest.raises(BodyError) as caught:
        parse_midresult({**SEED, **change})
    assert caught.value.field == field


@pytest.mark.parametrize("missing", ["subCCNo", "vdnId", "uniqueId", "serviceId"])
def test_a_required_field_is_required(missing: str) -> None:
    body = {k: v for k, v in SEED.items() if k != missing}
    with pytest.raises(BodyError) as caught:
        parse_midresult(body)
    assert caught.value.field == missing
    with pytest.raises(BodyError):
        parse_midresult({**SEED, missing: None})


def test_optional_fields_may_be_null() -> None:
    result = parse_midresult({**SEED, "status": None, "deviceType": None})
    assert "status" not in result.fields and "deviceType" not in result.fields


@pytest.mark.parametrize(("status", "final"), [
    ("0", True), ("success", True), (" SUCCESS ", True), ("answered", True),
    ("completed", True), ("refused", True), ("do_not_call", True), ("invalid_number", True),
    ("", False), ("busy", False), ("no_answer", False), ("failed", False), ("1", False),
])
def test_final_statuses(status: str, final: bool) -> None:
    assert is_final(status) is final
    assert parse_midresult({**SEED, "status": status}).final is final


@pytest.mark.parametrize(("dial_status", "status"), [
    ("ANSWER", "success"), ("BUSY", "busy"), ("NOANSWER", "no_answer"),
    ("CANCEL", "no_answer"), ("CONGESTION", "failed"), ("CHANUNAVAIL", "failed"),
    ("SOMETHING", "failed"),
])
def test_push_status_of_each_dial_status(dial_status: str, status: str) -> None:
    assert push_status(dial_status) == status


@pytest.mark.parametrize(("dial_status", "cause", "code"), [
    ("ANSWER", 16, ""), ("BUSY", 17, "17"), ("BUSY", None, "17"), ("NOANSWER", None, "19"),
    ("NOANSWER", 21, "21"), ("CONGESTION", None, "34"), ("CHANUNAVAIL", None, "20"),
    ("CHANUNAVAIL", 0, "20"), ("ODD", None, "41"), ("NOANSWER", 16, "19"),
])
def test_fail_code_is_the_hangup_cause(dial_status: str, cause: int | None,
                                       code: str) -> None:
    assert fail_code(dial_status, cause) == code


def test_times_are_utc_in_the_seed_style() -> None:
    moment = datetime(2026, 11, 23, 14, 5, 9, 500, tzinfo=timezone(timedelta(hours=2)))
    assert isales_time(moment) == "2026-11-23 12:05:09"
    assert isales_time(None) == ""


def test_the_push_body_has_the_seed_fields_and_types_and_parses_back() -> None:
    start = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    body = push_body(PushTarget(3, 88, "svc-1"), PushedAttempt(
        "0123456789", "ext-7", "15162011000", "BUSY", 17, start, start + timedelta(seconds=9)))
    assert body == {
        "subCCNo": 3, "vdnId": 88, "uniqueId": "ext-7", "serviceId": "svc-1",
        "status": "busy", "phoneNumber": "15162011000", "failCode": "17", "asrResult": "",
        "fetchTime": "2026-11-23 12:00:00", "writeStartTime": "2026-11-23 12:00:00",
        "endCallTime": "2026-11-23 12:00:09", "callId": "0123456789"}
    assert parse_midresult(body).unique_id == "ext-7"  # what the engine sends, it takes


def test_writeback_settings() -> None:
    w = validate_target(" https://isales.example.com/push ", "tok", None, "88", "svc.1")
    assert (w.url, w.token, w.sub_cc_no, w.vdn_id, w.service_id) == (
        "https://isales.example.com/push", "tok", 1, 88, "svc.1")
    none = validate_target(None, None, None, None, None)
    assert none.url is None and none.token is None and none.service_id is None


@pytest.mark.parametrize(("args", "field"), [
    (("https://x.example.com", None, None, None, None), "isales_token"),
    ((None, "tok", None, None, None), "isales_url"),
    (("ftp://x.example.com", "tok", None, None, None), "isales_url"),
    (("https://", "tok", None, None, None), "isales_url"),
    (("https://x.example.com/a b", "tok", None, None, None), "isales_url"),
    (("https://x.example.com", "to ken", None, None, None), "isales_token"),
    (("https://x.example.com", "t" * 513, None, None, None), "isales_token"),
    ((None, None, "-1", None, None), "isales_sub_cc_no"),
    ((None, None, None, "1.5", None), "isales_vdn_id"),
    ((None, None, None, "99999999999", None), "isales_vdn_id"),
    ((None, None, None, None, "a b"), "isales_service_id"),
])
def test_bad_writeback_settings_name_the_field(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        validate_target(*args)
    assert caught.value.field == field
