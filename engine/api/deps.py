"""What the façade needs from the rest of the daemon, injected once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from engine.api.auth import Authenticator

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_HEADER_BYTES = 32 * 1024


class Readiness(Protocol):
    """Reports each dependency up (True) or down (False), right now, without I/O."""

    def components(self) -> Mapping[str, bool]:
        """E.g. ``{"ari": True, "ami": False, "db": True}``."""
        ...


class DrainingFlag(Protocol):
    """The daemon's lifecycle as the façade sees it (engine.lifecycle.Lifecycle fits)."""

    @property
    def draining(self) -> bool:
        """True once shutdown started: new API requests are refused with 503."""
        ...


@dataclass(frozen=True)
class ApiDeps:
    """Everything the HTTP façade itself needs; feature services come in ResourceGroups."""

    authenticator: Authenticator
    readiness: Readiness
    lifecycle: DrainingFlag
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    """All request headers together (names, values, separators); more is 431."""

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        if self.max_header_bytes < 1:
            raise ValueError("max_header_bytes must be positive")


DEPS_KEY = web.AppKey("api_deps", ApiDeps)
