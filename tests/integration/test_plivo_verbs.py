"""answer_url verbs on the real stack, as an application on Plivo's Call API sees them: its
action URLs receive Plivo's results (``Digits``, ``RecordUrl``…, ``DialStatus``…), signed
and with the call's parameters, and the documents they answer run.

Carrier lines (last four digits): 1xxx answers with a 1000 Hz tone; 2xxx is busy; 5ddd
answers and sends the DTMF digits ddd after 1 s; 7nnn answers and hangs up after nnn s;
03xx logs every digit it hears. Agents 101-105 ring 1 s, answer and play 440 Hz.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from engine.settings import Settings
from tests.integration.helpers import eventually, number, sox_stat
from tests.integration.plivo_app import AUTH, SLACK, App, Carrier, app, carrier, core_params, signed
from tests.integration.stack import ACCOUNT_1
from tests.integration.webhook_server import WebhookServer

pytestmark = pytest.mark.integration
__all__ = ["app", "carrier"]  # the fixtures
HANGUP = "<Response><Hangup/></Response>"
HOLD = '<Wait length="30"/>'  # after the verb: the call lasts 30 s unless a document ends it
DTMF_LISTENER = "0300"


async def test_get_digits_hears_the_carriers_dtmf_and_runs_the_action_document(
        app: App, webhooks: WebhookServer, carrier: Carrier) -> None:
    action = webhooks.serve("/digits", HANGUP)
    uuid, to = await app.call("5123", f'<Response><GetDigits action="{action}" method="POST" '
                                      f'numDigits="3" timeout="10"/>{HOLD}</Response>')
    pressed = await app.first("/digits", uuid)
    assert pressed.method == "POST"
    assert pressed.params["Digits"] == "123"
    core_params(pressed, uuid, to, "in-progress")
    assert signed(pressed)
    # The action's <Hangup/> ran: the call ended long before the answer document's Wait.
    hangup = await app.hangup_of(uuid)
    assert (hangup.params["CallStatus"], hangup.params["HangupCause"]) == (
        "completed", "NORMAL_CLEARING")
    assert (await carrier.answered_once(to)).seconds < 10


async def recorded(app: App, webhooks: WebhookServer) -> tuple[str, str, dict[str, str]]:
    """A call to a 1xxx line (its 1000 Hz tone) recorded for 3 s by <Record>; the call's
    uuid, the number dialled and what the Record's action received."""
    action = webhooks.serve("/recorded", HANGUP)
    uuid, to = await app.call("1000", f'<Response><Record action="{action}" maxLength="3" '
                                      f'playBeep="false" finishOnKey="none"/>{HOLD}</Response>')
    done = await app.first("/recorded", uuid)
    core_params(done, uuid, to, "in-progress")
    assert signed(done)
    return uuid, to, done.params


async def test_record_gives_its_action_the_recording(
        app: App, webhooks: WebhookServer, carrier: Carrier, settings: Settings) -> None:
    uuid, to, results = await recorded(app, webhooks)
    name = results["RecordingID"]
    assert name and uuid in name
    assert 2 <= int(results["RecordingDuration"]) <= 4, results
    assert int(results["RecordingDurationMs"]) == 1000 * int(results["RecordingDuration"])
    assert results["RecordUrl"]
    # The recording is the carrier's tone, as long as the action was told.
    wav = settings.recordings_dir / f"{name}.wav"
    assert wav.is_file()
    figures = sox_stat(wav)
    assert abs(figures["Length (seconds)"] - int(results["RecordingDuration"])) <= SLACK
    assert 900 <= figures["Rough   frequency"] <= 1100, figures
    assert (await carrier.answered_once(to)).seconds < 10  # the action's <Hangup/> ran


async def test_record_url_is_a_recording_the_application_downloads(
        app: App, webhooks: WebhookServer, settings: Settings) -> None:
    """The product's intent: RecordUrl is where the application fetches the recording (as on
    Plivo, and as the live Record resource's ``url`` under /api/recordings/{name})."""
    _, _, results = await recorded(app, webhooks)
    url = results["RecordUrl"]
    assert url.startswith(("http://", "https://")), f"RecordUrl is not fetchable: {url!r}"
    async with aiohttp.ClientSession() as session, session.get(
            url, headers={**AUTH, **ACCOUNT_1}) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("audio/")
        body = await response.read()
    local = settings.recordings_dir / f"{results['RecordingID']}.wav"
    assert body == await asyncio.to_thread(local.read_bytes)


async def test_dial_to_an_agent_bridges_it_and_tells_the_action(
        app: App, webhooks: WebhookServer, carrier: Carrier) -> None:
    before = len(carrier.answered("101"))
    action = webhooks.serve("/dialed", HANGUP)
    uuid, to = await app.call("1000", f'<Response><Dial action="{action}" timeLimit="3">'
                                      f'<User>sip:101@cpaas.test</User></Dial>{HOLD}</Response>')
    dialed = await app.first("/dialed", uuid)
    core_params(dialed, uuid, to, "in-progress")
    assert signed(dialed)
    assert dialed.params["DialStatus"] == "completed"
    # The agent answered (its own log), talked for the Dial's timeLimit, then was hung up.
    async def agent_done() -> bool:
        return len(carrier.answered("101")) > before
    await eventually(agent_done, what="agent 101 to log its answered call")
    agent = carrier.answered("101")[-1]
    assert abs(agent.seconds - 3) <= SLACK, agent
    assert abs(int(dialed.params["DialDuration"]) - agent.seconds) <= SLACK, dialed.params
    assert (await carrier.answered_once(to)).seconds < 20


async def test_dial_to_a_number_reports_its_duration(
        app: App, webhooks: WebhookServer, carrier: Carrier) -> None:
    action = webhooks.serve("/dialed", HANGUP)
    dialled = number("7003")  # answers, hangs up after 3 s
    uuid, to = await app.call("1000", f'<Response><Dial action="{action}">'
                                      f'<Number>{dialled}</Number></Dial>{HOLD}</Response>')
    dialed = await app.first("/dialed", uuid)
    core_params(dialed, uuid, to, "in-progress")
    assert dialed.params["DialStatus"] == "completed"
    far = await carrier.answered_once(dialled)
    assert abs(far.seconds - 3) <= SLACK
    assert abs(int(dialed.params["DialDuration"]) - far.seconds) <= SLACK, dialed.params
    assert (await carrier.answered_once(to)).seconds < 20


async def test_dial_to_a_busy_number_says_busy(
        app: App, webhooks: WebhookServer, carrier: Carrier) -> None:
    action = webhooks.serve("/dialed", HANGUP)
    dialled = number("2000")
    uuid, to = await app.call("1000", f'<Response><Dial action="{action}">'
                                      f'<Number>{dialled}</Number></Dial>{HOLD}</Response>')
    dialed = await app.first("/dialed", uuid)
    core_params(dialed, uuid, to, "in-progress")
    assert (dialed.params["DialStatus"], dialed.params["DialDuration"]) == ("busy", "0")
    assert dialed.params["DialHangupCause"] == "USER_BUSY", dialed.params
    assert dialed.params["DialALegUUID"] == dialed.params["CallUUID"]
    assert dialed.params["DialBLegUUID"].startswith(f"{dialed.params['CallUUID']}.")
    assert carrier.reached(dialled) and carrier.answered(dialled) == []
    assert (await carrier.answered_once(to)).seconds < 20


async def test_redirect_runs_the_second_document(
        app: App, webhooks: WebhookServer, carrier: Carrier) -> None:
    second = webhooks.serve("/second", '<Response><DTMF>42</DTMF><Wait length="2"/><Hangup/>'
                                       '</Response>')
    uuid, to = await app.call(DTMF_LISTENER, f'<Response><Redirect method="GET">{second}'
                                             f'</Redirect><DTMF>9</DTMF>{HOLD}</Response>')
    fetched = await app.first("/second", uuid)
    assert fetched.method == "GET"
    core_params(fetched, uuid, to, "in-progress")
    assert signed(fetched)
    heard = await carrier.digits_heard(to, 2)
    assert [d.digit for d in heard] == ["4", "2"]  # the second document; never the 9
    assert (await carrier.answered_once(to)).seconds < 20
    assert "".join(d.digit for d in carrier.digits(to)) == "42"
