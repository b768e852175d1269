"""create_campaign's field rules (pure): every rule, the seed's own bodies included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any

import pytest
from pydantic import ValidationError

from engine.api.resources.campaigns import CreateCampaignRequest
from engine.domain.campaigns.definition import SurveyQuestion
from engine.domain.campaigns.fields import (
    CampaignFields,
    CampaignPlan,
    QuestionFields,
    check_placeholders,
    parse_retry_statuses,
    validate_campaign,
)
from engine.domain.errors import InvalidField
from engine.domain.speech import Prosody
from engine.domain.voices import VoiceCatalogue, espeak_voices

NOW = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
CATALOGUE = VoiceCatalogue(espeak_voices(["en-us", "en-gb", "fr-fr"]))
BASE = CampaignFields(
    list_id="LS608c393614", campaign_name="spring", campaign_type="0",
    campaign_caller_id="15168148111", campaign_start_date="2030-01-11 09:00:00",
    campaign_end_date="2030-01-12 20:00:00", calls_per_minute="10",
    announcement_text="Hello {field1}")


def plan(**changes: Any) -> CampaignPlan:
    return validate_campaign(replace(BASE, **changes), now=NOW, catalogue=CATALOGUE,
                             max_calls_per_minute=600)


def refused(**changes: Any) -> InvalidField:
    with pytest.raises(InvalidField) as caught:
        plan(**changes)
    return caught.value


# The seed's three bodies (line-wrap joins repaired where the seed's text is whole), with
# the ids chained and the dates moved to the future.
SEED_OPTION_1 = (
    '{"list_id":"LS608c393614","dnd_list_id":"DNd2b09f8f80","campaign_name":'
    '"test_broadcast_campaign_test_volume","campaign_type":"0","campaign_caller_id":'
    '"15168148111","dynamic_announcement":"1","recorded_filename":"","announcement_text":'
    '"Dear, {field1} , {field2}, Your due balance is,, {field3},,INR only",'
    '"campaign_start_date":"2030-09-25 14:05:00","campaign_end_date":"2030-09-26 20:00:00",'
    '"time_zone":"Asia/Kolkata","repeat":"2","max_retries":"1","retry_time":"60",'
    '"calls_per_minute":"10","voice":"Matthew","volume":"soft","rate":"slow",'
    '"pitch":"medium","language_code":"en-US","tts_engine_type":"standard"}')
SEED_OPTION_2 = (
    '{"list_id":"LS5ac4d9833c","dnd_list_id":"DN4746f26296","campaign_name":'
    '"test_broadcast_campaign_new1","campaign_type":"0","campaign_caller_id":"15168148111",'
    '"dynamic_announcement":"0","recorded_filename":"quality_training-8khz.wav",'
    '"announcement_text":"","campaign_start_date":"2030-07-17 09:00:00",'
    '"campaign_end_date":"2030-07-18 20:00:00","time_zone":"Asia/Kolkata","repeat":"3",'
    '"max_retries":"1","retry_time":"60","calls_per_minute":"10"}')
SEED_TYPE_1 = (
    '{"list_id":"LS18ac9f0cb0","dnd_list_id":"DNbc4f9d9b5f","campaign_name":'
    '"campaign_type_new_one_new1","campaign_type":"1","campaign_caller_id":"15168148111",'
    '"dynamic_announcement":"1","recorded_filename":"","announcement_text":"abc",'
    '"campaign_start_date":"2030-12-1810:00:00","campaign_end_date":"2030-12-18 20:00:00",'
    '"time_zone":"Asia/Kolkata","repeat":"1","max_retries":"1","retry_time":"60",'
    '"calls_per_minute":"10"}')
# The seed's curl line, whose wrap put a space inside a key.
SEED_CURL = SEED_OPTION_1.replace('"calls_per_minute"', '"calls_per_min ute"')


def seed(body: str) -> CampaignPlan:
    fields = CreateCampaignRequest.model_validate_json(body).fields()
    return validate_campaign(fields, now=NOW, catalogue=CATALOGUE, max_calls_per_minute=600)


def test_seed_option_1_dynamic_announcement() -> None:
    p = seed(SEED_OPTION_1)
    assert p.name == "test_broadcast_campaign_test_volume"
    assert (p.list_id, p.dnd_list_id) == ("LS608c393614", "DNd2b09f8f80")
    assert p.start_at == datetime(2030, 9, 25, 8, 35, tzinfo=UTC)  # IST is UTC+5:30
    assert p.end_at == datetime(2030, 9, 26, 14, 30, tzinfo=UTC)
    assert p.time_zone == "Asia/Kolkata"
    assert (p.calls_per_minute, p.max_retries, p.retry_seconds) == (10.0, 1, 60)
    assert p.retry_on == ("NOANSWER", "BUSY")
    d = p.definition
    assert (d.campaign_type, d.caller_id, d.repeat) == (0, "15168148111", 2)
    assert d.voice.gender == "male" and d.voice.language == "en-US"
    assert d.prosody == Prosody("soft", "slow", "medium")
    assert d.announcement_text.startswith("Dear, {field1}")


def test_seed_option_2_recorded_file() -> None:
    d = seed(SEED_OPTION_2).definition
    assert (d.recorded_filename, d.announcement_text, d.repeat) == (
        "quality_training-8khz.wav", "", 3)
    assert not d.dynamic_announcement and d.media_uri == ""


def test_seed_type_1_wrapped_date_names_the_field() -> None:
    with pytest.raises(InvalidField) as caught:
        seed(SEED_TYPE_1)
    assert caught.value.field == "campaign_start_date"
    assert caught.value.code == "invalid_date"
    repaired = seed(SEED_TYPE_1.replace("2030-12-1810:00:00", "2030-12-18 10:00:00"))
    assert repaired.definition.campaign_type == 1
    assert repaired.definition.announcement_text == "abc"


def test_seed_curl_key_with_a_space_is_an_unknown_field() -> None:
    with pytest.raises(ValidationError) as caught:
        CreateCampaignRequest.model_validate_json(SEED_CURL)
    assert [e["loc"] for e in caught.value.errors()] == [("calls_per_min ute",)]


def test_defaults() -> None:
    p = plan()
    assert p.time_zone == "UTC" and p.dnd_list_id is None
    assert (p.definition.repeat, p.max_retries, p.retry_seconds) == (1, 0, 60)
    assert (p.hours_start, p.hours_end) == (None, None)
    assert p.start_at == datetime(2030, 1, 11, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("changes", "field", "code"), [
    ({"campaign_name": "  "}, "campaign_name", "invalid_campaign_name"),
    ({"campaign_name": "x" * 129}, "campaign_name", "invalid_campaign_name"),
    ({"campaign_name": "a\nb"}, "campaign_name", "invalid_campaign_name"),
    ({"campaign_type": "2"}, "campaign_type", "invalid_campaign_type"),
    ({"campaign_caller_id": "12"}, "campaign_caller_id", "invalid_field"),
    ({"campaign_start_date": "2030-01-11"}, "campaign_start_date", "invalid_date"),
    ({"campaign_start_date": "2030-02-30 09:00:00"}, "campaign_start_date", "invalid_date"),
    ({"campaign_end_date": "2030-01-1220:00:00"}, "campaign_end_date", "invalid_date"),
    ({"campaign_end_date": "2030-01-11 09:00:00"}, "campaign_end_date",
     "campaign_end_before_start"),
    ({"campaign_start_date": "2029-01-01 00:00:00", "campaign_end_date":
      "2030-01-10 11:59:59"}, "campaign_end_date", "campaign_end_date_in_past"),
    ({"campaign_start_date": "2031-02-01 00:00:00", "campaign_end_date":
      "2031-02-02 00:00:00"}, "campaign_start_date", "campaign_start_date_too_far"),
    ({"time_zone": "Mars/Olympus"}, "time_zone", "unknown_time_zone"),
    ({"time_zone": "US/Eastern", "campaign_start_date": "2030-03-10 02:30:00"},
     "campaign_start_date", "date_nonexistent"),
    ({"repeat": "0"}, "repeat", "out_of_range"),
    ({"repeat": "11"}, "repeat", "out_of_range"),
    ({"repeat": "two"}, "repeat", "out_of_range"),
    ({"repeat": "2", "repeat_count": "3"}, "repeat_count", "conflicting_alias"),
    ({"max_retries": "11"}, "max_retries", "out_of_range"),
    ({"retry_attempts": "-1"}, "retry_attempts", "out_of_range"),
    ({"retry_time": "86401"}, "retry_time", "out_of_range"),
    ({"retry_on_statuses": "NOANSWER,RINGING"}, "retry_on_statuses", "unknown_retry_status"),
    ({"calls_per_minute": None}, "calls_per_minute", "calls_per_minute_required"),
    ({"calls_per_minute": "0"}, "calls_per_minute", "invalid_calls_per_minute"),
    ({"calls_per_minute": "601"}, "calls_per_minute", "invalid_calls_per_minute"),
    ({"calls_per_minute": "nan"}, "calls_per_minute", "invalid_calls_per_minute"),
    ({"calls_per_minute": "-5"}, "calls_per_minute", "invalid_calls_per_minute"),
    ({"volume": "deafening"}, "volume", "invalid_field"),
    ({"voice": "Nobody"}, "voice", "invalid_field"),
    ({"tts_engine_type": "neural"}, "tts_engine_type", "invalid_field"),
    ({"calling_hours_start": "09:00"}, "calling_hours_end", "invalid_calling_hours"),
    ({"calling_hours_end": "18:00"}, "calling_hours_start", "invalid_calling_hours"),
    ({"calling_hours_start": "9:00", "calling_hours_end": "18:00"}, "calling_hours_start",
     "invalid_calling_hours"),
    ({"calling_hours_start": "09:00", "calling_hours_end": "24:00"}, "calling_hours_end",
     "invalid_calling_hours"),
    ({"calling_hours_start": "09:00", "calling_hours_end": "09:00"}, "calling_hours_end",
     "invalid_calling_hours"),
    ({"dynamic_announcement": "2"}, "dynamic_announcement", "invalid_dynamic_announcement"),
    ({"recorded_filename": "a.wav"}, "recorded_filename", "conflicting_announcement"),
    ({"dynamic_announcement": "0"}, "announcement_text", "conflicting_announcement"),
    ({"dynamic_announcement": "0", "announcement_text": ""}, "recorded_filename",
     "recorded_filename_required"),
    ({"announcement_text": ""}, "announcement_text", "announcement_required"),
    ({"announcement_text": "x" * 3001}, "announcement_text", "text_too_long"),
    ({"survey_questions": (QuestionFields("q"),)}, "survey_questions", "survey_only"),
    ({"answer_url": "https://a.example/x"}, "answer_url", "survey_only"),
])
def test_each_rule_names_its_field(changes: dict[str, Any], field: str, code: str) -> None:
    error = refused(**changes)
    assert (error.field, error.code) == (field, code)


def test_aliases_and_retry_statuses() -> None:
    p = plan(repeat_count="4", retry_attempts="3", retry_on_statuses=" noanser , BUSY,busy,"
             "chanunavail,CONGESTION")
    assert (p.definition.repeat, p.max_retries) == (4, 3)
    assert p.retry_on == ("NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION")
    assert plan(repeat="4", repeat_count="4").definition.repeat == 4
    assert parse_retry_statuses("") == ("NOANSWER", "BUSY")


def test_fractional_rate_hours_and_zone() -> None:
    p = plan(calls_per_minute="0.5", calling_hours_start="22:00", calling_hours_end="06:30",
             time_zone="US/Eastern")
    assert p.calls_per_minute == 0.5
    assert (p.hours_start, p.hours_end) == (time(22, 0), time(6, 30))
    assert p.start_at == datetime(2030, 1, 11, 14, 0, tzinfo=UTC)


def test_start_in_the_past_is_fine() -> None:
    assert plan(campaign_start_date="2020-01-01 00:00:00").start_at.year == 2020


def test_recorded_file_is_chosen_without_dynamic_announcement() -> None:
    d = plan(announcement_text="", recorded_filename=" promo.wav ").definition
    assert d.recorded_filename == "promo.wav" and not d.dynamic_announcement


def test_survey_questions_with_defaults_and_limits() -> None:
    d = plan(campaign_type="1", announcement_text="", survey_questions=(
        QuestionFields("Press a key"),
        QuestionFields("Rate", num_digits="2", valid_digits="1 2 3 3", timeout="7.5"),
    )).definition
    assert d.questions == (SurveyQuestion("Press a key"),
                           SurveyQuestion("Rate", 2, "123", 7.5))


@pytest.mark.parametrize(("question", "field"), [
    (QuestionFields(""), "survey_questions.0.text"),
    (QuestionFields("q", num_digits="0"), "survey_questions.0.num_digits"),
    (QuestionFields("q", num_digits="21"), "survey_questions.0.num_digits"),
    (QuestionFields("q", valid_digits="12a"), "survey_questions.0.valid_digits"),
    (QuestionFields("q", timeout="0"), "survey_questions.0.timeout"),
    (QuestionFields("q", timeout="61"), "survey_questions.0.timeout"),
])
def test_bad_survey_question(question: QuestionFields, field: str) -> None:
    assert refused(campaign_type="1", survey_questions=(question,)).field == field


def test_survey_question_count() -> None:
    assert refused(campaign_type="1", survey_questions=()).field == "survey_questions"
    many = tuple(QuestionFields("q") for _ in range(21))
    assert refused(campaign_type="1", survey_questions=many).field == "survey_questions"


def test_answer_url_runs_the_whole_call() -> None:
    d = plan(campaign_type="1", announcement_text="", answer_url="https://ivr.example/a",
             answer_method="get").definition
    assert (d.answer_url, d.answer_method) == ("https://ivr.example/a", "GET")
    error = refused(campaign_type="1", answer_url="https://ivr.example/a")
    assert (error.field, error.code) == ("announcement_text", "conflicting_answer_url")
    for url in ("ftp://x/a", "https:///nohost", "https://a b/"):
        error = refused(campaign_type="1", announcement_text="", answer_url=url)
        assert (error.field, error.code) == ("answer_url", "invalid_answer_url")
    error = refused(campaign_type="1", announcement_text="", answer_url="https://a/",
                    answer_method="PUT")
    assert error.field == "answer_method"


def test_placeholders_must_be_fields_of_the_list() -> None:
    d = plan(announcement_text="Hi {contact_name}, {field1} owes {field3}").definition
    check_placeholders(d, frozenset({"field1", "field3"}))
    with pytest.raises(InvalidField) as caught:
        check_placeholders(d, frozenset({"field1"}))
    assert (caught.value.field, caught.value.code) == ("announcement_text",
                                                       "unknown_placeholder")
    assert "{field3}" in caught.value.message
    survey = plan(campaign_type="1", announcement_text="",
                  survey_questions=(QuestionFields("ok"), QuestionFields("{nope}?"))).definition
    with pytest.raises(InvalidField) as caught:
        check_placeholders(survey, frozenset())
    assert caught.value.field == "survey_questions.1.text"
