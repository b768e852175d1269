"""Plivo's own Python SDK, pointed at the engine's app, makes and controls calls.

The SDK sends JSON with Basic auth to ``<base>/v1/Account/<auth_id>/Call/…/`` and parses
the answers into its objects and exceptions; this proves the paths, bodies and answer
shapes fit it (the real stack: tests/integration/test_plivo_api.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import plivo
import plivo.rest.client as plivo_client
import pytest
from plivo import exceptions

from engine.domain.events import LegAnswered
from tests.unit.api.test_plivo_api import Plivo, start_plivo

AUTH_ID = "MAZDQ1ZJIYMDZKMJIXNJ"  # the SDK insists on Plivo's account id format
TOKEN = "sdk-token"
T = TypeVar("T")


@pytest.fixture
async def sdk(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Plivo, plivo.RestClient]]:
    running = await start_plivo({AUTH_ID: TOKEN, "account_2": "token-two"})
    base = str(running.client.make_url("/v1/Account"))
    for name in ("PLIVO_API_BASE_URI", "API_VOICE_BASE_URI", "API_VOICE_BASE_URI_FALLBACK_1",
                 "API_VOICE_BASE_URI_FALLBACK_2"):
        monkeypatch.setattr(plivo_client, name, base)
    client = plivo.RestClient(AUTH_ID, TOKEN)
    yield running, client
    client.session.close()
    await running.client.close()


async def off_loop(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """The SDK is synchronous: run it in a thread while the test server serves."""
    return await asyncio.to_thread(call, *args, **kwargs)


async def test_the_sdk_makes_looks_up_controls_and_hangs_up_a_call(
        sdk: tuple[Plivo, plivo.RestClient]) -> None:
    running, client = sdk
    made = await off_loop(client.calls.create, from_="+14152225555", to_="+14152223333",
                          answer_url="https://app.test/answer.xml", answer_method="GET",
                          ring_url="https://app.test/ring", time_limit=300,
                          send_digits="1w2", machine_detection="true")
    assert made.message == "call fired"
    uuid = made.request_uuid
    call = running.router.calls[uuid]
    assert call.api is not None and call.api.time_limit == 300
    live_ids = await off_loop(client.live_calls.list_ids)
    assert live_ids.calls == [uuid]
    live = await off_loop(client.live_calls.get, uuid)
    assert (live.call_uuid, live.call_status) == (uuid, "ringing")
    running.router.apply(call, LegAnswered(call.legs[0].channel_id, call.created_at))
    # machine detection runs first: the program (and so live actions) waits for the verdict
    with pytest.raises(exceptions.ValidationError):
        await off_loop(client.calls.play, uuid, urls="https://app.test/m.wav")
    await off_loop(client.calls.delete, uuid)
    with pytest.raises(exceptions.ResourceNotFoundError):
        await off_loop(client.calls.get, "0f4c1d2e-0000-4000-8000-000000000009")


async def test_the_sdk_controls_a_call_in_progress(sdk: tuple[Plivo, plivo.RestClient]) -> None:
    running, client = sdk
    made = await off_loop(client.calls.create, from_="14152225555", to_="14152223333",
                          answer_url="https://app.test/answer.xml")
    uuid = made.request_uuid
    running.router.answer(uuid)
    assert (await off_loop(client.calls.play, uuid, urls="https://app.test/m.wav",
                           loop=True)).message == "play started"
    await off_loop(client.calls.stop_playing, uuid)
    assert (await off_loop(client.calls.speak, uuid, text="Hello",
                           voice="WOMAN")).message == "speak started"
    await off_loop(client.calls.stop_speaking, uuid)
    assert (await off_loop(client.calls.send_digits, uuid, digits="123",
                           leg="aleg")).message == "digits sent"
    recording = await off_loop(client.calls.record, uuid)
    assert recording.recording_id.startswith(uuid)
    await off_loop(client.calls.stop_recording, uuid, None, None)
    moved = await off_loop(client.calls.transfer, uuid, legs="aleg",
                           aleg_url="https://app.test/next.xml", aleg_method="POST")
    assert moved.message == "call transferred"
    with pytest.raises(exceptions.ValidationError, match="answer_method"):
        await off_loop(client.calls.create, from_="14152225555", to_="14152223333",
                       answer_url="https://app.test/a.xml", answer_method="PATCH")


async def test_the_sdk_sees_a_wrong_token_as_an_authentication_error(
        sdk: tuple[Plivo, plivo.RestClient]) -> None:
    running, _ = sdk
    intruder = plivo.RestClient(AUTH_ID, "wrong")
    with pytest.raises(exceptions.AuthenticationError):
        await off_loop(intruder.calls.create, from_="14152225555", to_="14152223333",
                       answer_url="https://app.test/answer.xml")
    intruder.session.close()
    assert running.router.calls == {}
