"""The create_campaign body, validated (pure): every rule of every field, in one place (the
parsers of single values are in ``values``).

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
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from engine.domain.callbacks import parse_zone
from engine.domain.campaigns.definition import (
    ANNOUNCEMENT,
    CONTACT_PLACEHOLDERS,
    SURVEY,
    CampaignDefinition,
    SurveyQuestion,
    placeholders,
)
from engine.domain.campaigns.values import (
    CONTROL_CHARS,
    parse_aliased,
    parse_answer_url,
    parse_choice,
    parse_hours,
    parse_instant,
    parse_method,
    parse_name,
    parse_rate,
    parse_seconds,
    parse_text,
    parse_whole,
)
from engine.domain.errors import InvalidField
from engine.domain.isales import WritebackSettings, validate_target
from engine.domain.numbers import normalize_number
from engine.domain.voices import VoiceCatalogue, validate_tts

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
    name = parse_name(f.campaign_name)
    campaign_type = parse_choice("campaign_type", f.campaign_type, (ANNOUNCEMENT, SURVEY))
    caller_id = normalize_number(f.campaign_caller_id, "campaign_caller_id", default_region)
    zone_name = (f.time_zone or "").strip() or "UTC"
    zone = parse_zone(zone_name)
    start_at = parse_instant("campaign_start_date", f.campaign_start_date, zone)
    end_at = parse_instant("campaign_end_date", f.campaign_end_date, zone)
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
    hours_start, hours_end = parse_hours(f.calling_hours_start, f.calling_hours_end)
    definition = CampaignDefinition(
        campaign_type=campaign_type, caller_id=caller_id,
        repeat=parse_aliased(("repeat", f.repeat), ("repeat_count", f.repeat_count), 1, MAX_REPEAT),
        voice=voice, prosody=prosody)
    return CampaignPlan(
        name=name, list_id=f.list_id.strip(), dnd_list_id=f.dnd_list_id.strip() or None,
        definition=_content(definition, f), start_at=start_at, end_at=end_at,
        time_zone=zone.key,
        calls_per_minute=parse_rate(f.calls_per_minute, max_calls_per_minute),
        max_retries=parse_aliased(("max_retries", f.max_retries),
                             ("retry_attempts", f.retry_attempts), 0, MAX_RETRIES),
        retry_seconds=parse_whole("retry_time", f.retry_time, DEFAULT_RETRY_SECONDS, 0,
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
    text = parse_text("announcement_text", f.announcement_text, MAX_TEXT_CHARS)
    recorded = (f.recorded_filename or "").strip()
    dynamic = f.dynamic_announcement
    if dynamic is None or not dynamic.strip():
        dynamic = "0" if recorded and not text else "1"
    if parse_choice("dynamic_announcement", dynamic, (0, 1)) == 1:
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
        if len(recorded) > 200 or CONTROL_CHARS.search(recorded):
            raise InvalidField("recorded_filename", "recorded_filename is not a file name",
                               code="invalid_file_name")
    questions = _questions(f.survey_questions)
    url, method = parse_answer_url(f.answer_url), parse_method(f.answer_method)
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
        text = parse_text(f"{where}.text", q.text or "", MAX_QUESTION_CHARS)
        if not text:
            raise InvalidField(f"{where}.text", f"{where}.text is required",
                               code="invalid_survey_questions")
        keys = "".join((q.valid_digits or KEYS).split())
        if not keys or any(k not in KEYS for k in keys):
            raise InvalidField(f"{where}.valid_digits", f"{where}.valid_digits must be keys "
                               f"among {KEYS}", code="invalid_survey_questions")
        questions.append(SurveyQuestion(
            text=text,
            num_digits=parse_whole(f"{where}.num_digits", q.num_digits, 1, 1, MAX_QUESTION_DIGITS),
            valid_digits="".join(dict.fromkeys(keys)),
            timeout=parse_seconds(f"{where}.timeout", q.timeout, 5.0, MAX_QUESTION_TIMEOUT),
        ))
    return tuple(questions)
