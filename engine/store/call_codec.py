"""Call snapshots to and from JSON, so a restarted engine can rebuild its live calls.

Snapshots are versioned (``snapshot_version``). A snapshot written by an older engine is
migrated step by step to the current version; one that cannot be read (a newer engine's,
or a damaged one) raises ``UnreadableSnapshot``, and the router closes that call cleanly
instead of crashing while other calls are live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any

from engine.domain.call import (
    Call,
    CallState,
    Leg,
    LegState,
    Origin,
    PendingTimer,
    RecordingOption,
    Role,
)
from engine.domain.numbers import Extension, External, Party
from engine.store import program_codec

SNAPSHOT_VERSION = 2

_ENUMS: dict[str, Any] = {"origin": Origin, "state": CallState, "recording": RecordingOption,
                          "role": Role}
_LEG_ENUMS: dict[str, Any] = {"role": Role, "state": LegState}
_CALL_DATES = {"created_at", "ended_at"}
_LEG_DATES = {"created_at", "answered_at", "ended_at"}
_CALL_FIELDS = {f.name for f in fields(Call)}
_PROGRAM_FIELDS = ("answer_program", "program", "api", "campaign")
_LEG_FIELDS = {f.name for f in fields(Leg)}


class UnreadableSnapshot(ValueError):
    """This engine cannot rebuild the call from its snapshot."""


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
    data = {f.name: _value_out(getattr(call, f.name)) for f in fields(call)
            if f.name not in _PROGRAM_FIELDS}
    data["answer_program"] = program_codec.encode(call.answer_program)
    data["program"] = program_codec.encode(call.program)
    data["api"] = program_codec.encode(call.api)
    data["campaign"] = program_codec.encode(call.campaign)
    data["legs"] = [_object_out(leg) for leg in call.legs]
    data["timers"] = [{"timer_id": t.timer_id, "fire_at": t.fire_at.isoformat()}
                      for t in call.timers]
    data["snapshot_version"] = SNAPSHOT_VERSION
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


# ---- migrations: each takes a snapshot of version N and returns version N + 1 ---------


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 kept the failure playback and the held party on the call; v2 keeps them on
    the leg concerned, and has pending timers."""
    data = dict(data)
    playback = data.pop("failure_playback_id", None)
    held = data.pop("held_channel_id", None)
    legs = [dict(leg) for leg in data.get("legs", [])]
    if playback:
        agent = next((leg for leg in reversed(legs) if leg.get("role") == "agent"), None)
        if agent is not None:
            agent["playback_id"] = playback
    for leg in legs:
        if held and leg.get("channel_id") == held:
            leg["held"] = True
    data["legs"] = legs
    data["timers"] = []
    data["answer_program"] = []
    data["program"] = None
    return data


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def call_from_json(data: dict[str, Any]) -> Call:
    """Rebuild a call from any snapshot version this engine knows; UnreadableSnapshot
    otherwise."""
    version = data.get("snapshot_version", 1)
    if not isinstance(version, int) or version > SNAPSHOT_VERSION or version < 1:
        raise UnreadableSnapshot(f"snapshot version {version!r} is not one this engine reads")
    while version < SNAPSHOT_VERSION:
        data = _MIGRATIONS[version](data)
        version += 1
    try:
        return _decode(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnreadableSnapshot(f"damaged snapshot: {exc}") from exc


def _decode(data: dict[str, Any]) -> Call:
    values = {k: v for k, v in data.items()
              if k not in ("legs", "timers", "snapshot_version", *_PROGRAM_FIELDS)}
    unknown = (set(values) - _CALL_FIELDS) | {
        name for leg in data["legs"] for name in leg if name not in _LEG_FIELDS}
    if unknown:
        raise UnreadableSnapshot(f"unknown snapshot fields {sorted(unknown)}")
    legs = tuple(
        Leg(**{k: _value_in(k, v, _LEG_ENUMS, _LEG_DATES) for k, v in leg.items()})
        for leg in data["legs"]
    )
    timers = tuple(PendingTimer(t["timer_id"], datetime.fromisoformat(t["fire_at"]))
                   for t in data.get("timers", []))
    decoded = {k: _value_in(k, v, _ENUMS, _CALL_DATES) for k, v in values.items()}
    decoded["recordings"] = tuple(decoded.get("recordings") or ())
    decoded["dial_channels"] = tuple(decoded.get("dial_channels") or ())
    decoded["api_playbacks"] = tuple(decoded.get("api_playbacks") or ())
    decoded["api_notified"] = tuple(decoded.get("api_notified") or ())
    program = program_codec.decode(data.get("program"))
    answer_program = program_codec.decode(data.get("answer_program") or [])
    api = program_codec.decode(data.get("api"))
    campaign = program_codec.decode(data.get("campaign"))
    return Call(**decoded, legs=legs, timers=timers, program=program,
                answer_program=answer_program, api=api, campaign=campaign)


def channel_ids_of(data: dict[str, Any]) -> list[str]:
    """The channel ids a snapshot names, however damaged the rest of it is."""
    legs = data.get("legs")
    if not isinstance(legs, list):
        return []
    return [leg["channel_id"] for leg in legs
            if isinstance(leg, dict) and isinstance(leg.get("channel_id"), str)]
