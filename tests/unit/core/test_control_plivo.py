"""Call control for Plivo calls: machine detection, caller name, X-PH- headers, DTMF tone
lengths and pauses, and digits for a leg not yet in Stasis (early media) over AMI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from engine.ami.client import AmiClient
from engine.ari.client import AriClient
from engine.calls.control import AMD_CONTEXT, CallControl, caller_id_of, header_variables
from engine.domain.commands import DetectMachine, Dial, SendDtmf
from engine.domain.errors import Conflict, EngineError, NotFound, Rejected
from engine.domain.events import CallEvent, DtmfSent, MachineVerdict
from engine.domain.numbers import External

RID = "req-1"
LEG = "req-1.customer"


class RecordingAri:
    """Just enough of AriClient: records calls; ``fail[name]`` raises (a list: in turn)."""

    def __init__(self, fail: dict[str, list[Exception]] | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.fail = fail or {}

    def __getattr__(self, name: str) -> Callable[..., Awaitable[None]]:
        async def call(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args, kwargs))
            errors = self.fail.get(name)
            if errors:
                raise errors.pop(0)

        return call


class RecordingAmi:
    def __init__(self) -> None:
        self.actions: list[tuple[str, dict[str, str]]] = []

    async def action(self, name: str, fields: dict[str, str]) -> None:
        self.actions.append((name, dict(fields)))


def control(ari: RecordingAri, ami: RecordingAmi | None = None
            ) -> tuple[CallControl, list[tuple[str, CallEvent]]]:
    fed: list[tuple[str, CallEvent]] = []
    ctl = CallControl(cast(AriClient, ari), "carrier",
                      lambda request_id, event: fed.append((request_id, event)),
                      stasis_pauses=(0.0, 0.0), ami=cast(AmiClient | None, ami))
    return ctl, fed


# ---- machine detection ------------------------------------------------------------------


async def test_detection_subscribes_to_the_leg_then_sends_it_to_amd() -> None:
    ari = RecordingAri()
    ctl, fed = control(ari)
    await ctl.execute(RID, DetectMachine(LEG, 3500))
    assert ari.calls == [
        ("subscribe", ("channel:req-1.customer",), {}),
        ("continue_in_dialplan", (LEG, AMD_CONTEXT, "3500"), {}),
    ]
    assert AMD_CONTEXT == "amd"
    assert fed == []  # the verdict comes back from Asterisk, not from here


async def test_a_leg_not_in_stasis_yet_is_continued_once_it_is() -> None:
    ari = RecordingAri({"continue_in_dialplan": [Conflict("Channel not in Stasis application")]})
    ctl, fed = control(ari)
    await ctl.execute(RID, DetectMachine(LEG, 5000))
    assert [name for name, _, _ in ari.calls] == [
        "subscribe", "continue_in_dialplan", "continue_in_dialplan"]
    assert fed == []


async def test_a_gone_leg_gets_no_verdict() -> None:
    # Its ChannelDestroyed tells the call; a verdict would be a lie.
    ari = RecordingAri({"subscribe": [NotFound("Channel not found")]})
    ctl, fed = control(ari)
    await ctl.execute(RID, DetectMachine(LEG, 5000))
    assert [name for name, _, _ in ari.calls] == ["subscribe"]
    assert fed == []


@pytest.mark.parametrize("error", [Rejected("nope"), Conflict("still not in Stasis")])
async def test_detection_that_cannot_start_is_not_sure_so_the_call_goes_on(
    error: EngineError,
) -> None:
    ari = RecordingAri({"continue_in_dialplan": [error, error, error]})
    ctl, fed = control(ari)
    await ctl.execute(RID, DetectMachine(LEG, 5000))
    assert len(fed) == 1
    request_id, verdict = fed[0]
    assert request_id == RID
    assert isinstance(verdict, MachineVerdict) and verdict.at is not None
    assert (verdict.channel_id, verdict.machine, verdict.status, verdict.cause) == (
        LEG, False, "NOTSURE", "AMD-UNAVAILABLE")


# ---- dial options -----------------------------------------------------------------------


DIAL = Dial(LEG, External("15162010100"), "15168148111", 30)


async def test_a_plain_dial_sends_the_number_and_no_variables() -> None:
    ari = RecordingAri()
    ctl, _ = control(ari)
    await ctl.execute(RID, DIAL)
    name, args, kwargs = ari.calls[0]
    assert (name, args) == ("originate", ("PJSIP/15162010100@carrier", LEG))
    assert kwargs["caller_id"] == "15168148111"
    assert kwargs["variables"] is None
    assert kwargs["app_args"] == "leg" and kwargs["timeout"] == 30


async def test_caller_name_and_sip_headers_reach_the_originate() -> None:
    ari = RecordingAri()
    ctl, _ = control(ari)
    dial = Dial(LEG, External("15162010100"), "15168148111", 30, caller_name="Ada Lovelace",
                sip_headers=(("Campaign", "spring24"), ("Lead", "42")))
    await ctl.execute(RID, dial)
    _, _, kwargs = ari.calls[0]
    assert kwargs["caller_id"] == '"Ada Lovelace" <15168148111>'
    assert kwargs["variables"] == {"PJSIP_HEADER(add,X-PH-Campaign)": "spring24",
                                   "PJSIP_HEADER(add,X-PH-Lead)": "42"}


def test_a_name_cannot_break_out_of_its_quotes() -> None:
    dial = Dial(LEG, External("15162010100"), "15168148111", 30,
                caller_name='Eve" <666> \\x')
    assert caller_id_of(dial) == '"Eve 666 x" <15168148111>'
    assert header_variables(DIAL) is None


# ---- DTMF -------------------------------------------------------------------------------


async def test_tone_length_is_aris_duration_and_pauses_are_asterisks_own() -> None:
    ari = RecordingAri()
    ctl, fed = control(ari)
    await ctl.execute(RID, SendDtmf(LEG, "1w2W#", "d1", tone_ms=250))
    await ctl.execute(RID, SendDtmf(LEG, "9", "d2"))
    assert ari.calls == [
        ("send_dtmf", (LEG, "1w2W#"), {"duration_ms": 250}),
        ("send_dtmf", (LEG, "9"), {"duration_ms": None}),
    ]
    assert [(rid, e.ref) for rid, e in fed if isinstance(e, DtmfSent)] == [
        (RID, "d1"), (RID, "d2")]


async def test_digits_for_a_leg_not_in_stasis_go_over_ami_one_by_one() -> None:
    ari = RecordingAri({"send_dtmf": [Conflict("Channel not in Stasis application")]})
    ami = RecordingAmi()
    ctl, fed = control(ari, ami)
    await ctl.execute(RID, SendDtmf(LEG, "4w#", "pre", tone_ms=300))
    assert ami.actions == [
        ("PlayDTMF", {"Channel": LEG, "Digit": "4", "Duration": "300"}),
        ("PlayDTMF", {"Channel": LEG, "Digit": "#", "Duration": "300"}),
    ]
    assert next(e for _, e in fed if isinstance(e, DtmfSent)).ref == "pre"


async def test_without_ami_refused_digits_still_end_their_wait() -> None:
    ari = RecordingAri({"send_dtmf": [Conflict("Channel not in Stasis application")]})
    ctl, fed = control(ari)
    await ctl.execute(RID, SendDtmf(LEG, "4", "pre"))
    assert [e.ref for _, e in fed if isinstance(e, DtmfSent)] == ["pre"]
