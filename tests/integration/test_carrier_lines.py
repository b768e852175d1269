"""The simulated carrier's 0xxx lines, driven through the engine's call control at the ARI
edge: DTMF listeners log what they hear (with Plivo's pauses and tone lengths), and a
header logger sees a dial's X-PH- headers and caller name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.ari.events import ChannelDestroyed
from engine.devstack.stack import Stack
from engine.domain.commands import Hangup, SendDtmf
from engine.domain.events import DtmfSent
from engine.settings import Settings
from tests.integration.helpers import eventually
from tests.integration.test_machine_detection_amd import Probe, probe_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def probe(stack: Stack, settings: Settings) -> AsyncIterator[Probe]:
    async with probe_app(settings, "carrier-probe") as app:
        yield app


def heard(settings: Settings, log: str) -> Path:
    return settings.var_dir / "asterisk" / "carrier" / "spool" / "heard" / log


def dtmf_heard(settings: Settings, number: str) -> list[tuple[str, float, str]]:
    """(digit, epoch, early|up) of every digit the carrier heard on calls to ``number``."""
    log = heard(settings, "dtmf.log")
    if not log.exists():
        return []
    rows = [line.split() for line in log.read_text().splitlines()]
    return [(row[2], float(row[3]), row[4]) for row in rows if row[0] == number]


async def hang_up(probe: Probe, leg: str) -> None:
    await probe.control.execute("probe", Hangup(leg))
    await probe.next_event(leg, lambda e: isinstance(e, ChannelDestroyed))


async def digits_heard(settings: Settings, number: str, count: int) -> list[tuple[str, float,
                                                                                  str]]:
    async def probe_log() -> list[tuple[str, float, str]] | None:
        rows = dtmf_heard(settings, number)
        return rows if len(rows) >= count else None

    return await eventually(probe_log, timeout=15, what=f"{count} digits at {number}")


async def test_the_dtmf_listener_hears_every_digit_and_plivos_pauses(
    probe: Probe, settings: Settings
) -> None:
    leg = await probe.answered_leg("0300")
    number = probe.last_number
    await probe.control.execute("probe", SendDtmf(leg, "12w3W#*", "ref-1"))
    sent = probe.fed[-1][1]
    assert isinstance(sent, DtmfSent) and sent.ref == "ref-1"
    rows = await digits_heard(settings, number, 5)
    assert [digit for digit, _, _ in rows] == ["1", "2", "3", "#", "*"]
    assert {phase for _, _, phase in rows} == {"up"}
    times = [at for _, at, _ in rows]
    # "w" waits half a second and "W" a second, beyond the usual gap between digits.
    assert times[2] - times[1] >= 0.5
    assert times[3] - times[2] >= 1.0
    assert times[1] - times[0] < 0.5
    await hang_up(probe, leg)


async def test_the_tone_length_is_the_commands(probe: Probe, settings: Settings) -> None:
    leg = await probe.answered_leg("0300")
    number = probe.last_number
    await probe.control.execute("probe", SendDtmf(leg, "123", "ref-2", tone_ms=600))
    rows = await digits_heard(settings, number, 3)
    assert [digit for digit, _, _ in rows] == ["1", "2", "3"]
    # Each digit is heard when its tone ends: 600 ms tones (plus the gap) apart.
    assert rows[1][1] - rows[0][1] >= 0.6
    assert rows[2][1] - rows[1][1] >= 0.6
    await hang_up(probe, leg)


async def test_the_early_media_listener_hears_digits_before_it_answers(
    probe: Probe, settings: Settings
) -> None:
    leg = await probe.dial("0405")  # early media for 5 s, then it answers
    number = probe.last_number

    async def in_early_media() -> bool:
        # The carrier's own log: it opens early media right after it logs the call. (The
        # PBX's "Ringing" state change for a 183-then-180 answer was missing in about one
        # isolated run of three, so it is not what this test of the carrier line waits on.)
        log = heard(settings, "calls.log")
        return log.exists() and any(line.split()[0] == number
                                    for line in log.read_text().splitlines())

    await eventually(in_early_media, timeout=10, what="the carrier to take the call")
    await probe.control.execute("probe", SendDtmf(leg, "47", "ref-3"))
    rows = await digits_heard(settings, number, 2)
    assert [(digit, phase) for digit, _, phase in rows] == [("4", "early"), ("7", "early")]
    await hang_up(probe, leg)


async def test_the_header_logger_sees_x_ph_headers_and_the_caller_name(
    probe: Probe, settings: Settings
) -> None:
    leg = await probe.answered_leg("0500", caller_name="Ada Lovelace",
                                   sip_headers=(("Campaign", "spring24"), ("Lead", "42")))
    number = probe.last_number

    async def logged() -> list[str] | None:
        log = heard(settings, "headers.log")
        lines = log.read_text().splitlines() if log.exists() else []
        return next((line.split() for line in lines if line.startswith(number + " ")), None)

    headers = await eventually(logged, timeout=10, what="the carrier's headers.log")
    assert sorted(headers[2:]) == ["X-PH-Campaign=spring24", "X-PH-Lead=42"]
    names = heard(settings, "names.log").read_text().splitlines()
    assert f"{number} {headers[1]} Ada Lovelace" in names
    await hang_up(probe, leg)
