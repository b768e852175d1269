"""The one composition root: builds every component, supervises tasks, shuts down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from engine.agents_assembly import AgentsAssembly
from engine.ami.client import AmiClient
from engine.api.app import ApiDeps, build_app
from engine.api.resources import build_resources
from engine.api.routes import ResourceGroup
from engine.api.server import ServerLimits, build_runner
from engine.ari.backoff import Backoff
from engine.ari.client import AriClient
from engine.ari.events import AriEvent
from engine.ari.stream import AriEventStream
from engine.calls.conferences import CONFERENCE_EVENT_TYPES
from engine.calls.control import CallControl
from engine.calls.executors import CommandExecutors, Feedback
from engine.calls.outbox import SnapshotOutbox
from engine.calls.reconcile import AsteriskObserver
from engine.calls.router import CallRouter
from engine.calls.speech import SpeechExecutor
from engine.calls.timers import TimerExecutor
from engine.calls.translate import ROUTED_EVENT_TYPES
from engine.calls.witness import CelWitness
from engine.campaign_assembly import CampaignAssembly
from engine.domain.flow import FlowConfig
from engine.lifecycle import Lifecycle
from engine.multiparty_assembly import MultipartyAssembly
from engine.plivo_assembly import PlivoAssembly
from engine.services.accounts import AccountService
from engine.services.callbacks import CallbackScheduler, CallbackService
from engine.services.cdrs import CdrService
from engine.services.click2call import Click2CallService, TelephonyRules
from engine.services.inbound import InboundService
from engine.services.modify_call import ModifyCallService
from engine.services.otp import OtpService
from engine.services.recordings import RecordingService
from engine.services.templates import TemplateService
from engine.services.transcripts import TranscriptService
from engine.settings import Settings
from engine.speech.factory import open_speech
from engine.speech.service import SpeechService
from engine.store.accounts import AccountRepository
from engine.store.callbacks import CallbackRepository
from engine.store.calls import CallRepository
from engine.store.db import Database
from engine.store.journal import CallJournal
from engine.store.templates import TemplateRepository
from engine.store.transcripts import TranscriptRepository
from engine.supervisor import Supervisor
from engine.transcription.whisper import WhisperTranscriber, transcription_available
from engine.webhooks.sealing import TokenSealer

log = logging.getLogger(__name__)


class Readiness:
    """What /readyz reports: each dependency up or down, right now."""

    def __init__(self, db: Database, stream: AriEventStream, ami: AmiClient,
                 accounts_ready: asyncio.Event) -> None:
        self._db, self._stream, self._ami = db, stream, ami
        self._accounts_ready = accounts_ready

    def components(self) -> Mapping[str, bool]:
        # The database counts as up once the first-start accounts exist too, so "ready"
        # means account_1 can already authenticate.
        db_up = self._db.up and self._accounts_ready.is_set()
        return {"ari": self._stream.connected, "ami": self._ami.connected, "db": db_up}


@dataclass(frozen=True)
class Features:
    resources: Sequence[ResourceGroup]
    transcripts: TranscriptService
    scheduler: CallbackScheduler
    agents: AgentsAssembly


class Daemon:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lifecycle = Lifecycle()
        self.accounts_ready = asyncio.Event()

    def _backoff(self) -> Backoff:
        s = self.settings
        return Backoff(s.reconnect_initial_seconds, s.reconnect_max_seconds)

    async def run(self) -> int:
        s = self.settings
        self._handle_signals()
        supervisor = Supervisor()
        db = Database(s.dsn, min_size=s.db_pool_min, max_size=s.db_pool_max,
                      backoff=self._backoff())
        accounts = AccountService(AccountRepository(db),
                                  sealer=TokenSealer.from_file(s.secret_key_file))
        speech = await open_speech(s)
        plivo = PlivoAssembly(s, db, accounts, speech.catalogue, backoff=self._backoff)
        campaigns = CampaignAssembly(s, db, speech.catalogue)
        multiparty = MultipartyAssembly(s, db)
        timeout = aiohttp.ClientTimeout(total=15, connect=3)
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            ari = AriClient(http, s.ari_url, s.ari_user, s.ari_password.get_secret_value(),
                            s.ari_app)
            calls = CallRepository(db)
            # AMI events feed agent presence (only those are asked for and queued).
            agents = AgentsAssembly(s, self._backoff())
            ami = agents.ami
            router = self._router(ari, ami, calls, speech, plivo, multiparty=multiparty)
            observer = AsteriskObserver(ari, CelWitness(s.cel_file))
            router.use_asterisk_view(observer.view)

            async def ari_lost() -> None:
                observer.connection_lost()

            def deliver(event: AriEvent) -> None:
                # Conferences span calls, so their roster hears bridge events beside the router.
                if plivo.conferences is not None:
                    plivo.conferences.observe(event)
                if event.type in ROUTED_EVENT_TYPES:
                    router.deliver(event)

            stream = AriEventStream(
                http, s.ari_url, s.ari_user, s.ari_password.get_secret_value(), s.ari_app,
                backoff=self._backoff(), deliver=deliver,
                on_connected=router.reconcile, on_disconnected=ari_lost,
                event_types=ROUTED_EVENT_TYPES | CONFERENCE_EVENT_TYPES,
            )
            features = self._features(db, ari, calls, router, speech, plivo=plivo,
                                      asterisk_up=lambda: stream.connected,
                                      agents=agents)
            resources = (*features.resources, *campaigns.resources(), *agents.resources(),
                         *multiparty.resources(router, accounts,
                                               asterisk_up=lambda: stream.connected,
                                               presence=agents.directory,
                                               record_refused=calls.save))
            dialer = campaigns.dialer(router, asterisk_up=lambda: stream.connected)
            router.on_finished(dialer.on_call_finished)
            app = build_app(
                ApiDeps(authenticator=accounts,
                        readiness=Readiness(db, stream, ami, self.accounts_ready),
                        lifecycle=self.lifecycle, max_body_bytes=s.max_body_bytes,
                        max_header_bytes=s.http_max_header_bytes),
                resources=resources,
            )
            runner = await self._serve_http(app)
            log.info("http listening", extra={"host": s.http_host, "port": s.http_port})

            supervisor.start("db", db.run())
            supervisor.start("bootstrap", self._bootstrap(db, accounts), forever=False)
            supervisor.start("ari-events", stream.run())
            supervisor.start("router", self._route(db, router))
            self._start_features(supervisor, db, router, features=features, plivo=plivo,
                                 campaigns=campaigns, multiparty=multiparty)
            supervisor.start("campaign-dialer", self._after_restore(router, dialer.run))
            code = await self._until_stopped(supervisor)
            self.lifecycle.start_draining()
            await self._drain(router)
            await supervisor.stop()
            await router.close()
            await plivo.close()
            await runner.cleanup()
            await db.close()
            speech.close()
        log.info("engine stopped")
        return code

    def _start_features(self, supervisor: Supervisor, db: Database, router: CallRouter, *,
                        features: Features, plivo: PlivoAssembly,
                        campaigns: CampaignAssembly, multiparty: MultipartyAssembly) -> None:
        supervisor.start("transcripts", self._after_db(db, features.transcripts.run))
        supervisor.start("ami", features.agents.ami.run())
        supervisor.start("agent-presence", features.agents.follow())
        supervisor.start("callbacks", self._after_restore(router, features.scheduler.run))
        plivo.dispatcher.use_bearer_tokens(campaigns.push_token)  # the iSales push
        supervisor.start("webhooks", self._after_db(db, plivo.dispatcher.run))
        supervisor.start("multiparty", self._after_restore(router, multiparty.run))
        supervisor.start("call-queue", self._after_restore(router, plivo.call_queue().run))
        started_at = datetime.now(UTC)
        supervisor.start("hangup-recovery", self._after_restore(
            router, lambda: plivo.recover_hangups(started_at)), forever=False)
        for name, task in campaigns.tasks().items():
            supervisor.start(name, self._after_restore(router, task))

    async def _until_stopped(self, supervisor: Supervisor) -> int:
        stop = asyncio.ensure_future(self.lifecycle.stop_requested.wait())
        waiting: set[asyncio.Future[Any]] = {stop, supervisor.failed}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if supervisor.failed in done:
            log.error("stopping after a task failure",
                      extra={"error": str(supervisor.failed.result())})
            return 1
        return 0

    def _router(self, ari: AriClient, ami: AmiClient, calls: CallRepository,
                speech: SpeechService, plivo: PlivoAssembly, *,
                multiparty: MultipartyAssembly) -> CallRouter:
        s = self.settings

        def executors(feedback: Feedback) -> CommandExecutors:
            registry = CommandExecutors()
            CallControl(ari, s.trunk_endpoint, feedback, ami=ami).register(registry)
            TimerExecutor(feedback).register(registry)
            SpeechExecutor(speech, feedback).register(registry)
            plivo.register_executors(registry, feedback, ari)
            multiparty.register_executors(plivo.conferences, feedback, ari)
            return registry

        outbox = SnapshotOutbox(calls, CallJournal(s.journal_path))
        return CallRouter(executors, calls, outbox, FlowConfig(
            dial_timeout=s.dial_timeout_seconds, recordings_url=f"{s.base_url}/api/recordings"),
                          save_retry=self._backoff)

    def _features(self, db: Database, ari: AriClient, calls: CallRepository,
                  router: CallRouter, speech: SpeechService, *, plivo: PlivoAssembly,
                  asterisk_up: Callable[[], bool], agents: AgentsAssembly) -> Features:
        """Every feature service, and the API resources that face them."""
        s = self.settings
        rules = TelephonyRules(s.agent_extensions, s.default_region)
        can_transcribe = transcription_available()
        transcripts = TranscriptService(
            TranscriptRepository(db), WhisperTranscriber() if can_transcribe else None,
            s.recordings_dir,
        )
        router.on_finished(transcripts.on_call_finished)
        inbound = InboundService(router, calls, ari, rules)
        router.on_inbound(inbound.on_stasis_start)
        click2call = Click2CallService(router, rules, asterisk_up=asterisk_up,
                                       can_transcribe=can_transcribe,
                                       presence=agents.directory, record_refused=calls.save)
        templates = TemplateService(TemplateRepository(db))
        callback_repo = CallbackRepository(db)
        callbacks = CallbackService(callback_repo, click2call)
        router.on_finished(callbacks.on_call_finished)
        resources = (*build_resources(
            click2call=click2call,
            modify=ModifyCallService(router, rules),
            cdrs=CdrService(calls),
            router=router,
            recordings=RecordingService(calls, s.recordings_dir),
            transcripts=transcripts,
            inbound=inbound,
            voices=speech.catalogue(),
            templates=templates,
            otp=OtpService(router, templates, speech.catalogue, rules, asterisk_up=asterisk_up),
            callbacks=callbacks,
        ), *plivo.resources(router, calls, rules, asterisk_up=asterisk_up))
        scheduler = CallbackScheduler(callback_repo, click2call, backoff=self._backoff())
        return Features(resources, transcripts, scheduler, agents)

    def _handle_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.lifecycle.start_draining)

    async def _serve_http(self, app: web.Application) -> web.AppRunner:
        s = self.settings
        runner = build_runner(app, ServerLimits(
            keepalive_timeout=s.http_keepalive_seconds,
            lingering_time=s.http_lingering_seconds,
            max_line_size=s.http_max_line_bytes,
            max_field_size=s.http_max_field_bytes,
            max_headers=s.http_max_headers,
        ))
        await runner.setup()
        site = web.TCPSite(runner, s.http_host, s.http_port, reuse_address=True)
        await site.start()
        return runner

    async def _bootstrap(self, db: Database, accounts: AccountService) -> None:
        await db.ready.wait()
        generated = await accounts.bootstrap(self.settings.bootstrap_accounts,
                                             self.settings.credentials_file)
        self.accounts_ready.set()
        for account_id, token in generated.items():
            # Printed once, on first start, so the operator can copy it; also in the 0600 file.
            print(f"created {account_id} with auth token {token} "
                  f"(saved in {self.settings.credentials_file})", flush=True)

    async def _route(self, db: Database, router: CallRouter) -> None:
        await db.ready.wait()
        await router.restore()
        await router.run()

    @staticmethod
    async def _after_db(db: Database, run: Callable[[], Awaitable[None]]) -> None:
        await db.ready.wait()
        await run()

    @staticmethod
    async def _after_restore(router: CallRouter, run: Callable[[], Awaitable[None]]) -> None:
        # Callbacks look for calls a crash left unplaced: the journal must be replayed and
        # the live calls restored first.
        await router.restored()
        await run()

    async def _drain(self, router: CallRouter) -> None:
        """Let live calls finish, up to the grace period."""
        grace = self.settings.shutdown_grace_seconds
        deadline = asyncio.get_running_loop().time() + grace
        while router.live_call_count() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
        if router.live_call_count():
            log.warning("grace period over with live calls",
                        extra={"live_calls": router.live_call_count()})


def serve(settings: Settings) -> int:
    """Entry point of ``python -m engine serve``."""
    return asyncio.run(Daemon(settings).run())
