"""The contract's endpoints, one module per resource group, wired by ``build_resources``."""

from __future__ import annotations

from collections.abc import Sequence

from engine.api.resources.callbacks import CallbackResources
from engine.api.resources.calls import CallResources
from engine.api.resources.cdrs import CdrResources
from engine.api.resources.media import MediaResources
from engine.api.resources.otp import OtpResources
from engine.api.resources.templates import TemplateResources
from engine.api.resources.voices import VoiceResources
from engine.api.routes import ResourceGroup
from engine.calls.router import CallRouter
from engine.domain.voices import VoiceCatalogue
from engine.services.callbacks import CallbackService
from engine.services.cdrs import CdrService
from engine.services.click2call import Click2CallService
from engine.services.inbound import InboundService
from engine.services.modify_call import ModifyCallService
from engine.services.otp import OtpService
from engine.services.recordings import RecordingService
from engine.services.templates import TemplateService
from engine.services.transcripts import TranscriptService


def build_resources(
    *, click2call: Click2CallService, modify: ModifyCallService, cdrs: CdrService,
    router: CallRouter, recordings: RecordingService, transcripts: TranscriptService,
    inbound: InboundService, voices: VoiceCatalogue, templates: TemplateService,
    otp: OtpService, callbacks: CallbackService,
) -> Sequence[ResourceGroup]:
    return (
        CallResources(click2call, modify, router),
        OtpResources(otp),
        CallbackResources(callbacks),
        TemplateResources(templates),
        VoiceResources(voices),
        CdrResources(cdrs, router),
        MediaResources(recordings, transcripts, inbound),
    )
