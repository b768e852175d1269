"""answer_url documents (Plivo XML) into call programs (pure).

``parse_document(body, context)`` reads a ``<Response>`` document safely (``xml_safe``) and
builds the verbs of ``engine.domain.programs.verbs`` that the one interpreter runs. It
accepts only what the engine honours end to end: an unknown element, an element where
Plivo does not allow it, an unknown attribute, an attribute Plivo documents that this
engine does not honour, or a value outside Plivo's allowed values is a ``DocumentError``
whose message names the element and the attribute (it reaches the call's log and webhooks).

Defaults are Plivo's, with these deviations (documented in the README):
- ``<Record fileFormat>``: recordings are WAV; omitted means WAV, ``mp3`` is refused;
- ``<Record finishOnKey>`` and ``<GetDigits finishOnKey>`` take any set of keys, ``none`` or
  "" for none;
- ``<Speak language>`` omitted with a Polly voice is that voice's language (else en-US);
- ``loop`` 0 (Speak, Play) repeats until hangup, at most 1000 times; ``loop`` is 0-1000;
- ``<Dial timeout>`` omitted rings 30 s (Plivo: until the carrier gives up);
- ``<Conference enterSound/exitSound>`` ``beep:1``/``beep:2``: one beep setting for the
  member's entry and exit alike (a sound URL is refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from engine.domain.errors import InvalidField
from engine.domain.numbers import Extension, External, Party, normalize_number
from engine.domain.plivo.xml_attrs import Attributes, check_url, element_text, no_text
from engine.domain.plivo.xml_safe import DocumentError, load
from engine.domain.programs.verbs import (
    Conference,
    Dial,
    GetDigits,
    Hangup,
    Play,
    PreAnswer,
    Program,
    Prompt,
    Record,
    Redirect,
    SendDigits,
    Speak,
    Verb,
    Wait,
)
from engine.domain.speech import SpeechPart, Utterance
from engine.domain.voices import VoiceCatalogue, validate_tts

__all__ = ["DocumentContext", "DocumentError", "parse_document"]

MAX_LOOP = 1000  # the interpreter's FOREVER_CAP: loop 0 plays at most this many times
MAX_SPEAK_CHARS = 3000
MAX_SECONDS = 86400
MAX_DIAL_TARGETS = 10
KEYS = "1234567890*#"
_DTMF = re.compile(r"[0-9*#wW]{1,100}")
_SIP_USER = re.compile(r"sips?:([A-Za-z0-9_.+-]{1,64})(@[^\s<>\"]*)?", re.IGNORECASE)
_CONFERENCE = re.compile(r"[A-Za-z0-9 _.-]{1,64}")
_CALLER_NAME = re.compile(r"[^\x00-\x1f\x7f<>\"\\]{0,50}")


@dataclass(frozen=True)
class DocumentContext:
    """What a document may refer to: the voices present, the agent extensions a
    ``<User>sip:101@host</User>`` may reach, and the region national numbers belong to."""

    catalogue: VoiceCatalogue
    extensions: frozenset[str]
    region: str


def parse_document(body: bytes, context: DocumentContext) -> Program:
    """The program of an answer_url (or action, or Redirect) document; ``DocumentError``
    when it cannot run, naming the element and attribute at fault."""
    root = load(body)
    if root.tag != "Response":
        raise DocumentError(f"the document's root element must be <Response>, not <{root.tag}>")
    Attributes(root).finish()
    return _children(root, _TOP, context)


Builder = Callable[[Element, DocumentContext], Verb]


def _children(parent: Element, allowed: dict[str, Builder],
              context: DocumentContext) -> tuple[Verb, ...]:
    no_text(parent)
    verbs: list[Verb] = []
    for child in parent:
        build = allowed.get(str(child.tag))
        if build is None:
            where = "the document" if parent.tag == "Response" else f"<{parent.tag}>"
            known = child.tag in _KNOWN
            raise DocumentError(
                f"<{child.tag}> is not allowed in {where}" if known else
                f"<{child.tag}> is not an element this engine supports (in {where})")
        verbs.append(build(child, context))
    return tuple(verbs)


# ---- media --------------------------------------------------------------------------------


def _speak(element: Element, context: DocumentContext) -> Speak:
    attrs = Attributes(element)
    voice = attrs.text("voice", "WOMAN", max_length=64)
    # Omitted: a Polly voice speaks its own language, WOMAN and MAN speak en-US (Plivo's).
    language = attrs.text("language", "", max_length=32).strip() or None
    loop = attrs.integer("loop", 1, 0, MAX_LOOP)
    attrs.finish()
    text = element_text(element, max_length=MAX_SPEAK_CHARS)
    if not text:
        raise DocumentError("<Speak> has no text to say")
    try:
        chosen, prosody = validate_tts(voice=voice, language_code=language,
                                       catalogue=context.catalogue)
    except InvalidField as exc:
        name = "language" if exc.field == "language_code" else "voice"
        raise attrs.error(name, f"cannot be spoken: {exc}") from None
    return Speak(Utterance((SpeechPart(text),), chosen, prosody), loop)


def _play(element: Element, context: DocumentContext) -> Play:
    attrs = Attributes(element)
    loop = attrs.integer("loop", 1, 0, MAX_LOOP)
    attrs.finish()
    url = check_url("<Play> text", element_text(element, max_length=2048))
    return Play((url,), loop)


def _wait(element: Element, context: DocumentContext) -> Wait:
    attrs = Attributes(element)
    length = attrs.integer("length", 1, 1, MAX_SECONDS)
    attrs.default_only("silence", "false")
    attrs.integer("minSilence", 2000, 1, MAX_SECONDS * 1000)  # Plivo ignores it without silence
    attrs.default_only("beep", "false")
    attrs.finish()
    element_text(element, max_length=0)
    return Wait(float(length))


def _dtmf(element: Element, context: DocumentContext) -> SendDigits:
    attrs = Attributes(element)
    asynchronous = attrs.boolean("async", True)
    attrs.finish()
    digits = element_text(element, max_length=100)
    if not _DTMF.fullmatch(digits):
        raise DocumentError(f"<DTMF> text must be 1-100 of 0-9, *, #, w and W, not {digits!r}")
    return SendDigits(digits, asynchronous=asynchronous)


def _keys(attrs: Attributes, name: str, default: str) -> str:
    """A set of keys (finishOnKey): ``none`` or "" is none."""
    value = attrs.text(name, default, max_length=12).strip()
    if value.lower() == "none":
        return ""
    if any(key not in KEYS for key in value):
        raise attrs.error(name, f"must be keys among {KEYS}, or none, not {value!r}")
    return value


# ---- input and recording --------------------------------------------------------------------


def _get_digits(element: Element, context: DocumentContext) -> GetDigits:
    attrs = Attributes(element)
    action = attrs.url("action") or None
    method = attrs.method()
    timeout = attrs.integer("timeout", 5, 1, 3600)
    digit_timeout = attrs.integer("digitTimeout", 2, 1, 3600)
    finish_on_key = _keys(attrs, "finishOnKey", "#")
    num_digits = attrs.integer("numDigits", 99, 1, 99)
    retries = attrs.integer("retries", 1, 1, 100)
    redirect = attrs.boolean("redirect", True)
    play_beep = attrs.boolean("playBeep", False)
    valid_digits = attrs.text("validDigits", KEYS, max_length=12)
    if not valid_digits or any(key not in KEYS for key in valid_digits):
        raise attrs.error("validDigits", f"must be keys among {KEYS}, not {valid_digits!r}")
    invalid_sound = attrs.url("invalidDigitsSound")
    attrs.default_only("log", "true")
    attrs.default_only("inputType", "dtmf")
    attrs.finish()
    prompts: tuple[Prompt, ...] = tuple(
        verb for verb in _children(element, _PROMPTS, context)
        if isinstance(verb, Speak | Play | Wait))
    return GetDigits(num_digits=num_digits, timeout=float(timeout), finish_on_key=finish_on_key,
                     retries=retries, prompts=prompts, valid_digits=valid_digits,
                     invalid_digits_media=(invalid_sound,) if invalid_sound else (),
                     action=action, method=method, digit_timeout=float(digit_timeout),
                     play_beep=play_beep, redirect=redirect)


def _record(element: Element, context: DocumentContext) -> Record:
    attrs = Attributes(element)
    attrs.unsupported("transcriptionType", "transcriptionUrl", "transcriptionMethod",
                      "transcriptionReportType", "recordChannelType")
    action = attrs.url("action") or None
    method = attrs.method()
    attrs.choice("fileFormat", "wav", ("wav",))
    redirect = attrs.boolean("redirect", True)
    timeout = attrs.integer("timeout", 15, 1, 3600)
    max_length = attrs.integer("maxLength", 60, 1, 14400)
    beep = attrs.boolean("playBeep", True)
    finish_on_key = _keys(attrs, "finishOnKey", "#")
    attrs.default_only("recordSession", "false")
    attrs.default_only("startOnDialAnswer", "false")
    callback_url = attrs.url("callbackUrl")
    callback_method = attrs.method("callbackMethod")
    attrs.finish()
    element_text(element, max_length=0)
    return Record(max_length=max_length, timeout=timeout, finish_on_key=finish_on_key,
                  beep=beep, action=action, method=method, redirect=redirect,
                  callback_url=callback_url, callback_method=callback_method)


# ---- calls and control ------------------------------------------------------------------------


def _dial(element: Element, context: DocumentContext) -> Dial:
    attrs = Attributes(element)
    attrs.unsupported("confirmSound", "confirmKey", "confirmTimeout", "dialMusic",
                      "callbackUrl", "callbackMethod", "digitsMatch", "digitsMatchBLeg",
                      "sipHeaders")
    action = attrs.url("action") or None
    method = attrs.method()
    timeout = attrs.integer("timeout", 30, 1, 3600)
    time_limit = attrs.integer("timeLimit", 14400, 1, MAX_SECONDS)
    caller_id = attrs.text("callerId", "", max_length=32).strip()
    if caller_id:
        try:
            caller_id = normalize_number(caller_id, "callerId", context.region)
        except InvalidField as exc:
            raise attrs.error("callerId", f"is not a valid phone number: {exc}") from None
    caller_name = attrs.text("callerName", "", max_length=50).strip()
    if not _CALLER_NAME.fullmatch(caller_name):
        raise attrs.error("callerName", "may not contain control characters, <, >, \" or \\")
    attrs.default_only("hangupOnStar", "false")
    redirect = attrs.boolean("redirect", True)
    attrs.finish()
    no_text(element)
    targets = tuple(_target(child, context) for child in element)
    if not targets:
        raise DocumentError("<Dial> needs at least one <Number> or <User>")
    if len(targets) > MAX_DIAL_TARGETS:
        raise DocumentError(f"<Dial> may dial at most {MAX_DIAL_TARGETS} targets at once")
    return Dial(targets, caller_id, timeout=timeout, time_limit=time_limit, action=action,
                method=method, redirect=redirect, caller_name=caller_name)


def _target(element: Element, context: DocumentContext) -> Party:
    tag = str(element.tag)
    if tag not in ("Number", "User"):
        raise DocumentError(f"<{tag}> is not allowed in <Dial> (only <Number> and <User>)")
    attrs = Attributes(element)
    attrs.unsupported("sendDigits", "sendOnPreanswer", "sendDigitsMode", "sipHeaders")
    attrs.finish()
    text = element_text(element, max_length=256)
    if tag == "Number":
        try:
            return External(normalize_number(text, "Number", context.region))
        except InvalidField:
            raise DocumentError(f"<Number> {text!r} is not a valid phone number") from None
    match = _SIP_USER.fullmatch(text)
    if match is None or match.group(1) not in context.extensions:
        raise DocumentError(f"<User> {text!r} is not an agent extension of this engine "
                            "(sip:EXTENSION@host)")
    return Extension(match.group(1))


def _conference(element: Element, context: DocumentContext) -> Conference:
    attrs = Attributes(element)
    attrs.unsupported("timeLimit", "recordFileFormat", "digitsMatch", "relayDTMF",
                      "sendDigits", "transcriptionType", "transcriptionUrl",
                      "transcriptionMethod")
    muted = attrs.boolean("muted", False)
    sounds = ("", "beep:1", "beep:2")
    enter = attrs.choice("enterSound", "", sounds)
    leave = attrs.choice("exitSound", "", sounds)
    start_on_enter = attrs.boolean("startConferenceOnEnter", True)
    end_on_exit = attrs.boolean("endConferenceOnExit", False)
    attrs.default_only("stayAlone", "true")
    wait_sound = attrs.url("waitSound")
    max_members = attrs.integer("maxMembers", 20, 1, 20)
    attrs.default_only("hangupOnStar", "false")
    attrs.default_only("record", "false")
    attrs.default_only("recordWhenAlone", "false")
    attrs.default_only("floorEvent", "false")
    action = attrs.url("action") or None
    method = attrs.method()
    callback_url = attrs.url("callbackUrl")
    callback_method = attrs.method("callbackMethod")
    redirect = attrs.boolean("redirect", True)
    attrs.finish()
    name = element_text(element, max_length=64)
    if not _CONFERENCE.fullmatch(name):
        raise DocumentError(f"<Conference> name must be 1-64 letters, digits, spaces, '_', "
                            f"'.' or '-', not {name!r}")
    return Conference(name, muted=muted, start_on_enter=start_on_enter,
                      end_on_exit=end_on_exit, max_members=max_members, action=action,
                      method=method, wait_sound=wait_sound, beep=bool(enter or leave),
                      callback_url=callback_url, callback_method=callback_method,
                      redirect=redirect)


def _hangup(element: Element, context: DocumentContext) -> Hangup:
    attrs = Attributes(element)
    reason = attrs.choice("reason", "", ("rejected", "busy"))
    schedule = attrs.integer("schedule", 0, 0, MAX_SECONDS)
    attrs.finish()
    element_text(element, max_length=0)
    return Hangup(reason, float(schedule))


def _redirect(element: Element, context: DocumentContext) -> Redirect:
    attrs = Attributes(element)
    method = attrs.method()
    attrs.finish()
    url = check_url("<Redirect> text", element_text(element, max_length=2048))
    return Redirect(url, method)


def _pre_answer(element: Element, context: DocumentContext) -> PreAnswer:
    Attributes(element).finish()
    return PreAnswer(_children(element, _EARLY, context))


_PROMPTS: dict[str, Builder] = {"Speak": _speak, "Play": _play, "Wait": _wait}
_EARLY: dict[str, Builder] = {**_PROMPTS, "GetDigits": _get_digits, "Redirect": _redirect,
                              "DTMF": _dtmf}
_TOP: dict[str, Builder] = {
    **_EARLY, "Dial": _dial, "Record": _record, "Hangup": _hangup, "PreAnswer": _pre_answer,
    "Conference": _conference,
}
_KNOWN = frozenset((*_TOP, "Number", "User"))
