"""The V3 signature is what Plivo's own SDK validator accepts."""

from __future__ import annotations

import pytest
from plivo.utils.signature_v3 import validate_v3_signature

from engine.webhooks.signature import (
    MAIN_ACCOUNT_SIGNATURE,
    NONCE,
    SIGNATURE,
    base_string,
    new_nonce,
    signature_headers,
)

TOKEN = "MzQ3ZGJkN2M0ZjY0NTc5YjQ2NmUxYzgxNzA3ZWJk"
PARAMS = {"CallUUID": "8f0c4c5e-2d6f-4b8e-9d4a-0f3b1f2a9c11", "From": "+14155550100",
          "To": "sip:101@example.com", "CallStatus": "in-progress", "Digits": "",
          "X-PH-Team": "a b&c=d", "Direction": "outbound"}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("url", [
    "https://app.example.com/answer",
    "https://app.example.com/answer/",
    "http://127.0.0.1:8000/hooks/ring?tenant=7&a=x",
    "https://user:pw@app.example.com:8443/a%20b/answer?z=1&z=0",
])
@pytest.mark.parametrize("params", [PARAMS, {}])
def test_the_sdk_validator_accepts_our_signature(method: str, url: str,
                                                 params: dict[str, str]) -> None:
    headers = signature_headers(TOKEN, method, url, params)
    assert headers[MAIN_ACCOUNT_SIGNATURE] == headers[SIGNATURE]
    assert validate_v3_signature(method, url, headers[NONCE], TOKEN, headers[SIGNATURE],
                                 dict(params))
    assert not validate_v3_signature(method, url, headers[NONCE], TOKEN + "x",
                                     headers[SIGNATURE], dict(params))
    assert not validate_v3_signature(method, url, new_nonce(), TOKEN, headers[SIGNATURE],
                                     dict(params))
    if params:
        tampered = {**params, "CallStatus": "completed"}
        assert not validate_v3_signature(method, url, headers[NONCE], TOKEN,
                                         headers[SIGNATURE], tampered)


def test_a_get_validated_with_the_full_request_url_passes_too() -> None:
    # An application may hand the validator the URL it was called at (query included).
    url = "https://app.example.com/answer?tenant=7"
    params = {"CallUUID": "u1", "Digits": "12#"}
    headers = signature_headers(TOKEN, "GET", url, params)
    full = url + "&CallUUID=u1&Digits=12%23"
    assert validate_v3_signature("GET", full, headers[NONCE], TOKEN, headers[SIGNATURE], {})


def test_the_base_string_follows_plivo() -> None:
    assert base_string("POST", "https://a.b/x", {"b": "2", "a": "1"}) == "https://a.b/x?a1b2"
    assert base_string("POST", "https://a.b/x?q=1", {"a": "1"}) == "https://a.b/x?q=1.a1"
    assert base_string("POST", "https://a.b/x", {}) == "https://a.b/x"
    assert base_string("GET", "https://a.b/x?q=1", {"a": "1"}) == "https://a.b/x?a=1&q=1"
    assert base_string("GET", "https://a.b/x", {}) == "https://a.b/x"


def test_nonces_differ() -> None:
    assert len({new_nonce() for _ in range(50)}) == 50
    assert all(len(n) == 20 and n.isdigit() for n in (new_nonce(), new_nonce()))
