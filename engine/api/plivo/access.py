"""Who is calling the Plivo façade, and what they sent.

* HTTP Basic auth: user = the account id (Plivo's auth_id), password = its token, checked
  by the same ``Authenticator`` as the seed's headers. The path's ``{auth_id}`` must be
  the login's account; otherwise 401, exactly like a wrong password.
* Parameters: a JSON object (what Plivo's SDKs send) or a form; a body that starts with
  ``{`` is read as JSON whatever its Content-Type (Plivo's curl examples send JSON with
  ``-d`` and no header). GET requests: the query string.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict

from engine.api.auth import Authenticator, basic_login
from engine.api.plivo.shape import PlivoProblem
from engine.domain.accounts import Account

AUTH_FAILED = "Authentication failed"
CHALLENGE = {"WWW-Authenticate": 'Basic realm="cpaas-engine"'}
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


async def basic_account(request: web.Request, authenticator: Authenticator) -> Account:
    """The account of a valid ``Authorization: Basic`` login that the path names; 401
    (one message for every cause) otherwise."""
    refused = PlivoProblem(401, AUTH_FAILED, CHALLENGE)
    login = basic_login(request.headers.get("Authorization", ""))
    if login is None or not login[0] or not login[1]:
        raise refused
    user, password = login
    path_account = request.match_info.get("auth_id")
    if path_account is not None and path_account != user:
        raise refused
    account = await authenticator.authenticate(user, password)
    if account is None:
        raise refused
    return account


def _flatten(pairs: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key in pairs:
        values = [v for v in pairs.getall(key) if isinstance(v, str)]
        if values:
            params[key] = values[0] if len(values) == 1 else values
    return params


async def read_params(request: web.Request) -> dict[str, Any]:
    """The request's parameters: the query for GET, else the JSON object or form body."""
    if request.method == "GET":
        return _flatten(request.query)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PlivoProblem(413, "request body is too large") from None
    try:
        text = raw.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise PlivoProblem(400, "request body is not valid UTF-8") from None
    if not text:
        return _flatten(request.query)
    if request.content_type == "application/json" or text.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise PlivoProblem(400, "request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise PlivoProblem(400, "request body must be a JSON object")
        return data
    if request.content_type in FORM_TYPES:
        return _flatten(await request.post())
    return _flatten(MultiDict(parse_qsl(text, keep_blank_values=True)))
