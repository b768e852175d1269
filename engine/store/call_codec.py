"""Call snapshots to and from JSON, so a restarted engine can rebuild its live calls."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from engine.domain.call import Call, CallState, Leg, LegState, Origin, RecordingOption, Role
from engine.domain.numbers import Extension, External, Party

_ENUMS: dict[str, Any] = {"origin": Origin, "state": CallState, "recording": RecordingOption,
                          "role": Role}
_LEG_ENUMS: dict[str, Any] = {"role": Role, "state": LegState}


def _party_out(party: Party) -> dict[str, str]:
    kind = "extension" if isinstance(party, Extension) else "number"
    return {"kind": kind, "number": party.number}


def _party_in(data: dict[str, str]) -> Party:
    return Extension(data["number"]) if data["kind"] == "extension" else External(data["number"])


def _value_out(value: Any) -> Any:
    if isinstance(value, Extension | External):
        return _party_out(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_value_out(v) for v in value]
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _object_out(obj: Any) -> dict[str, Any]:
    return {f.name: _value_out(getattr(obj, f.name)) for f in fields(obj)}


def call_to_json(call: Call) -> dict[str, Any]:
    data = _object_out(call)
    data["legs"] = [_object_out(leg) for leg in call.legs]
    return data


def _value_in(name: str, value: Any, enums: dict[str, Any], dates: set[str]) -> Any:
    if value is None:
        return None
    if name in enums:
        return enums[name](value)
    if name in dates:
        return datetime.fromisoformat(value)
    if isinstance(value, dict) and "kind" in value:
        return _party_in(value)
    return value


_CALL_DATES = {"created_at", "ended_at"}
_LEG_DATES = {"created_at", "answered_at", "ended_at"}


def call_from_json(data: dict[str, Any]) -> Call:
    legs = tuple(
        Leg(**{k: _value_in(k, v, _LEG_ENUMS, _LEG_DATES) for k, v in leg.items()})
        for leg in data["legs"]
    )
    values = {k: _value_in(k, v, _ENUMS, _CALL_DATES) for k, v in data.items() if k != "legs"}
    values["recordings"] = tuple(values.get("recordings") or ())
    return Call(**values, legs=legs)
