"""What a Plivo API call asked for (``POST /v1/Account/{id}/Call/``), already validated."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEFAULT_TIME_LIMIT = 14400
DEFAULT_RING_TIMEOUT = 120
DEFAULT_MACHINE_DETECTION_MS = 5000


@dataclass(frozen=True)
class Webhook:
    url: str
    method: str = "POST"


class MachineDetection(StrEnum):
    OFF = ""
    REPORT = "true"  # the verdict goes to every webhook as Machine=true|false
    HANGUP = "hangup"  # a machine is hung up at once


@dataclass(frozen=True)
class ApiCallOptions:
    """The seed's parameters of one destination. ``from_number``/``to`` are kept as the
    application sent them: webhooks echo them back as ``From``/``To``."""

    from_number: str
    to: str
    answer: Webhook
    ring: Webhook | None = None
    hangup: Webhook | None = None
    fallback: Webhook | None = None
    caller_name: str = ""
    send_digits: str = ""
    send_digits_tone_ms: int = 0
    send_on_preanswer: bool = False
    time_limit: int = DEFAULT_TIME_LIMIT  # seconds from answer; 0: none
    hangup_on_ring: int = 0  # seconds from ringing; 0: none
    ring_timeout: int = DEFAULT_RING_TIMEOUT
    machine_detection: MachineDetection = MachineDetection.OFF
    machine_detection_time: int = DEFAULT_MACHINE_DETECTION_MS
    machine_detection_url: Webhook | None = None
    sip_headers: tuple[tuple[str, str], ...] = ()
    parent_call_uuid: str = ""
