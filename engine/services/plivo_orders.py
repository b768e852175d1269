"""A Plivo make-call request (``POST /v1/Account/{id}/Call/``) into calls: every parameter
of the contract validated, one call per destination (pure, no I/O).

Values may arrive as strings (``"300"``, ``"true"``), as Plivo's own curl examples send
them; every refusal is an ``InvalidField`` naming the parameter."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from engine.domain.call import Call, CallState, Origin
from engine.domain.errors import InvalidField
from engine.domain.ids import new_call_uuid
from engine.domain.numbers import Extension, External, Party, normalize_number
from engine.domain.plivo.flow import answer_program
from engine.domain.plivo.options import (
    DEFAULT_MACHINE_DETECTION_MS,
    DEFAULT_RING_TIMEOUT,
    DEFAULT_TIME_LIMIT,
    ApiCallOptions,
    MachineDetection,
    Webhook,
)
from engine.services.click2call import TelephonyRules
from engine.services.plivo_params import (
    Params,
    flag,
    method,
    refuse,
    text,
    url,
    whole,
)

__all__ = [
    "MAX_DESTINATIONS",
    "build_calls",
    "parse_options",
]

MAX_DESTINATIONS = 100  # bulk `a<b<c`: at most this many calls per request
MAX_CALLER_NAME = 50
MAX_SPEAK_CHARS = 3000
MAX_SECONDS = 7 * 24 * 3600
LIVE_LOOP_FOREVER = 10  # Plivo's loop=true plays "indefinitely": the flow's bound
_SIP_URI = re.compile(r"sips?:([^@;:>\s]+)(?:@[^\s<>]*)?", re.IGNORECASE)
_SEND_DIGITS = re.compile(r"([0-9*#A-Da-dwW]{1,100})(?:@([0-9]{1,5}))?")
_SIP_HEADER = re.compile(r"([A-Za-z0-9]{1,64})=([A-Za-z0-9]{1,256})")
MAKE_CALL_PARAMS = frozenset({
    "from", "to", "answer_url", "answer_method", "ring_url", "ring_method", "hangup_url",
    "hangup_method", "fallback_url", "fallback_method", "caller_name", "send_digits",
    "send_on_preanswer", "time_limit", "hangup_on_ring", "machine_detection",
    "machine_detection_time", "machine_detection_url", "machine_detection_method",
    "sip_headers", "ring_timeout", "parent_call_uuid", "error_if_parent_not_found",
})


# ---- making calls -----------------------------------------------------------------------


def _party(raw: str, rules: TelephonyRules) -> Party:
    sip = _SIP_URI.fullmatch(raw)
    if sip is not None:
        user = sip.group(1)
        if user not in rules.extensions:
            raise InvalidField("to", f"{raw!r} is not a SIP endpoint of this engine (its "
                               "agent extensions are sip:<extension>@…)")
        return Extension(user)
    if raw.lower().startswith(("sip:", "sips:")):
        raise InvalidField("to", f"{raw!r} is not a valid SIP URI such as sip:101@pbx")
    return External(normalize_number(raw, "to", rules.default_region))


def _destinations(params: Params, rules: TelephonyRules) -> list[tuple[str, Party]]:
    raw = text(params, "to", required=True, max_length=MAX_DESTINATIONS * 80)
    parts = [part.strip() for part in raw.split("<")]
    if any(not part for part in parts):
        raise InvalidField("to", "to has an empty destination (bulk calls separate "
                           "destinations with '<')")
    if len(parts) > MAX_DESTINATIONS:
        raise InvalidField("to", f"to has {len(parts)} destinations; at most "
                           f"{MAX_DESTINATIONS} per request")
    return [(part, _party(part, rules)) for part in parts]


def _send_digits(params: Params) -> tuple[str, int]:
    raw = text(params, "send_digits", max_length=110).replace(" ", "")
    if not raw:
        return "", 0
    match = _SEND_DIGITS.fullmatch(raw)
    if match is None:
        raise InvalidField("send_digits", "send_digits must be 1-100 of 0-9, *, #, A-D, w "
                           "(wait 0.5 s) and W (wait 1 s), optionally followed by @<tone ms>")
    digits = "".join(c.upper() if c in "abcd" else c for c in match.group(1))
    tone_ms = int(match.group(2)) if match.group(2) else 0
    if match.group(2) and not 50 <= tone_ms <= 10000:
        raise InvalidField("send_digits", "send_digits' tone length (@ms) must be between "
                           "50 and 10000")
    return digits, tone_ms


def _sip_headers(params: Params) -> tuple[tuple[str, str], ...]:
    value = params.get("sip_headers")
    if isinstance(value, Mapping):
        pairs = [f"{k}={v}" for k, v in value.items()]
    else:
        raw = text(params, "sip_headers", max_length=4000)
        pairs = [p.strip() for p in raw.split(",")] if raw else []
    headers: list[tuple[str, str]] = []
    for pair in pairs:
        match = _SIP_HEADER.fullmatch(pair)
        if match is None:
            raise InvalidField("sip_headers", "sip_headers must be key=value pairs separated "
                               "by commas; keys and values letters and digits only")
        headers.append((match.group(1), match.group(2)))
    if len(headers) > 20:
        raise InvalidField("sip_headers", "sip_headers has more than 20 headers")
    return tuple(headers)


def _machine_detection(params: Params) -> MachineDetection:
    value = params.get("machine_detection")
    if value is True:
        return MachineDetection.REPORT
    raw = text(params, "machine_detection", max_length=10).lower()
    if raw in ("", "false"):
        return MachineDetection.OFF
    if raw == "true":
        return MachineDetection.REPORT
    if raw == "hangup":
        return MachineDetection.HANGUP
    raise InvalidField("machine_detection", "machine_detection must be true or hangup")


def _webhook(params: Params, name: str) -> Webhook | None:
    address = url(params, f"{name}_url")
    chosen = method(params, f"{name}_method")
    return Webhook(address, chosen) if address else None


def parse_options(params: Params, from_number: str, to: str) -> ApiCallOptions:
    """The seed's parameters of one destination (``to`` as sent), validated."""
    answer = Webhook(url(params, "answer_url", required=True), method(params, "answer_method"))
    caller_name = text(params, "caller_name", max_length=MAX_CALLER_NAME)
    digits, tone_ms = _send_digits(params)
    return ApiCallOptions(
        from_number=from_number, to=to, answer=answer,
        ring=_webhook(params, "ring"), hangup=_webhook(params, "hangup"),
        fallback=_webhook(params, "fallback"), caller_name=caller_name,
        send_digits=digits, send_digits_tone_ms=tone_ms,
        send_on_preanswer=flag(params, "send_on_preanswer", False),
        time_limit=whole(params, "time_limit", DEFAULT_TIME_LIMIT, 1, MAX_SECONDS),
        hangup_on_ring=whole(params, "hangup_on_ring", 0, 1, MAX_SECONDS),
        ring_timeout=whole(params, "ring_timeout", DEFAULT_RING_TIMEOUT, 1, 3600),
        machine_detection=_machine_detection(params),
        machine_detection_time=whole(params, "machine_detection_time",
                                     DEFAULT_MACHINE_DETECTION_MS, 2000, 10000),
        machine_detection_url=_webhook(params, "machine_detection"),
        sip_headers=_sip_headers(params),
    )


def build_calls(account_id: str, params: Params, rules: TelephonyRules, now: datetime, *,
                live: Sequence[Call] = (),
                new_id: Callable[[], str] = new_call_uuid) -> list[Call]:
    """Validate a make-call request into one new call per destination (pure but the ids).

    ``live`` are the account's live calls, for ``parent_call_uuid``."""
    unknown = sorted(set(params) - MAKE_CALL_PARAMS)
    if "callback_url" in unknown or "callback_method" in unknown:
        refuse("callback_url", "callback_url (Plivo's asynchronous API requests) is not "
               "supported; the answer itself reports the result")
    if unknown:
        refuse(unknown[0], f"unknown parameter {unknown[0]!r}")
    from_number = text(params, "from", required=True, max_length=32)
    caller_id = normalize_number(from_number, "from", rules.default_region)
    destinations = _destinations(params, rules)
    options = parse_options(params, from_number, destinations[0][0])
    parent = text(params, "parent_call_uuid", max_length=64).lower()
    must_find = flag(params, "error_if_parent_not_found", False)
    if parent and not any(c.request_id == parent for c in live):
        if must_find:
            raise InvalidField("parent_call_uuid", "parent_call_uuid is not a live call of "
                               "this account")
        parent = ""  # Plivo: the call is made, ignoring the parent
    calls = []
    for to, party in destinations:
        api = ApiCallOptions(**{**vars(options), "to": to, "parent_call_uuid": parent})
        calls.append(Call(
            request_id=new_id(), account_id=account_id, origin=Origin.API,
            state=CallState.DIALING_CUSTOMER, caller_id=caller_id, created_at=now,
            customer=party, api=api, answer_program=answer_program(api),
        ))
    return calls
