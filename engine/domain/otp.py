"""OTP calls (pure): validate the seed's fields and build the program the answered leg runs.

The program says the account's approved template with the code spelled out character by
character, ``repeat`` times with a pause between, then hangs up. The code is a secret part
of the utterance: it is spoken from per-character clips, never stored, never logged.
"""

from __future__ import annotations

import re

from engine.domain.errors import InvalidField
from engine.domain.programs.verbs import Hangup, Program, Speak, Verb, Wait
from engine.domain.speech import Prosody, SpeechPart, Utterance, Voice

_OTP = re.compile(r"[0-9A-Za-z]{1,12}")
MAX_REPEAT = 5
PAUSE_BETWEEN_REPEATS = 1.0


def validate_otp(otp: str) -> str:
    otp = otp.strip()
    if not _OTP.fullmatch(otp):
        raise InvalidField("otp", "otp must be 1-12 digits or letters")
    return otp


def validate_repeat(repeat: str | None) -> int:
    text = (repeat or "1").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_REPEAT:
        raise InvalidField("repeat", f"repeat must be a whole number from 1 to {MAX_REPEAT}")
    return int(text)


def otp_utterance(before: str, otp: str, after: str, voice: Voice,
                  prosody: Prosody) -> Utterance:
    parts = (SpeechPart(before.strip()), SpeechPart(otp, spell=True, secret=True),
             SpeechPart(after.strip()))
    return Utterance(tuple(p for p in parts if p.text), voice, prosody)


def otp_program(utterance: Utterance, repeat: int) -> Program:
    verbs: list[Verb] = []
    for n in range(repeat):
        if n:
            verbs.append(Wait(PAUSE_BETWEEN_REPEATS))
        verbs.append(Speak(utterance))
    verbs.append(Hangup("otp announced"))
    return tuple(verbs)
