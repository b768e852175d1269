"""The HTTP server around the façade: the connection limits aiohttp enforces itself.

Request-line and header limits are checked by aiohttp's parser before any middleware runs.
When one is exceeded aiohttp answers by itself: a plain-text 400 (never 431), then closes the
connection. No public hook shapes that answer. It comes from ``RequestHandler.handle_error``,
the handler class is hard-wired in ``web.Server.__call__``, and ``AppRunner`` builds that
server in its private ``_make_server``. Changing it would mean depending on aiohttp internals,
so these limits are explicit and aiohttp's 400 stays. The total size of the headers is the
application's decision: above ``ApiDeps.max_header_bytes`` it answers 431 ``headers_too_large``
in the envelope (see ``engine.api.middleware``).
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

__all__ = ["ServerLimits", "build_runner"]


@dataclass(frozen=True)
class ServerLimits:
    """Limits for each connection, passed to aiohttp's request handler.

    ``keepalive_timeout``: seconds a connection may stay idle before the server closes it.
    An idle connection is one that has not yet sent a complete request head, or one waiting
    between requests. So this limit also closes a client that trickles its headers. aiohttp's
    own default is about an hour. If a reverse proxy keeps pooled connections to the engine,
    set the proxy's upstream idle timeout below this one.

    ``lingering_time``: after an answer that closes the connection (a 413 for example), how
    many seconds aiohttp keeps reading and discarding the rest of the body before it closes.
    Closing with unread input makes the kernel send a reset, and that reset can destroy the
    answer before the client has read it.

    ``max_line_size``: bytes in the request target (the URL). ``max_field_size``: bytes in
    one header, name and value together. ``max_headers``: how many header lines a request
    may have. Each limit, when exceeded, gets aiohttp's plain-text 400 (see the module
    docstring).
    """

    keepalive_timeout: float = 15.0
    lingering_time: float = 5.0
    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 64

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value <= 0:
                raise ValueError(f"{name} must be positive, not {value!r}")


def _handler_kwargs(limits: ServerLimits) -> dict[str, Any]:
    kwargs = asdict(limits)
    # web.Server catches a TypeError raised by RequestHandler(**kwargs), logs a warning and
    # builds the handler without these kwargs. A renamed kwarg would therefore lose the limit
    # on every connection, quietly. Checking the names here fails at start-up instead.
    accepted = inspect.signature(web.RequestHandler.__init__).parameters
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise RuntimeError(f"this aiohttp's RequestHandler does not accept {unknown}")
    return kwargs


def build_runner(app: web.Application, limits: ServerLimits | None = None) -> web.AppRunner:
    """The runner that serves ``app`` with ``limits`` (the defaults when None).

    The access log is off because ``engine.api.middleware`` writes one. Signals are left to
    the daemon. Call ``await runner.setup()``, then start a ``web.TCPSite`` on the runner.
    """
    return web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        **_handler_kwargs(limits or ServerLimits()),
    )
