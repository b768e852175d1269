"""Plivo's V3 request signature, as Plivo's SDKs validate it.

Every request the engine makes to an application's URL carries::

    X-Plivo-Signature-V3:       base64(HMAC-SHA256(auth_token, base + "." + nonce))
    X-Plivo-Signature-Ma-V3:    the same (the engine has no sub-accounts: the account is
                                its own main account)
    X-Plivo-Signature-V3-Nonce: a fresh random nonce

where ``base`` is built from the URL and parameters exactly as
``plivo.utils.signature_v3.validate_v3_signature`` rebuilds it:

- GET: ``scheme://host/path?k=v&k=v`` over the URL's query and the parameters together,
  keys sorted, a key's values sorted, nothing percent-encoded.
- POST: ``scheme://host/path`` then, if there are parameters, ``?`` + the URL's own sorted
  query (+ ``.`` if there was one) + ``k1v1k2v2…`` (keys sorted, no separators).

An application verifies a callback with its auth token::

    from plivo.utils.signature_v3 import validate_v3_signature
    validate_v3_signature(request.method, url_it_configured, headers["X-Plivo-Signature-V3-Nonce"],
                          auth_token, headers["X-Plivo-Signature-V3"], params)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, urlparse, urlunparse

SIGNATURE = "X-Plivo-Signature-V3"
MAIN_ACCOUNT_SIGNATURE = "X-Plivo-Signature-Ma-V3"
NONCE = "X-Plivo-Signature-V3-Nonce"


def new_nonce() -> str:
    """A random nonce (Plivo's are 20 digits)."""
    return str(secrets.randbelow(10**20)).zfill(20)


def _query_map(query: str) -> dict[str, list[str]]:
    return {k: list(v) for k, v in parse_qs(query, keep_blank_values=True).items()}


def _sorted_query(values: Mapping[str, list[str]]) -> str:
    return "&".join("&".join(f"{key}={v}" for v in sorted(values[key]))
                    for key in sorted(values))


def base_string(method: str, url: str, params: Mapping[str, str]) -> str:
    """What is signed (before ``.nonce``), as the SDK's validator rebuilds it."""
    parsed = urlparse(url)
    root = urlunparse((parsed.scheme, parsed.netloc, parsed.path, "", "", ""))
    query = _query_map(parsed.query)
    if method.upper() == "GET":
        # The request's query holds the URL's own pairs and the parameters together.
        merged: dict[str, list[str]] = {k: list(v) for k, v in query.items()}
        for key, value in params.items():
            merged.setdefault(key, []).append(value)
        text = _sorted_query(merged)
        return f"{root}?{text}" if text else root
    text = _sorted_query(query)
    if not params:
        return f"{root}?{text}" if text else root
    base = f"{root}?{text}" + ("." if text else "")
    return base + "".join(f"{key}{params[key]}" for key in sorted(params))


def sign(auth_token: str, method: str, url: str, params: Mapping[str, str],
         nonce: str) -> str:
    """The V3 signature of one request."""
    message = f"{base_string(method, url, params)}.{nonce}".encode()
    digest = hmac.new(auth_token.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_headers(auth_token: str, method: str, url: str, params: Mapping[str, str],
                      nonce: str | None = None) -> dict[str, str]:
    """The headers that sign one request (a fresh nonce unless given)."""
    nonce = nonce or new_nonce()
    value = sign(auth_token, method, url, params, nonce)
    return {SIGNATURE: value, MAIN_ACCOUNT_SIGNATURE: value, NONCE: nonce}


def signer(auth_token: str) -> Callable[[str, str, Mapping[str, str]], dict[str, str]]:
    """A ``guard.Signer`` signing every request (every redirect hop too) with the token."""
    def sign_request(method: str, url: str, params: Mapping[str, str]) -> dict[str, str]:
        return signature_headers(auth_token, method, url, params)
    return sign_request
