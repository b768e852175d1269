"""Builds the aiohttp application: middlewares, probes, docs and the feature routes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from engine.api.deps import DEPS_KEY, ApiDeps
from engine.api.health import HealthChecks
from engine.api.middleware import build_middlewares
from engine.api.openapi import ApiDocs, build_openapi
from engine.api.routes import ResourceGroup, RouteSpec, add_routes, collect_routes

__all__ = ["OPENAPI_KEY", "ROUTES_KEY", "ApiDeps", "build_app"]

ROUTES_KEY = web.AppKey("api_routes", tuple[RouteSpec, ...])
OPENAPI_KEY = web.AppKey("openapi_document", dict[str, Any])


class _Fixed:
    """Already-collected routes, as a ResourceGroup."""

    def __init__(self, routes: Sequence[RouteSpec]) -> None:
        self._routes = list(routes)

    def routes(self) -> list[RouteSpec]:
        return self._routes


def build_app(deps: ApiDeps, resources: Sequence[ResourceGroup] = ()) -> web.Application:
    """The HTTP façade serving ``resources`` (feature route groups) behind the middlewares.

    Always present: ``/healthz``, ``/readyz``, ``/api/openapi.json`` and ``/api/docs``.
    Bodies above ``deps.max_body_bytes`` are refused with 413 before they are read whole.
    A (method, path) declared twice raises ``ValueError`` here, at start-up.
    """
    app = web.Application(client_max_size=deps.max_body_bytes)
    app[DEPS_KEY] = deps
    feature_routes = collect_routes(resources)
    document = build_openapi(feature_routes)
    routes = collect_routes(
        [HealthChecks(deps.readiness, deps.lifecycle), ApiDocs(document), _Fixed(feature_routes)]
    )
    app[ROUTES_KEY] = routes
    app[OPENAPI_KEY] = document
    public = add_routes(app, routes)
    app.middlewares.extend(build_middlewares(deps, public))
    return app
