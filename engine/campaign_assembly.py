"""The campaign dialer's edge, assembled for the composition root (``daemon.py``): the file
store, contact and DND lists with their CSV import jobs, campaigns, the dialer and the
iSales write-back (its push goes out through the webhook dispatcher, ``push_token``).

Each ``_…`` method below belongs to one part; ``daemon.py`` calls ``resources`` and
``tasks`` only.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence

from engine.api.resources.campaigns import CampaignResources
from engine.api.resources.contacts import ContactResources
from engine.api.resources.files import FileResources
from engine.api.resources.imports import ImportResources
from engine.api.resources.isales import IsalesResources
from engine.api.routes import ResourceGroup
from engine.ari.backoff import Backoff
from engine.domain.call_limits import CallLimits
from engine.domain.campaigns.breaker import BreakerPolicy
from engine.domain.voices import VoiceCatalogue
from engine.files.factory import build_file_store, scratch_dir
from engine.files.pbx_media import PbxMedia
from engine.files.store import FileStore
from engine.services.campaign_dialer import CampaignDialer, DialerCaps, DialerLauncher
from engine.services.campaigns import CampaignService
from engine.services.contacts import BatchValidator, ContactListService
from engine.services.csv_import import CsvImporter
from engine.services.files import FileService
from engine.services.imports import ImportJobRunner, ImportJobService
from engine.services.isales import BearerAccounts, IsalesService, PushTokens
from engine.settings import Settings
from engine.store.accounts import AccountRepository
from engine.store.call_limits import CallLimitsRepository
from engine.store.campaign_dialer import CampaignDialerRepository
from engine.store.campaigns import CampaignRepository
from engine.store.contacts import ContactRepository
from engine.store.db import Database
from engine.store.imports import ImportJobRepository
from engine.store.isales import IsalesRepository
from engine.webhooks.addresses import AddressPolicy
from engine.webhooks.sealing import TokenSealer


class CampaignAssembly:
    def __init__(self, settings: Settings, db: Database,
                 catalogue: Callable[[], VoiceCatalogue]) -> None:
        self._settings = settings
        self._db = db
        self._catalogue = catalogue  # the speech service's voices

    def resources(self) -> Sequence[ResourceGroup]:
        return (*self._file_resources(), *self._contact_resources(),
                *self._campaign_resources())

    def tasks(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """Supervised side tasks by name (started once the database is up)."""
        return {**self._contact_tasks()}

    # ---- files (engine/files/, api/resources/files.py) ---------------------------------

    @functools.cached_property
    def file_store(self) -> FileStore:
        return build_file_store(self._settings)

    @functools.cached_property
    def pbx_media(self) -> PbxMedia:
        s = self._settings
        return PbxMedia(self.file_store, audio_dir=s.tts_dir, pbx_dir=s.tts_pbx_dir,
                        scratch_dir=scratch_dir(s), convert_seconds=s.file_convert_seconds)

    def _file_resources(self) -> Sequence[ResourceGroup]:
        s = self._settings
        files = FileService(self.file_store, scratch_dir=scratch_dir(s),
                            convert_seconds=s.file_convert_seconds)
        return (FileResources(files, max_bytes=s.file_max_bytes),)

    # ---- contact and DND lists, CSV import jobs ----------------------------------------

    @functools.cached_property
    def _import_validator(self) -> BatchValidator:
        """Row validation off the event loop, shared by JSON adds and CSV imports."""
        return BatchValidator(self._settings.import_workers)

    @functools.cached_property
    def _contact_lists(self) -> ContactListService:
        return ContactListService(ContactRepository(self._db), self._import_validator,
                                  region=self._settings.default_region)

    def _contact_resources(self) -> Sequence[ResourceGroup]:
        jobs = ImportJobService(ImportJobRepository(self._db), self._contact_lists,
                                self.file_store,
                                sync_max_bytes=self._settings.import_sync_max_bytes)
        return (ContactResources(self._contact_lists), ImportResources(jobs))

    def _contact_tasks(self) -> dict[str, Callable[[], Awaitable[None]]]:
        s = self._settings
        importer = CsvImporter(ContactRepository(self._db), self.file_store,
                               self._import_validator, region=s.default_region)
        runner = ImportJobRunner(
            ImportJobRepository(self._db), importer, max_running=s.import_max_running,
            backoff=Backoff(s.reconnect_initial_seconds, s.reconnect_max_seconds),
            on_stop=self._import_validator.close)
        return {"imports": runner.run}

    # ---- campaigns (definitions, control, views) ---------------------------------------

    def _campaign_resources(self) -> Sequence[ResourceGroup]:
        s = self._settings
        campaigns = CampaignService(
            CampaignRepository(self._db), self._catalogue,
            publish=self.pbx_media.publish, max_calls_per_minute=s.dialer_max_calls_per_minute,
            default_region=s.default_region, seal=self._sealer.seal,
            url_policy=AddressPolicy(s.webhook_allow_private, s.webhook_allow_loopback))
        isales = IsalesService(IsalesRepository(self._db), campaigns.get)
        return (CampaignResources(campaigns),
                IsalesResources(BearerAccounts(AccountRepository(self._db)), isales))

    # ---- the iSales write-back (domain/isales.py, services/isales.py) ---------------------

    @functools.cached_property
    def _sealer(self) -> TokenSealer:
        """Seals push tokens with the engine's key (the one account tokens are sealed
        with)."""
        return TokenSealer.from_file(self._settings.secret_key_file)

    async def push_token(self, campaign_id: str) -> str | None:
        """The bearer token of a campaign's iSales push: the webhook dispatcher's lookup
        for deliveries of kind ``isales`` (``WebhookDispatcher.use_bearer_tokens``)."""
        return await PushTokens(IsalesRepository(self._db), self._sealer).token(campaign_id)

    # ---- the dialer (services/campaign_dialer.py, store/campaign_dialer.py) ---------------

    def dialer(self, router: DialerLauncher, *, asterisk_up: Callable[[], bool]
               ) -> CampaignDialer:
        """The campaign dialer; the daemon hooks it to the router and supervises ``run``."""
        s = self._settings
        caps = DialerCaps(
            max_concurrent=s.dialer_max_concurrent_calls,
            calls_per_second=s.dialer_max_calls_per_second,
            lease_seconds=s.dialer_claim_lease_seconds, ring_timeout=s.dial_timeout_seconds,
            breaker=BreakerPolicy(s.dialer_breaker_window, s.dialer_breaker_min_outcomes,
                                  s.dialer_breaker_threshold))
        defaults = CallLimits(s.default_max_concurrent_calls, s.default_calls_per_second)
        return CampaignDialer(
            CampaignDialerRepository(self._db, IsalesRepository(self._db)), router,
            CallLimitsRepository(self._db), defaults, asterisk_up=asterisk_up, caps=caps,
            backoff=Backoff(s.reconnect_initial_seconds, s.reconnect_max_seconds),
            region=s.default_region)
