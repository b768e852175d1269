"""OTP calls on the real stack: the carrier hears the code (transcribed by whisper), the CDR
words are right for every outcome, and the code is never stored or logged."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from engine.settings import Settings
from engine.transcription.whisper import WhisperTranscriber
from tests.integration.helpers import (
    ANSWER,
    BUSY,
    CALLER_ID,
    NOANSWER,
    UNREACHABLE,
    call_api,
    eventually,
    finished_recording,
    number,
    wait_ended,
)
from tests.integration.stack import ACCOUNT_2
from tests.integration.test_templates import create, engine_cli

pytestmark = pytest.mark.integration

TEMPLATE = "Your one time password is {otp}. Thank you."
_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "to": "2", "too": "2",
          "three": "3", "four": "4", "for": "4", "five": "5", "six": "6", "seven": "7",
          "eight": "8", "nine": "9"}


@pytest.fixture(scope="module")
async def approved_template(http: aiohttp.ClientSession) -> str:
    template_id = await create(http, "otp for tests", TEMPLATE)
    result = await engine_cli("templates", "approve", template_id)
    assert result.returncode == 0, result.stderr
    return template_id


def otp_body(template_id: str, customer: str, otp: str, **extra: str) -> dict[str, str]:
    return {"customer_number": customer, "otp": otp, "announce_template_id": template_id,
            "repeat": "1", "caller_id": CALLER_ID, **extra}


def heard_file(settings: Settings, customer: str) -> Path | None:
    heard = settings.var_dir / "asterisk" / "carrier" / "spool" / "heard"
    found = [p for p in heard.glob(f"{customer}-*.wav") if not p.name.endswith("-mix.wav")]
    return found[0] if found else None


def spoken_digits(text: str) -> str:
    """The digits a transcript says, whether whisper wrote words or figures."""
    digits = []
    for token in re.findall(r"[a-z]+|[0-9]", text.lower()):
        if token.isdigit():
            digits.append(token)
        elif token in _WORDS:
            digits.append(_WORDS[token])
    return "".join(digits)


async def place(http: aiohttp.ClientSession, body: dict[str, str]) -> str:
    status, reply = await call_api(http, "POST", "/api/outbound_call", body)
    assert status == 200, reply
    assert set(reply["response"]) == {"request_id", "success"}
    request_id: str = reply["response"]["request_id"]
    return request_id


@pytest.mark.parametrize(("engine", "voice"), [("standard", "Raveena"), ("neural", "Joanna")])
async def test_the_customer_hears_the_code_digit_by_digit(
    http: aiohttp.ClientSession, settings: Settings, approved_template: str, engine: str,
    voice: str,
) -> None:
    customer, otp = number(ANSWER), "4827"
    request_id = await place(http, otp_body(approved_template, customer, otp, voice=voice,
                                            tts_engine_type=engine, rate="slow"))
    rows = await wait_ended(http, request_id, timeout=60)
    (row,) = rows
    assert row["dial_status"] == "ANSWER" and row["destination_context"]
    assert row["dialed_number"] == customer and row["request_id"] == request_id

    async def recording() -> Path | None:
        return heard_file(settings, customer)

    heard = await finished_recording(
        await eventually(recording, timeout=10, what="the carrier's recording"))
    text = await asyncio.to_thread(WhisperTranscriber().transcribe, heard)
    assert otp in spoken_digits(text), text
    assert "time" in text.lower(), text  # "Your one time password is …" (the template)


async def test_the_code_is_never_stored_nor_logged(
    http: aiohttp.ClientSession, settings: Settings, approved_template: str,
) -> None:
    otp = "731946"
    request_id = await place(http, otp_body(approved_template, number(ANSWER), otp))
    await wait_ended(http, request_id, timeout=60)
    conn = await asyncpg.connect(settings.dsn)
    try:
        snapshot = await conn.fetchval("SELECT snapshot::text FROM calls WHERE request_id = $1",
                                       request_id)
        cdrs = await conn.fetch("SELECT * FROM cdrs WHERE request_id = $1", request_id)
    finally:
        await conn.close()
    assert snapshot is not None and otp not in snapshot
    assert cdrs and all(otp not in str(dict(row)) for row in cdrs)
    log = (settings.var_dir / "log" / "engine.log").read_text()
    assert otp not in log


@pytest.mark.parametrize(("line", "status"), [(BUSY, "BUSY"), (NOANSWER, "NOANSWER"),
                                              (UNREACHABLE, "CHANUNAVAIL")])
async def test_unanswered_numbers_get_the_right_cdr_words(
    http: aiohttp.ClientSession, approved_template: str, line: str, status: str,
) -> None:
    request_id = await place(http, otp_body(approved_template, number(line), "1234"))
    (row,) = await wait_ended(http, request_id, timeout=60)
    assert row["dial_status"] == status
    assert row["billsec"] is None


async def test_an_otp_call_counts_as_live_otp(
    http: aiohttp.ClientSession, approved_template: str,
) -> None:
    request_id = await place(http, otp_body(approved_template, number(ANSWER), "55", repeat="3"))

    async def counted() -> dict[str, Any] | None:
        status, body = await call_api(http, "GET", "/api/get_live_call_statistics")
        assert status == 200, body
        result: dict[str, Any] = body["response"]["result"]
        return result if result["live_calls_otp"] >= 1 else None

    await eventually(counted, timeout=10, what="the OTP call in live_calls_otp")
    await wait_ended(http, request_id, timeout=60)


async def test_the_seeds_own_body_is_accepted(
    http: aiohttp.ClientSession, approved_template: str,
) -> None:
    body = {"customer_number": number(ANSWER), "otp": "1987",
            "announce_template_id": approved_template, "repeat": "1",
            "caller_id": "15168148111", "voice": "Raveena", "volume": "soft", "rate": "slow",
            "pitch": "medium", "language_code": "en-US", "tts_engine_type": "standard"}
    request_id = await place(http, body)
    await wait_ended(http, request_id, timeout=60)


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"otp": "12-34"}, "otp", "invalid_field"),
    ({"otp": ""}, "otp", "invalid_field"),
    ({"repeat": "6"}, "repeat", "invalid_field"),
    ({"repeat": "two"}, "repeat", "invalid_field"),
    ({"voice": "Nobody"}, "voice", "invalid_field"),
    ({"language_code": "xx-YY"}, "language_code", "invalid_field"),
    ({"tts_engine_type": "premium"}, "tts_engine_type", "invalid_field"),
    ({"volume": "xx-loud"}, "volume", "invalid_field"),
    ({"customer_number": "12"}, "customer_number", "invalid_field"),
    ({"announce_template_id": "AN0000000000"}, "announce_template_id", "template_not_found"),
])
async def test_bad_fields_are_422_naming_the_field(
    http: aiohttp.ClientSession, approved_template: str, change: dict[str, str], field: str,
    code: str,
) -> None:
    status, body = await call_api(http, "POST", "/api/outbound_call",
                                  {**otp_body(approved_template, number(ANSWER), "1234"),
                                   **change})
    assert status == 422, body
    assert body["response"]["error"] == code
    assert body["response"]["details"]["field"] == field


async def test_templates_must_be_approved_and_the_accounts_own(
    http: aiohttp.ClientSession, approved_template: str,
) -> None:
    pending = await create(http, "not yet approved", TEMPLATE)
    status, body = await call_api(http, "POST", "/api/outbound_call",
                                  otp_body(pending, number(ANSWER), "1234"))
    assert status == 422 and body["response"]["error"] == "template_not_approved", body
    # Another account's approved template looks exactly like a missing one.
    status, body = await call_api(http, "POST", "/api/outbound_call",
                                  otp_body(approved_template, number(ANSWER), "1234"),
                                  headers=ACCOUNT_2)
    assert status == 422 and body["response"]["error"] == "template_not_found", body
