"""The create_campaign body, validated (pure): every rule of every field, in one place.

The API hands over the body's strings (``CampaignFields``); ``validate_campaign`` returns a
``CampaignPlan`` (the definition the calls run, and the columns the dialer reads), or raises
``InvalidField`` naming the field at fault with a stable code. What needs the database (the
lists exist and are the account's, the name is free, the placeholders are fields of the
list) or the file store (the recorded file) is checked by the service, after this.

Choices:
- Dates are ``YYYY-mm-dd hh:mm:ss`` wall times in ``time_zone``; anything else (the seed's
  wrapped ``"2023-12-1810:00:00"``) is a 422 naming the field, never a guess. A wall time
  in a DST gap is refused; one in a fold is its first occurrence (as scheduled callbacks).
- A start in the past is fine (the campaign starts at once); the end must be after the
  start and in the future; the start at most ``MAX_HORIZON`` ahead.
- ``repeat_count`` and ``retry_attempts`` (the seed's table) are aliases of ``repeat`` and
  ``max_retries``; sent both with different values is a 422 naming the alias.
- The announcement comes from one source: ``dynamic_announcement`` 1 speaks
  ``announcement_text``, 0 plays ``recorded_filename``; the other must be empty (a value
  that would be silently ignored is refused). Omitted, it follows whichever is given.
- Calling hours are ``HH:MM`` in the callee's local time, both or neither; an end before
  the start spans midnight (22:00-06:00).
- Type 1 only: ``survey_questions``, ``answer_url``. ``answer_url`` runs the whole call, so
  it excludes an announcement and questions.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.domain.callbacks import SCHEDULED_AT_FORMAT, parse_zone, to_utc
from engine.domain.campaigns.definition import (
    ANNOUNCEMENT,
    CONTACT_PLACEHOLDERS,
    SURVEY,
    CampaignDefinition,
    SurveyQuestion,
    placeholders,
)
from engine.domain.errors import InvalidField
from engine.domain.isales import WritebackSettings, validate_target
from engine.domain.numbers import normalize_number
from engine.domain.urls import is_absolute_http_url
from engine.domain.voices import VoiceCatalogue, validate_tts

MAX_NAME_CHARS = 128
MAX_TEXT_CHARS = 3000
MAX_REPEAT = 10
MAX_RETRIES = 10
MAX_RETRY_SECONDS = 86400
DEFAULT_RETRY_SECONDS = 60
MAX_QUESTIONS = 20
MAX_QUESTION_CHARS = 1000
MAX_QUESTION_DIGITS = 20
MAX_QUESTION_TIMEOUT = 60.0
MAX_HORIZON = timedelta(days=366)
RETRY_STATUSES = ("NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL")
DEFAULT_RETRY_ON = ("NOANSWER", "BUSY")
# The seed's own description spells it "NOANSER".
_STATUS_ALIASES = {"NOANSER": "NOANSWER"}
KEYS = "0123456789*#"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_HOUR = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_WHOLE = re.compile(r"[0-9]{1,9}")
_NUMBER = re.compile(r"[0-9]{1,9}(\.[0-9]{1,6})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class QuestionFields:
    """One survey question as sent (``None``: omitted)."""

    text: str | None = None
    num_digits: str | None = None
    valid_digits: str | None = None
    timeout: str | None = None


@dataclass(frozen=True)
class CampaignFields:
    """The create_campaign body as sent: the seed's strings (``None``: omitted)."""

    list_id: str
    campaign_name: str
    campaign_type: str
    campaign_caller_id: str
    campaign_start_date: str
    campaign_end_date: str
    calls_per_minute: str | None = None
    dnd_list_id: str = ""
    dynamic_announcement: str | None = None
    announcement_text: str = ""
    recorded_filename: str = ""
    time_zone: str | None = None
    repeat: str | None = None
    repeat_count: str | None = None
    max_retries: str | None = None
    retry_attempts: str | None = None
    retry_time: str | None = None
    retry_on_statuses: str | None = None
    voice: str | None = None
    volume: str | None = None
    rate: str | None = None
    pitch: str | None = None
    language_code: str | None = None
    tts_engine_type: str | None = None
    calling_hours_start: str | None = None
    calling_hours_end: str | None = None
    survey_questions: tuple[QuestionFields, ...] | None = None
    answer_url: str = ""
    answer_method: str | None = None
    # The iSales push (engine.domain.isales.validate_target), beyond the seed.
    isales_url: str | None = None
    isales_token: str | None = None
    isales_sub_cc_no: str | None = None
    isales_vdn_id: str | None = None
    isales_service_id: str | None = None


@dataclass(frozen=True)
class CampaignPlan:
    """A valid campaign, before the database and the file store have had their say.

    ``definition.media_uri`` is empty: the service publishes ``recorded_filename`` and
    fills it in. Instants are UTC."""

    name: str
    list_id: str
    dnd_list_id: str | None
    definition: CampaignDefinition
    start_at: datetime
    end_at: datetime
    time_zone: str
    calls_per_minute: float
    max_retries: int
    retry_seconds: int
    retry_on: tuple[str, ...]
    hours_start: time | None
    hours_end: time | None
    writeback: WritebackSettings = dataclasses.field(default_factory=WritebackSettings)


def validate_campaign(f: CampaignFields, *, now: datetime, catalogue: VoiceCatalogue,
                      max_calls_per_minute: float, default_region: str = "US") -> CampaignPlan:
    """The plan of the campaign ``f`` describes; raises ``InvalidField`` (see module doc)."""
    name = _name(f.campaign_name)
    campaign_type = _choice("campaign_type", f.campaign_type, (ANNOUNCEMENT, SURVEY))
    caller_id = normalize_number(f.campaign_caller_id, "campaign_caller_id", default_region)
    zone_name = (f.time_zone or "").strip() or "UTC"
    zone = parse_zone(zone_name)
    start_at = _instant("campaign_start_date", f.campaign_start_date, zone)
    end_at = _instant("campaign_end_date", f.campaign_end_date, zone)
    if end_at <= start_at:
        raise InvalidField("campaign_end_date", "campaign_end_date must be after "
                           "campaign_start_date", code="campaign_end_before_start")
    if end_at <= now:
        raise InvalidField("campaign_end_date", "campaign_end_date is in the past",
                           code="campaign_end_date_in_past")
    if start_at > now + MAX_HORIZON:
        raise InvalidField("campaign_start_date", f"campaign_start_date is more than "
                           f"{MAX_HORIZON.days} days ahead", code="campaign_start_date_too_far")
    voice, prosody = validate_tts(voice=f.voice, volume=f.volume, rate=f.rate, pitch=f.pitch,
                                  language_code=f.language_code,
                                  tts_engine_type=f.tts_engine_type, catalogue=catalogue)
    hours_start, hours_end = _hours(f.calling_hours_start, f.calling_hours_end)
    definition = CampaignDefinition(
        campaign_type=campaign_type, caller_id=caller_id,
        repeat=_aliased(("repeat", f.repeat), ("repeat_count", f.repeat_count), 1, MAX_REPEAT),
        voice=voice, prosody=prosody)
    return CampaignPlan(
        name=name, list_id=f.list_id.strip(), dnd_list_id=f.dnd_list_id.strip() or None,
        definition=_content(definition, f), start_at=start_at, end_at=end_at,
        time_zone=zone.key,
        calls_per_minute=_rate(f.calls_per_minute, max_calls_per_minute),
        max_retries=_aliased(("max_retries", f.max_retries),
                             ("retry_attempts", f.retry_attempts), 0, MAX_RETRIES),
        retry_seconds=_whole("retry_time", f.retry_time, DEFAULT_RETRY_SECONDS, 0,
                             MAX_RETRY_SECONDS),
        retry_on=parse_retry_statuses(f.retry_on_statuses),
        hours_start=hours_start, hours_end=hours_end,
        writeback=validate_target(f.isales_url, f.isales_token, f.isales_sub_cc_no,
                                  f.isales_vdn_id, f.isales_service_id),
    )


def check_placeholders(d: CampaignDefinition, known_fields: frozenset[str]) -> None:
    """Every placeholder of ``d`` names a field of the list's contacts, ``contact_name`` or
    ``contact_number``; else 422 ``unknown_placeholder`` naming the text that uses it."""
    known = known_fields | CONTACT_PLACEHOLDERS
    texts = [("announcement_text", d.announcement_text)]
    texts += [(f"survey_questions.{n}.text", q.text) for n, q in enumerate(d.questions)]
    for field, text in texts:
        unknown = sorted(placeholders(text) - known)
        if unknown:
            shown = ", ".join("{" + name + "}" for name in unknown)
            raise InvalidField(field, f"{field} uses {shown}, which no contact of the list "
                               f"has; known: {', '.join(sorted(known))}",
                               code="unknown_placeholder")


def parse_retry_statuses(value: str | None) -> tuple[str, ...]:
    """``"NOANSER, busy"`` -> ``("NOANSWER", "BUSY")``; omitted or blank: NOANSWER,BUSY."""
    if value is None or not value.strip():
        return DEFAULT_RETRY_ON
    found: list[str] = []
    for part in value.split(","):
        word = part.strip().upper()
        word = _STATUS_ALIASES.get(word, word)
        if word not in RETRY_STATUSES:
            raise InvalidField("retry_on_statuses", f"retry_on_statuses must be a comma "
                               f"list of {', '.join(RETRY_STATUSES)}, not {part.strip()[:32]!r}",
                               code="unknown_retry_status")
        if word not in found:
            found.append(word)
    return tuple(found)


def _content(d: CampaignDefinition, f: CampaignFields) -> CampaignDefinition:
    """The announcement, questions and answer_url of ``d``, after their rules."""
    text = _text("announcement_text", f.announcement_text, MAX_TEXT_CHARS)
    recorded = (f.recorded_filename or "").strip()
    dynamic = f.dynamic_announcement
    if dynamic is None or not dynamic.strip():
        dynamic = "0" if recorded and not text else "1"
    if _choice("dynamic_announcement", dynamic, (0, 1)) == 1:
        if recorded:
            raise InvalidField("recorded_filename", "recorded_filename must be empty when "
                               "dynamic_announcement is 1 (the text is spoken)",
                               code="conflicting_announcement")
    else:
        if text:
            raise InvalidField("announcement_text", "announcement_text must be empty when "
                               "dynamic_announcement is 0 (the recorded file is played)",
                               code="conflicting_announcement")
        if not recorded:
            raise InvalidField("recorded_filename", "recorded_filename is required when "
                               "dynamic_announcement is 0", code="recorded_filename_required")
        if len(recorded) > 200 or _CONTROL.search(recorded):
            raise InvalidField("recorded_filename", "recorded_filename is not a file name",
                               code="invalid_file_name")
    questions = _questions(f.survey_questions)
    url, method = _answer_url(f.answer_url), _method(f.answer_method)
    if d.campaign_type == ANNOUNCEMENT:
        for field, sent in (("survey_questions", f.survey_questions is not None),
                            ("answer_url", bool(url))):
            if sent:
                raise InvalidField(field, f"{field} is for campaign_type 1 only",
                                   code="survey_only")
    if url:
        for field, sent in (("announcement_text", bool(text)),
                            ("recorded_filename", bool(recorded)),
                            ("survey_questions", bool(questions))):
            if sent:
                raise InvalidField(field, f"{field} must be empty with answer_url (the "
                                   "application at answer_url runs the whole call)",
                                   code="conflicting_answer_url")
    elif not (text or recorded or questions):
        raise InvalidField("announcement_text", "announcement_text is required (or "
                           "recorded_filename with dynamic_announcement 0)",
                           code="announcement_required")
    return replace(d, announcement_text=text, recorded_filename=recorded, questions=questions,
                   answer_url=url, answer_method=method)


def _questions(sent: tuple[QuestionFields, ...] | None) -> tuple[SurveyQuestion, ...]:
    if sent is None:
        return ()
    if not 1 <= len(sent) <= MAX_QUESTIONS:
        raise InvalidField("survey_questions", f"survey_questions must hold 1 to "
                           f"{MAX_QUESTIONS} questions", code="invalid_survey_questions")
    questions = []
    for n, q in enumerate(sent):
        where = f"survey_questions.{n}"
        text = _text(f"{where}.text", q.text or "", MAX_QUESTION_CHARS)
        if not text:
            raise InvalidField(f"{where}.text", f"{where}.text is required",
                               code="invalid_survey_questions")
        keys = "".join((q.valid_digits or KEYS).split())
        if not keys or any(k not in KEYS for k in keys):
            raise InvalidField(f"{where}.valid_digits", f"{where}.valid_digits must be keys "
                               f"among {KEYS}", code="invalid_survey_questions")
        questions.append(SurveyQuestion(
            text=text,
            num_digits=_whole(f"{where}.num_digits", q.num_digits, 1, 1, MAX_QUESTION_DIGITS),
            valid_digits="".join(dict.fromkeys(keys)),
            timeout=_seconds(f"{where}.timeout", q.timeout, 5.0, MAX_QUESTION_TIMEOUT),
        ))
    return tuple(questions)


def _name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > MAX_NAME_CHARS or _CONTROL.search(name):
        raise InvalidField("campaign_name", f"campaign_name must be 1-{MAX_NAME_CHARS} "
                           "characters on one line", code="invalid_campaign_name")
    return name


def _text(field: str, value: str, most: int) -> str:
    text = value.strip()
    if len(text) > most:
        raise InvalidField(field, f"{field} is longer than {most} characters",
                           code="text_too_long")
    if "\x00" in text:
        raise InvalidField(field, f"{field} must not contain NUL characters")
    return text


def _choice(field: str, value: str, allowed: tuple[int, ...]) -> int:
    text = value.strip()
    if text not in [str(a) for a in allowed]:
        raise InvalidField(field, f"{field} must be one of "
                           f"{', '.join(repr(str(a)) for a in allowed)}",
                           code=f"invalid_{field}")
    return int(text)


def _whole(field: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        raise InvalidField(field, f"{field} must be a whole number from {low} to {high}",
                           code="out_of_range")
    return int(text)


def _aliased(main: tuple[str, str | None], alias: tuple[str, str | None], low: int,
             high: int) -> int:
    """A whole number sent as ``main`` or its ``alias`` (default: ``low``)."""
    (field, value), (alias_field, alias_value) = main, alias
    number = _whole(field, value, low, low, high)
    if alias_value is None or not alias_value.strip():
        return number
    other = _whole(alias_field, alias_value, low, low, high)
    if value is not None and value.strip() and other != number:
        raise InvalidField(alias_field, f"{alias_field} is another name of {field}; they "
                           "disagree", code="conflicting_alias")
    return other


def _seconds(field: str, value: str | None, default: float, most: float) -> float:
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not _NUMBER.fullmatch(text) or not 1 <= float(text) <= most:
        raise InvalidField(field, f"{field} must be seconds from 1 to {most:g}",
                           code="out_of_range")
    return float(text)


def _rate(value: str | None, most: float) -> float:
    if value is None or not value.strip():
        raise InvalidField("calls_per_minute", "calls_per_minute is required",
                           code="calls_per_minute_required")
    text = value.strip()
    rate = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not 0 < rate <= most:
        raise InvalidField("calls_per_minute", f"calls_per_minute must be a number above 0 "
                           f"and at most {most:g}", code="invalid_calls_per_minute")
    return rate


def _instant(field: str, value: str, zone: ZoneInfo) -> datetime:
    text = value.strip()
    wall = None
    if _DATE.fullmatch(text):
        try:
            wall = datetime.strptime(text, SCHEDULED_AT_FORMAT)
        except ValueError:
            wall = None
    if wall is None:
        raise InvalidField(field, f"{field} must be a real date and time in the format "
                           "YYYY-mm-dd hh:mm:ss", code="invalid_date")
    try:
        return to_utc(wall, zone)
    except InvalidField:
        raise InvalidField(field, f"{field} does not exist in the time zone (the clocks skip "
                           "it for daylight saving time)", code="date_nonexistent") from None


def _hours(start: str | None, end: str | None) -> tuple[time | None, time | None]:
    given = {"calling_hours_start": (start or "").strip(),
             "calling_hours_end": (end or "").strip()}
    if not any(given.values()):
        return None, None
    parsed: list[time] = []
    for field, text in given.items():
        match = _HOUR.fullmatch(text)
        if match is None:
            raise InvalidField(field, f"{field} must be HH:MM (24 h); calling_hours_start "
                               "and calling_hours_end go together",
                               code="invalid_calling_hours")
        parsed.append(time(int(match.group(1)), int(match.group(2))))
    if parsed[1] == parsed[0]:
        raise InvalidField("calling_hours_end", "calling_hours_end must differ from "
                           "calling_hours_start (an end before the start spans midnight)",
                           code="invalid_calling_hours")
    return parsed[0], parsed[1]


def _answer_url(value: str) -> str:
    url = (value or "").strip()
    if not url:
        return ""
    if not is_absolute_http_url(url):
        raise InvalidField("answer_url", "answer_url must be an absolute http or https URL",
                           code="invalid_answer_url")
    return url


def _method(value: str | None) -> str:
    method = (value or "").strip().upper() or "POST"
    if method not in ("GET", "POST"):
        raise InvalidField("answer_method", "answer_method must be GET or POST",
                           code="invalid_answer_method")
    return method
