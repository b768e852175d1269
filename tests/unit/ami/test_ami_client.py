"""AmiClient against a fake AMI server: login, events, actions, errors, reconnects."""

from __future__ import annotations

import asyncio

import pytest

from engine.ami.client import AmiClient
from engine.ami.messages import AmiEvent, AmiResponse, command_output, response_error
from engine.ari.backoff import Backoff
from engine.domain.errors import NotFound, Rejected, TimedOut, Unavailable
from tests.unit.ami.conftest import AmiHarness, start_client, stop_client
from tests.unit.ami.support import SECRET, USER, FakeAmi, wait_until


async def next_event(client: AmiClient, name: str) -> AmiEvent:
    async with asyncio.timeout(2.0):
        while True:
            event = await client.events.get()
            if event.name == name:
                return event


async def test_logs_in_and_queues_events(ami: AmiHarness) -> None:
    (login,) = ami.fake.named("Login")
    assert (login["Username"], login["Secret"], login["Events"]) == (USER, SECRET, "on")
    assert (await next_event(ami.client, "FullyBooted")).get("status") == "Fully Booted"
    ami.fake.push_event([("Event", "Hangup"), ("Channel", "PJSIP/101-00000001"),
                         ("Uniqueid", "1795337139.3"), ("Cause", "16")])
    hangup = await next_event(ami.client, "Hangup")
    assert hangup.get("channel") == "PJSIP/101-00000001"
    assert hangup.get("UNIQUEID") == "1795337139.3"
    assert hangup.get("missing", "-") == "-"


async def test_actions_send_their_headers(ami: AmiHarness) -> None:
    client = ami.client
    pong = await client.ping()
    assert pong.ok and pong.get("Ping") == "Pong"
    await client.redirect("PJSIP/101-1", "600", "from-agents", extra_channel="PJSIP/102-2")
    (redirect,) = ami.fake.named("Redirect")
    assert redirect == {**redirect, "Channel": "PJSIP/101-1", "Exten": "600",
                        "Context": "from-agents", "Priority": "1",
                        "ExtraChannel": "PJSIP/102-2", "ExtraExten": "600",
                        "ExtraContext": "from-agents", "ExtraPriority": "1"}
    await client.mix_monitor("PJSIP/101-1", "calls/req-1.wav", options="b")
    (monitor,) = ami.fake.named("MixMonitor")
    assert (monitor["File"], monitor["Options"]) == ("calls/req-1.wav", "b")
    await client.stop_mix_monitor("PJSIP/101-1")
    await client.hangup("PJSIP/101-1", cause=16)
    assert ami.fake.named("Hangup")[0]["Cause"] == "16"


async def test_command_returns_cli_output(ami: AmiHarness) -> None:
    output = await ami.client.command("core show version")
    assert output == "Asterisk 22.10.1 built by nobody\nsecond line: with a colon"


async def test_error_responses_map_to_engine_errors(ami: AmiHarness) -> None:
    with pytest.raises(NotFound, match="No such channel"):
        await ami.client.hangup("PJSIP/nope-0001")
    with pytest.raises(Rejected, match="No such command 'bogus'"):
        await ami.client.command("bogus")
    with pytest.raises(Rejected, match="Invalid/unknown command"):
        await ami.client.atxfer("PJSIP/101-1", "102", "from-agents")
    assert ami.client.connected  # errors are answers, not failures


async def test_originate_returns_at_once_and_its_result_arrives_as_an_event(
    ami: AmiHarness,
) -> None:
    response = await ami.client.originate("Local/600@from-agents", application="Wait",
                                          data="1", variables={"A": "1", "B": "2"})
    assert response.message == "Originate successfully queued"
    (sent,) = ami.fake.named("Originate")
    assert sent["Async"] == "true"
    variables = [v for k, v in ami.fake.actions[-1] if k == "Variable"]
    assert variables == ["A=1", "B=2"]
    result = await next_event(ami.client, "OriginateResponse")
    assert result.get("ActionID") == response.get("ActionID")


async def test_line_breaks_in_values_are_refused_before_sending(ami: AmiHarness) -> None:
    with pytest.raises(Rejected):
        await ami.client.mix_monitor("PJSIP/101-1", "x.wav\r\nAction: Hangup")
    assert ami.fake.named("MixMonitor") == []


async def test_unanswered_action_times_out() -> None:
    fake = FakeAmi(silent={"BlindTransfer"})
    harness = await start_client(fake, await fake.start(), action_timeout=0.1)
    try:
        await wait_until(lambda: harness.client.connected)
        with pytest.raises(TimedOut):
            await harness.client.blind_transfer("PJSIP/101-1", "102", "from-agents")
        assert harness.client.connected
    finally:
        await stop_client(harness)
        await fake.close()


async def test_reconnects_after_the_server_drops_the_link(ami: AmiHarness) -> None:
    ami.fake.drop_all()
    await wait_until(lambda: ami.fake.logins == 2 and ami.client.connected)
    assert (await ami.client.ping()).ok


async def test_pending_action_fails_fast_when_the_link_drops() -> None:
    fake = FakeAmi(silent={"Atxfer"})
    harness = await start_client(fake, await fake.start(), action_timeout=5.0)
    try:
        await wait_until(lambda: harness.client.connected)
        pending = asyncio.create_task(harness.client.atxfer("PJSIP/101-1", "102", "ctx"))
        await wait_until(lambda: bool(fake.named("Atxfer")))
        fake.drop_all()
        with pytest.raises(Unavailable):
            await asyncio.wait_for(pending, 1.0)
        await wait_until(lambda: harness.client.connected)
        # Never re-sent after the reconnect (panoramisk would, on FullyBooted).
        await harness.client.ping()
        assert len(fake.named("Atxfer")) == 1
    finally:
        await stop_client(harness)
        await fake.close()


async def test_unanswered_ping_forces_a_reconnect() -> None:
    fake = FakeAmi()
    harness = await start_client(fake, await fake.start(), action_timeout=0.05,
                                 ping_interval=0.05)
    try:
        await wait_until(lambda: harness.client.connected)
        # Answered pings keep the one link: several ping rounds, still the first login.
        await wait_until(lambda: len(fake.named("Ping")) >= 4)
        assert fake.logins == 1
        first_link = fake.writers[0]
        pings_before = len(fake.named("Ping"))
        fake.silent.add("Ping")
        await wait_until(lambda: fake.logins >= 2)
        # The fake never closed the first link: the client did, after a ping went unanswered.
        assert first_link.is_closing()
        assert len(fake.named("Ping")) > pings_before
        fake.silent.discard("Ping")
        await wait_until(lambda: harness.client.connected)
        assert (await harness.client.ping()).ok
    finally:
        await stop_client(harness)
        await fake.close()


async def test_bad_credentials_keep_retrying_without_connecting() -> None:
    fake = FakeAmi()
    harness = await start_client(fake, await fake.start(), secret="wrong")
    try:
        await wait_until(lambda: fake.logins >= 3)
        assert not harness.client.connected
        with pytest.raises(Unavailable):
            await harness.client.ping()
    finally:
        await stop_client(harness)
        await fake.close()


async def test_actions_while_disconnected_are_unavailable() -> None:
    client = AmiClient("127.0.0.1", 1, USER, SECRET, backoff=Backoff(0.01, 0.05))
    assert not client.connected
    with pytest.raises(Unavailable):
        await client.hangup("PJSIP/101-1")


async def test_full_event_queue_drops_and_counts() -> None:
    fake = FakeAmi()
    harness = await start_client(fake, await fake.start(), max_queued_events=2)
    try:
        await wait_until(lambda: harness.client.connected)
        for number in range(5):
            fake.push_event([("Event", "UserEvent"), ("N", str(number))])
        await wait_until(lambda: harness.client.dropped_events >= 3)
        assert harness.client.events.qsize() == 2
        assert harness.client.connected
    finally:
        await stop_client(harness)
        await fake.close()


async def test_cancelling_run_closes_the_connection() -> None:
    fake = FakeAmi()
    harness = await start_client(fake, await fake.start())
    await wait_until(lambda: harness.client.connected)
    await stop_client(harness)
    assert not harness.client.connected
    await wait_until(lambda: all(w.is_closing() for w in fake.writers))
    await fake.close()


# ---- pure helpers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("No such channel", NotFound),
        ("Channel does not exist: PJSIP/x", NotFound),
        ("Channel specified does not exist", NotFound),
        ("Permission denied", Unavailable),
        ("Invalid/unknown command", Rejected),
        ("", Rejected),
    ],
)
def test_error_responses(message: str, error: type[Exception]) -> None:
    response = AmiResponse.from_raw({"Response": "Error", "Message": message})
    assert isinstance(response_error("Hangup", response), error)


def test_success_responses_are_not_errors() -> None:
    for word in ("Success", "Follows", "Goodbye"):
        assert response_error("X", AmiResponse.from_raw({"Response": word})) is None


def test_command_output_from_output_headers_or_an_old_style_body() -> None:
    new = AmiResponse.from_raw({"Response": "Success", "Output": ["a", "b"]})
    old = AmiResponse.from_raw({"Response": "Follows", "content": "x"},
                               body="line 1\nline 2\n--END COMMAND--")
    assert command_output(new) == "a\nb"
    assert command_output(old) == "line 1\nline 2"
    assert "content" not in old.headers
