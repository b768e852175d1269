"""A call program's state (and the verbs it still has to run) to and from JSON.

Every value is tagged with its type, from a closed list of the domain's program types, so a
snapshot never builds anything else. Secret speech (an OTP) is never written: its text is
redacted, and a program that still holds a redacted secret cannot be resumed after a
restart (the program flow hangs such a call up rather than speak a blank).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

from engine.domain.call import CampaignRef
from engine.domain.numbers import Extension, External
from engine.domain.plivo.options import ApiCallOptions, MachineDetection, Webhook
from engine.domain.programs import state as program_state
from engine.domain.programs import verbs
from engine.domain.speech import REDACTED, Prosody, SpeechPart, TtsEngine, Utterance, Voice

_DATACLASSES: dict[str, type] = {
    cls.__name__: cls for cls in (
        verbs.Speak, verbs.Play, verbs.Wait, verbs.GetDigits, verbs.Record, verbs.Dial,
        verbs.SendDigits, verbs.Hangup, verbs.Redirect, verbs.PreAnswer, verbs.Conference,
        Utterance, SpeechPart, Voice, Prosody, Extension, External,
        program_state.ProgramState, program_state.ProgramOutcome, program_state.Pending,
        program_state.DialRequest, program_state.Frame, program_state.Collect,
        program_state.ScheduledHangup, program_state.Live, ApiCallOptions, Webhook,
        CampaignRef,
    )
}
_ENUMS: dict[str, type[Enum]] = {
    cls.__name__: cls for cls in (TtsEngine, program_state.Awaiting, MachineDetection)}


class UnknownProgramType(ValueError):
    """The snapshot names a type this engine does not know."""


def encode(value: Any) -> Any:
    if isinstance(value, SpeechPart) and value.secret:
        return {"@": "SpeechPart", "text": "", "spell": value.spell, "secret": True,
                "redacted": True}
    if isinstance(value, Enum):
        return {"@enum": type(value).__name__, "value": value.value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"@": type(value).__name__, **data}
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if isinstance(value, datetime):
        return {"@time": value.isoformat()}
    return value


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return tuple(decode(item) for item in data)
    if not isinstance(data, dict):
        return data
    if "@time" in data:
        return datetime.fromisoformat(data["@time"])
    if "@enum" in data:
        enum = _ENUMS.get(data["@enum"])
        if enum is None:
            raise UnknownProgramType(data["@enum"])
        return enum(data["value"])
    cls = _DATACLASSES.get(data.get("@", ""))
    if cls is None:
        raise UnknownProgramType(str(data.get("@")))
    values = {k: decode(v) for k, v in data.items() if k not in ("@", "redacted")}
    if cls is SpeechPart and data.get("redacted"):
        values["text"] = REDACTED
    return cls(**values)

