"""answer_url's failure path on the real stack: answer_url is tried three times, then
fallback_url is fetched and its document runs; invalid XML and an unknown verb take the same
path, and without a fallback_url the call is hung up with the reason recorded, while
hangup_url still hears how it ended.

The carrier's 03xx line answers and logs every DTMF digit it hears: the fallback
document's <DTMF> proves it ran.
"""

from __future__ import annotations

import pytest

from tests.integration.plivo_app import App, Carrier, app, carrier, core_params, signed
from tests.integration.webhook_server import WebhookServer

pytestmark = pytest.mark.integration
__all__ = ["app", "carrier"]  # the fixtures
DTMF_LISTENER = "0300"
FALLBACK = '<Response><DTMF>7</DTMF><Wait length="2"/><Hangup/></Response>'
INVALID_XML = "<Response><Speak>never closed</Response>"
UNKNOWN_VERB = '<Response><Dance style="waltz"/></Response>'


async def test_three_failing_answer_url_tries_then_the_fallback_runs(
        app: App, webhooks: WebhookServer, carrier: Carrier) -> None:
    fallback = webhooks.serve("/fallback", FALLBACK)
    webhooks.serve("/answer", 500)
    uuid, to = await app.call(DTMF_LISTENER, "", fallback_url=fallback,
                              fallback_method="GET")
    tries = await webhooks.wait_for("/answer", 3, timeout=60)
    (fetched,) = await webhooks.wait_for("/fallback", timeout=60)
    for request in (*tries, fetched):
        core_params(request, uuid, to, "in-progress")
        assert signed(request)
    assert [r.method for r in tries] == ["POST"] * 3
    assert fetched.method == "GET"
    assert fetched.at > tries[-1].at
    assert fetched.at - tries[0].at < 60  # all within Plivo's minute
    heard = await carrier.digits_heard(to, 1)
    assert [d.digit for d in heard] == ["7"]
    hangup = await app.hangup_of(uuid)
    core_params(hangup, uuid, to, "completed")
    assert hangup.params["HangupCause"] == "NORMAL_CLEARING"
    assert len(webhooks.requests_to("/answer")) == 3
    assert len(webhooks.requests_to("/fallback")) == 1


@pytest.mark.parametrize("document", [INVALID_XML, UNKNOWN_VERB], ids=["invalid", "unknown"])
async def test_a_document_that_cannot_run_takes_the_fallback(
        app: App, webhooks: WebhookServer, carrier: Carrier, document: str) -> None:
    fallback = webhooks.serve("/fallback", FALLBACK)
    uuid, to = await app.call(DTMF_LISTENER, document, fallback_url=fallback)
    (fetched,) = await webhooks.wait_for("/fallback", timeout=60)
    core_params(fetched, uuid, to, "in-progress")
    heard = await carrier.digits_heard(to, 1)
    assert [d.digit for d in heard] == ["7"]
    hangup = await app.hangup_of(uuid)
    core_params(hangup, uuid, to, "completed")
    assert len(webhooks.requests_to("/answer")) == 3  # a document that cannot run: 3 tries


@pytest.mark.parametrize(("document", "named"), [(INVALID_XML, "xml"),
                                                 (UNKNOWN_VERB, "Dance")],
                         ids=["invalid", "unknown"])
async def test_without_a_fallback_a_document_that_cannot_run_hangs_up(
        app: App, webhooks: WebhookServer, carrier: Carrier, document: str,
        named: str) -> None:
    uuid, to = await app.call(DTMF_LISTENER, document)
    await webhooks.wait_for("/answer", 3, timeout=60)
    hangup = await app.hangup_of(uuid)
    core_params(hangup, uuid, to, "completed")
    assert signed(hangup)
    # The reason reaches the application, naming what was wrong with its document.
    assert hangup.params["HangupCause"] == "DOCUMENT_FAILED", hangup.params
    assert named.lower() in hangup.params["HangupReason"].lower(), hangup.params
    assert hangup.params["HangupReason"].count("try ") == 3  # answer_url was tried 3 times
    assert hangup.params["AnswerTime"] and int(hangup.params["Duration"]) >= 0
    answered = await carrier.answered_once(to)
    assert answered.seconds < 15  # hung up, not left running
    record = await app.record(uuid)
    reason = record["failure_reason"] or ""
    assert reason.startswith("DOCUMENT_FAILED"), record
    assert named.lower() in reason.lower(), reason
    assert (record["hangup_cause"], record["hangup_source"]) == ("DOCUMENT_FAILED", "Error")
    assert carrier.digits(to) == []
