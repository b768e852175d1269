"""The two parties of the Plivo benchmark (``benchmarks.plivo_call``): the application's
webhook server, the raw-ARI phase and the engine phase, with the constants they share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from defusedxml.ElementTree import fromstring
from plivo.utils.signature_v3 import validate_v3_signature

from benchmarks.click2call import BENCH_ENV, CALLER_ID, RawAriCalls
from benchmarks.otp import customer
from engine.ari.query import basic_auth_header
from engine.webhooks.signature import NONCE, SIGNATURE, signature_headers

# The bench account's limits, never the bottleneck (calls/s: the engine's maximum).
CALLS_PER_SECOND, MAX_CONCURRENT = "1000", "10000"
PLIVO_ENV = {
    **BENCH_ENV,
    "ENGINE_VAR_DIR": "var/plivo-bench",
    "ENGINE_STACK_NAME": "cpaas-plivobench",
    "ENGINE_HTTP_PORT": "29080",
    "ENGINE_DB_PORT": "29433",
    "ENGINE_ARI_URL": "http://127.0.0.1:29088",
    "ENGINE_AMI_PORT": "29038",
    "ENGINE_SIP_PORT": "29060",
    "ENGINE_TRUNK_PORT": "29070",
    "ENGINE_CARRIER_AMI_PORT": "29039",
    "ENGINE_SIMULATED_AGENTS": "",
    "ENGINE_WEBHOOK_ALLOW_LOOPBACK": "true",
    "ENGINE_DEFAULT_CALLS_PER_SECOND": CALLS_PER_SECOND,
    "ENGINE_DEFAULT_MAX_CONCURRENT_CALLS": MAX_CONCURRENT,
}
ACCOUNT, TOKEN = "account_1", "bench-token"  # BENCH_ENV's bootstrap account
CALLS = f"/v1/Account/{ACCOUNT}/Call/"
TEXT = "Your code is 1 2 3 4"
DOCUMENT = f"<Response><Speak>{TEXT}</Speak></Response>"
ANSWER, HANGUP, RAW_HANGUP = "/answer", "/hangup", "/raw-hangup"
RAW_APP = "bench-plivo-raw"
CALL_TIMEOUT = 60.0


@dataclass(frozen=True)
class Hook:
    """One request the application's server received."""

    method: str
    path: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]


class Application:
    """The application's webhook server on loopback: serves the document at ``ANSWER`` and
    records every request; a hangup notification completes its call's future."""

    def __init__(self) -> None:
        self.base_url = ""
        self.received: list[Hook] = []
        self._ended: dict[str, asyncio.Future[float]] = {}

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def ended(self, call_id: str) -> asyncio.Future[float]:
        """Resolves to ``perf_counter()`` when the call's hangup notification arrives."""
        if call_id not in self._ended:
            self._ended[call_id] = asyncio.get_running_loop().create_future()
        return self._ended[call_id]

    def requests_to(self, path: str) -> list[Hook]:
        return [hook for hook in self.received if hook.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.perf_counter()
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        self.received.append(Hook(request.method, request.path, str(request.url),
                                  dict(request.headers), params))
        if request.path == ANSWER:
            return web.Response(text=DOCUMENT, content_type="application/xml")
        if request.path in (HANGUP, RAW_HANGUP) and "CallUUID" in params:
            done = self.ended(params["CallUUID"])
            if not done.done():
                done.set_result(arrived)
        return web.Response(text="")

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[Application]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            await runner.cleanup()


async def completion(app: Application, call_id: str, started: float) -> float:
    """Ms from ``started`` to the call's hangup notification (at most ``CALL_TIMEOUT``)."""
    ended = await asyncio.wait_for(asyncio.shield(app.ended(call_id)), CALL_TIMEOUT)
    return (ended - started) * 1000


class RawAriPlivo(RawAriCalls):
    """The pattern written directly against ARI. ``latencies_ms``: the originates."""

    def __init__(self, ari: aiohttp.ClientSession, base: str, web_session: aiohttp.ClientSession,
                 app: Application, media: str) -> None:
        super().__init__(ari, base, RAW_APP)
        self.web, self.hooks, self.media = web_session, app, media
        self.call_ms: list[float] = []
        self.bad_documents = 0
        self.failed_playbacks = 0



    def _params(self, cid: str, status: str) -> dict[str, str]:
        return {"CallUUID": cid, "RequestUUID": cid, "From": CALLER_ID,
                "To": customer(int(cid[3:-2])), "Direction": "outbound", "CallStatus": status}

    async def _answered(self, cid: str) -> None:
        """Fetch the document, say its <Speak> (the cached clip), or hang up."""
        async with self.web.post(self.hooks.url(ANSWER),
                                 data=self._params(cid, "in-progress")) as reply:
            body = await reply.read()
        speak = fromstring(body).find("Speak")
        if speak is None or (speak.text or "").strip() != TEXT:
            self.bad_documents += 1
            await self._ari("DELETE", f"/channels/{cid}")
            return
        await self._ari("POST", f"/channels/{cid}/play/{cid}.p", media=self.media)

    async def _notify(self, cid: str) -> None:
        url, params = self.hooks.url(RAW_HANGUP), self._params(cid, "completed")
        async with self.web.post(url, data=params, headers=signature_headers(
                TOKEN, "POST", url, params)) as reply:
            await reply.read()

    async def _on_event(self, event: dict[str, object]) -> None:
        kind = event["type"]
        if kind == "StasisStart":
            channel = event["channel"]
            assert isinstance(channel, dict)
            self._spawn(self._answered(str(channel["id"])))
        elif kind == "PlaybackFinished":
            playback = event["playback"]
            assert isinstance(playback, dict)
            if playback.get("state") != "done":
                self.failed_playbacks += 1
            cid = str(playback["target_uri"]).removeprefix("channel:")
            self._spawn(self._ari("DELETE", f"/channels/{cid}"))
        elif kind == "ChannelDestroyed":
            channel = event["channel"]
            assert isinstance(channel, dict)
            if str(channel["id"]) in self.done:
                self._spawn(self._notify(str(channel["id"])))

    async def one_call(self, n: int) -> None:
        cid = f"plv{n}.c"  # the suffix keeps an id from being a prefix of another live one
        self.done[cid] = asyncio.Event()
        started = time.perf_counter()
        await self._post("/channels", endpoint=f"PJSIP/{customer(n)}@carrier", app=self.app,
                         channelId=cid, callerId=CALLER_ID, timeout="30", appArgs="leg")
        self.call_ms.append(await completion(self.hooks, cid, started))


class EnginePlivo:
    """The same pattern through the engine's Plivo-compatible Call API."""

    def __init__(self, session: aiohttp.ClientSession, app: Application) -> None:
        self.session, self.app = session, app
        self.auth = basic_auth_header(ACCOUNT, TOKEN)
        self.latencies_ms: list[float] = []
        self.call_ms: list[float] = []
        self.uuids: list[str] = []
        self.queued = 0

    async def one_call(self, n: int) -> None:
        body = {"from": CALLER_ID, "to": customer(n), "answer_url": self.app.url(ANSWER),
                "answer_method": "POST", "hangup_url": self.app.url(HANGUP),
                "hangup_method": "POST"}
        started = time.perf_counter()
        async with self.session.post(CALLS, json=body, headers=self.auth) as response:
            payload = await response.json(content_type=None)
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status not in (200, 201):
            raise RuntimeError(f"POST {CALLS} answered {response.status}: {payload}")
        self.queued += response.status == 200  # "call queued": an account limit was met
        uuid = str(payload["request_uuid"])
        self.uuids.append(uuid)
        self.call_ms.append(await completion(self.app, uuid, started))

    async def settle(self) -> None:
        """Until the account has no live call (at most ``CALL_TIMEOUT``)."""
        deadline = time.perf_counter() + CALL_TIMEOUT
        while time.perf_counter() < deadline:
            async with self.session.get(CALLS, params={"status": "live"},
                                        headers=self.auth) as response:
                payload = await response.json(content_type=None)
            if not payload.get("calls"):
                return
            await asyncio.sleep(0.05)

    async def _ended_record(self, uuid: str) -> bool:
        async with self.session.get(f"{CALLS}{uuid}/", headers=self.auth) as response:
            body = await response.json(content_type=None) if response.status == 200 else {}
        return (body.get("call_direction") == "outbound"
                and body.get("call_status") == "completed" and bool(body.get("answer_time")))

    async def without_ended_record(self) -> list[str]:
        """The calls whose ended-call details are missing or not a completed answered call
        (asked again for up to 10 s, in case a record is still being written)."""
        pending, deadline = list(self.uuids), time.perf_counter() + 10
        while True:
            found = await asyncio.gather(*(self._ended_record(u) for u in pending))
            pending = [u for u, ok in zip(pending, found, strict=True) if not ok]
            if not pending or time.perf_counter() > deadline:
                return pending
            await asyncio.sleep(1)


def signed(hook: Hook) -> bool:
    """Whether Plivo's own SDK validator accepts the request with the account's token."""
    nonce, signature = hook.headers.get(NONCE), hook.headers.get(SIGNATURE)
    return bool(nonce and signature and validate_v3_signature(
        hook.method, hook.url, nonce, TOKEN, signature,
        hook.params if hook.method == "POST" else None))
