"""The verbs of a call program (pure data), after Plivo's XML verb set.

Every product produces these: OTP and campaigns build them in code, the Plivo-compatible API
parses answer_url XML into them. Attribute names follow Plivo's where they exist; values are
already validated (a verb never holds a number that did not pass ``engine.domain.numbers``).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.numbers import Party
from engine.domain.speech import Utterance


@dataclass(frozen=True)
class Speak:
    utterance: Utterance
    loop: int = 1


@dataclass(frozen=True)
class Play:
    """``media`` are URIs the PBX plays (``sound:…``, ``recording:…``) or http(s) URLs
    (Plivo's ``<Play>``): a URL is first downloaded (``FetchMedia``), then played."""

    media: tuple[str, ...]
    loop: int = 1


@dataclass(frozen=True)
class Wait:
    seconds: float


Prompt = Speak | Play | Wait


@dataclass(frozen=True)
class GetDigits:
    """Play ``prompts`` (a key press interrupts them), then collect up to ``num_digits``.

    Input ends at ``finish_on_key``, at ``num_digits``, ``timeout`` seconds after the
    prompts without a key, or ``digit_timeout`` seconds after the last key (None: the same
    as ``timeout``). ``play_beep`` beeps once the prompts are over. No valid input replays
    the prompts, ``retries`` times in all. With ``action`` the digits are posted there and
    its answer is the next program (``redirect=False``: the action URL is only notified and
    the program goes on); without it the program goes on with the next verb.
    """

    num_digits: int = 99
    timeout: float = 5.0
    finish_on_key: str = "#"
    retries: int = 1
    prompts: tuple[Prompt, ...] = ()
    valid_digits: str = "1234567890*#"
    invalid_digits_media: tuple[str, ...] = ()
    action: str | None = None
    method: str = "POST"
    digit_timeout: float | None = None
    play_beep: bool = False
    redirect: bool = True


@dataclass(frozen=True)
class Record:
    """Record the leg. The results (``RecordUrl``, ``RecordingDuration``, …) go to
    ``action`` (``redirect=False``: notified only, the program goes on) and, as a
    notification, to ``callback_url``."""

    max_length: int = 60
    timeout: int = 15  # seconds of silence that end the recording
    finish_on_key: str = "1234567890*#"
    beep: bool = True
    action: str | None = None
    method: str = "POST"
    redirect: bool = True
    callback_url: str = ""
    callback_method: str = "POST"


@dataclass(frozen=True)
class Dial:
    """Call ``targets`` (the first to answer wins) and bridge it with this leg.
    ``caller_id`` "" (and ``caller_name`` "") are the call's own."""

    targets: tuple[Party, ...]
    caller_id: str
    timeout: int = 30
    time_limit: int = 14400
    action: str | None = None
    method: str = "POST"
    redirect: bool = True
    caller_name: str = ""


@dataclass(frozen=True)
class SendDigits:
    """DTMF to the leg; ``w`` waits 0.5 s and ``W`` 1 s (Plivo's ``<DTMF>``); ``tone_ms``
    is each tone's length (0: the PBX's default). ``asynchronous`` (Plivo's ``async``):
    the program goes on at once instead of waiting until the digits are sent."""

    digits: str
    tone_ms: int = 0
    asynchronous: bool = False


@dataclass(frozen=True)
class Hangup:
    reason: str = ""
    schedule: float = 0.0  # seconds from now; 0 hangs up at once


@dataclass(frozen=True)
class Redirect:
    """Fetch the document at ``url``; it replaces the rest of the program.

    The answer_url of a Plivo API call is a Redirect too, with Plivo's retry policy:
    ``attempts`` tries within ``deadline_seconds``, then ``fallback_url``."""

    url: str
    method: str = "POST"
    attempts: int = 1
    deadline_seconds: float = 60.0
    fallback_url: str = ""
    fallback_method: str = "POST"


@dataclass(frozen=True)
class PreAnswer:
    """Verbs played before the leg is answered (early media); then the leg is answered."""

    verbs: tuple[Verb, ...]


@dataclass(frozen=True)
class Conference:
    name: str
    muted: bool = False
    start_on_enter: bool = True
    end_on_exit: bool = False
    max_members: int = 20
    time_limit: int = 0  # seconds; 0 is no limit
    action: str | None = None
    method: str = "POST"
    wait_sound: str = ""  # a media URI or an http(s) URL, played while alone
    beep: bool = False  # a beep when a member enters or leaves
    callback_url: str = ""
    callback_method: str = "POST"
    redirect: bool = True


Verb = (
    Speak | Play | Wait | GetDigits | Record | Dial | SendDigits | Hangup | Redirect | PreAnswer
    | Conference
)
Program = tuple[Verb, ...]
