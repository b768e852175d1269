"""Recordings (both, agent, customer) hold real audio; transcripts hold the words spoken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.settings import Settings
from tests.integration.helpers import (
    ANSWER,
    call_api,
    eventually,
    finished_recording,
    leg_channel,
    number,
    sox_stat,
    wait_ended,
    wait_state,
)
from tests.integration.test_click2call import click2call

pytestmark = pytest.mark.integration
Call = dict[str, Any]  # a call as GET /api/live_calls shows it

# The simulated agent plays 440 Hz; an answering carrier number plays 1000 Hz.
AGENT_HZ, CUSTOMER_HZ = 440, 1000


@pytest.mark.parametrize("option", ["both", "agent", "customer"])
async def test_recording_option_records_real_audio(
    http: aiohttp.ClientSession, settings: Settings, option: str
) -> None:
    request_id = await click2call(http, "101", number("7003"), recording_option=option)
    await wait_state(http, request_id, "bridged")
    rows = await wait_ended(http, request_id)
    name = f"{request_id}-{option}.wav"
    assert {r["recording_name"] for r in rows} == {name}
    path = Path(settings.recordings_dir) / name

    async def written() -> bool:
        return path.exists() and path.stat().st_size > 16000

    await eventually(written, what=f"{name} to be written")
    stat = sox_stat(path)
    assert stat["Length (seconds)"] > 1.5
    assert stat["RMS     amplitude"] > 0.01
    if option != "both":
        expected = AGENT_HZ if option == "agent" else CUSTOMER_HZ
        assert abs(stat["Rough   frequency"] - expected) < expected * 0.15, stat


async def test_transcript_holds_the_words_the_customer_spoke(
    http: aiohttp.ClientSession,
) -> None:
    # 8xxx numbers answer and say "Congratulations. You have successfully installed and
    # executed the Asterisk open source PBX…", then hang up.
    request_id = await click2call(http, "101", number("8000"), transcript="on")
    rows = await wait_ended(http, request_id, timeout=60)
    assert rows and rows[0]["recording_name"] == f"{request_id}-both.wav"

    async def finished() -> Call | None:
        status, body = await call_api(http, "GET", f"/api/transcripts/{request_id}")
        assert status == 200, body
        result = body["response"]
        return result if result["status"] != "pending" else None

    result = await eventually(finished, timeout=120, what="the transcript")
    assert result["status"] == "done", result
    words = result["transcript"].lower()
    assert "congratulations" in words or "asterisk" in words, words


async def test_unknown_transcript_is_404(http: aiohttp.ClientSession) -> None:
    status, body = await call_api(http, "GET", "/api/transcripts/0123456789")
    assert status == 404
    assert body["response"]["error"] == "transcript_not_found"


async def test_recording_names_are_not_paths(http: aiohttp.ClientSession) -> None:
    for name in ("..%2F..%2Fetc%2Fpasswd", "x.wav", "0123456789-both.wav"):
        status, body = await call_api(http, "GET", f"/api/recordings/{name}")
        assert status == 404, (name, body)


async def test_agent_channel_name_works_for_modify(http: aiohttp.ClientSession) -> None:
    request_id = await click2call(http, "105", number(ANSWER))
    call = await wait_state(http, request_id, "bridged")
    assert leg_channel(call, "agent").startswith("PJSIP/105-")
    status, _ = await call_api(http, "POST", "/api/modify_call",
                               {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    assert status == 200
    await wait_ended(http, request_id)


async def test_agent_hears_ringback_while_the_destination_rings(
    http: aiohttp.ClientSession, settings: Settings
) -> None:
    agent = number(ANSWER)
    request_id = await click2call(http, agent, number("6003"))  # rings 3 s, then answers
    call = await wait_state(http, request_id, "bridged", timeout=30)
    await call_api(http, "POST", "/api/modify_call",
                   {"channel": leg_channel(call, "agent"), "modify_type": "2"})
    await wait_ended(http, request_id)
    heard_dir = settings.var_dir / "asterisk" / "carrier" / "spool" / "heard"
    (heard,) = [p for p in heard_dir.glob(f"{agent}-*.wav") if not p.name.endswith("-mix.wav")]
    await finished_recording(heard)
    # Seconds 0.5-2.5 of what the agent heard: the customer was still ringing.
    ringing = sox_stat(heard, trim=(0.5, 2.0))
    assert ringing["RMS     amplitude"] > 0.005, ringing
