"""The parts of the Plivo-compatible API, built for the composition root (``daemon.py``).

``Daemon`` owns the order of construction and the supervised tasks; this module only keeps
the Plivo wiring in one readable place: the user-URL HTTP client, the edge executors a call
needs (document fetch, status callbacks, <Play> downloads, conferences), the answer_url
parser, and the Call/feedback API resources with the account limits behind them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from engine.api.plivo import PlivoCallResources
from engine.api.plivo.feedback import FeedbackResources
from engine.api.routes import ResourceGroup
from engine.ari.backoff import Backoff
from engine.ari.client import AriClient
from engine.calls.conference_ari import AriConferenceOps
from engine.calls.conferences import Conferences
from engine.calls.executors import CommandExecutors, Feedback
from engine.calls.fetch import FetchExecutor
from engine.calls.media_fetch import MediaFetchExecutor
from engine.calls.notify import NotifyExecutor
from engine.calls.router import CallRouter
from engine.domain.call_limits import CallLimits
from engine.domain.commands import Notify
from engine.domain.plivo.document import DocumentContext, parse_document
from engine.domain.plivo.flow import closing
from engine.domain.plivo.params import call_params, live_status
from engine.domain.programs.verbs import Verb
from engine.domain.voices import VoiceCatalogue
from engine.services.accounts import AccountService
from engine.services.call_limits import CallAdmission
from engine.services.click2call import TelephonyRules
from engine.services.feedback import FeedbackService
from engine.services.plivo_calls import PlivoCallService
from engine.settings import Settings
from engine.store.call_limits import CallLimitsRepository
from engine.store.calls import CallRepository
from engine.store.db import Database
from engine.store.feedback import FeedbackRepository
from engine.store.webhooks import WebhookRepository
from engine.webhooks.dispatcher import WebhookDispatcher
from engine.webhooks.guard import GuardedHttp, UrlPolicy

log = logging.getLogger(__name__)

RECOVERY_SECONDS = 24 * 3600


class PlivoAssembly:
    def __init__(self, settings: Settings, db: Database, accounts: AccountService,
                 catalogue: Callable[[], VoiceCatalogue], *,
                 backoff: Callable[[], Backoff]) -> None:
        self._settings = settings
        self._db = db
        self._accounts = accounts
        self._catalogue = catalogue
        self._backoff = backoff
        self.http = GuardedHttp(UrlPolicy.from_settings(settings))
        self.webhooks = WebhookRepository(db)
        self.dispatcher = WebhookDispatcher(
            self.webhooks, self.http, accounts.signing_token,
            max_attempts=settings.webhook_max_attempts, backoff=backoff())
        self.conferences: Conferences | None = None
        self.admission: CallAdmission | None = None
        self._router: CallRouter | None = None

    def parse(self, body: bytes, content_type: str) -> tuple[Verb, ...]:
        """An answer_url/action document into program verbs (ValueError if it cannot run)."""
        s = self._settings
        context = DocumentContext(self._catalogue(), frozenset(s.agent_extensions),
                                  s.default_region)
        return parse_document(body, context)

    def register_executors(self, registry: CommandExecutors, feedback: Feedback,
                           ari: AriClient) -> None:
        """What a call's commands need at the edge, besides ARI call control and timers."""
        s = self._settings
        FetchExecutor(self.http, self.parse, feedback,
                      tokens=self._accounts.signing_token).register(registry)
        # <Play> audio (and http(s) wait sounds) is downloaded through the guard, converted
        # for the PBX and kept beside the speech files, where the PBX reads them.
        media = MediaFetchExecutor(self.http, feedback, audio_dir=s.tts_dir,
                                   pbx_dir=s.tts_pbx_dir, max_bytes=s.play_max_bytes)
        media.register(registry)
        NotifyExecutor(self.webhooks, self.dispatcher.wake,
                       backoff=self._backoff()).register(registry)
        async def notify(request_id: str, command: Notify) -> None:
            await registry.execute(request_id, self._with_call_params(command))

        conferences = Conferences(AriConferenceOps(ari), feedback, notify=notify,
                                  prepare_media=media.prepare)
        conferences.register(registry)
        self.conferences = conferences

    def _with_call_params(self, command: Notify) -> Notify:
        """A conference event carries the member call's own parameters too (From, To,
        CallStatus, X-PH-…), as every Plivo request about a call does."""
        router = self._router
        call = next((c for c in router.live_calls(command.account_id)
                     if c.request_id == command.request_id), None) if router else None
        if call is None or call.api is None:
            return command
        params = {**call_params(call, live_status(call)), **command.params}
        return replace(command, params=params)

    def resources(self, router: CallRouter, calls: CallRepository, rules: TelephonyRules, *,
                  asterisk_up: Callable[[], bool]) -> Sequence[ResourceGroup]:
        """The Call API and feedback routes; the account limits behind ``POST …/Call/``."""
        s = self._settings
        self._router = router
        admission = CallAdmission(
            CallLimitsRepository(self._db), router,
            CallLimits(s.default_max_concurrent_calls, s.default_calls_per_second,
                       s.api_call_queue_limit),
            backoff=self._backoff())
        router.on_finished(admission.on_call_finished)
        self.admission = admission
        feedback = FeedbackService(FeedbackRepository(self._db))
        service = PlivoCallService(router, admission, calls, rules, self._catalogue,
                                   asterisk_up=asterisk_up)
        return (PlivoCallResources(service, self._accounts, deliveries=self.webhooks,
                                   feedback=feedback),
                FeedbackResources(feedback, self._accounts))

    async def recover_hangups(self, started_at: datetime) -> None:
        """Record the hangup callbacks a stopped engine owed: calls that ended (within a
        day) before this engine started, whose hangup_url was never recorded. The step
        that ends a call emits it only after the call's last snapshot is stored, so a
        crash in between would lose it; delivery stays at least once."""
        for call in await self.webhooks.ended_without_hangup(started_at, RECOVERY_SECONDS):
            for command in closing(call):
                if isinstance(command, Notify):
                    await self.webhooks.enqueue(command)
                    log.info("hangup callback recovered", extra={"request_id": call.request_id})
        self.dispatcher.wake()

    def call_queue(self) -> CallAdmission:
        """The account limits' queue (its ``run`` is the dispatcher task); made with the
        resources."""
        if self.admission is None:
            raise RuntimeError("the Plivo resources are not built yet")
        return self.admission

    async def close(self) -> None:
        if self.conferences is not None:
            await self.conferences.close()
        await self.http.close()
