"""Liveness and readiness probes for supervisors and load balancers.

They answer plain JSON, not the seed's envelope: they are for machines that check a status
code and a ``status`` word, not for API clients, and need no credentials. ``/healthz`` is
200 while the process runs (even when draining); ``/readyz`` is 200 only when every
dependency is up and the engine is not draining.
"""

from __future__ import annotations

import logging

from aiohttp import web

from engine.api.deps import DrainingFlag, Readiness
from engine.api.envelope import json_response
from engine.api.routes import RouteSpec

log = logging.getLogger(__name__)


class HealthChecks:
    """The ``/healthz`` and ``/readyz`` routes (a ResourceGroup the app always includes)."""

    def __init__(self, readiness: Readiness, lifecycle: DrainingFlag) -> None:
        self._readiness = readiness
        self._lifecycle = lifecycle

    def routes(self) -> list[RouteSpec]:
        return [
            RouteSpec("GET", "/healthz", self.healthz, "Liveness probe", auth=False,
                      tag="health", in_schema=False),
            RouteSpec("GET", "/readyz", self.readyz, "Readiness probe", auth=False,
                      tag="health", in_schema=False),
        ]

    async def healthz(self, request: web.Request) -> web.Response:
        """Always ``200 {"status": "ok"}``: the process is alive and serving HTTP."""
        return json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """``200 ready`` when all components are up; ``503 not_ready``/``draining`` otherwise."""
        try:
            components = dict(self._readiness.components())
            probe_failed = False
        except Exception:
            log.exception("readiness probe failed")
            components, probe_failed = {}, True
        if self._lifecycle.draining:
            status = "draining"
        elif probe_failed or not all(components.values()):
            status = "not_ready"
        else:
            status = "ready"
        body = {
            "status": status,
            "components": {name: "up" if up else "down" for name, up in components.items()},
        }
        return json_response(body, status=200 if status == "ready" else 503)
