"""The route registry: every API endpoint is declared once, as data, by its resource group.

A feature module (click2call, CDRs, …) exposes a class with ``routes()``; the composition
root passes an instance to ``build_app``. The same declarations drive aiohttp's router,
the auth middleware (``auth=False`` makes a route public) and the OpenAPI document/docs page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteKey = tuple[str, str]

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RouteSpec:
    """One endpoint: where it is, who handles it, and what it takes and gives.

    ``request_model`` is the pydantic model of the JSON body (validated by the handler with
    ``read_model``); ``response_model`` describes the fields inside the success envelope.
    Both only feed the OpenAPI document and the docs page; the handler stays in charge.
    ``example`` is the body shown in the docs' curl line (default: built from the model).
    ``in_schema=False`` keeps a route out of the OpenAPI document and the docs page.
    """

    method: str
    path: str
    handler: Handler
    summary: str
    request_model: type[BaseModel] | None = None
    response_model: type[BaseModel] | None = None
    auth: bool = True
    description: str = ""
    tag: str = "api"
    example: Mapping[str, Any] | None = None
    in_schema: bool = True

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"{self.method!r} is not one of {sorted(METHODS)} (upper case)")
        if not self.path.startswith("/"):
            raise ValueError(f"route path {self.path!r} must start with '/'")

    @property
    def key(self) -> RouteKey:
        """(method, path): unique across the application."""
        return (self.method, self.path)

    @property
    def operation_id(self) -> str:
        """A stable OpenAPI operationId such as ``post_api_click2call``."""
        slug = "".join(c if c.isalnum() else "_" for c in self.path.strip("/"))
        return f"{self.method.lower()}_{slug}"


class ResourceGroup(Protocol):
    """A feature's HTTP face: its routes, with handlers bound to its services."""

    def routes(self) -> Sequence[RouteSpec]:
        """The routes this group serves."""
        ...


def collect_routes(groups: Iterable[ResourceGroup]) -> tuple[RouteSpec, ...]:
    """All routes of ``groups`` in order; a (method, path) declared twice is an error."""
    seen: dict[RouteKey, RouteSpec] = {}
    for group in groups:
        for route in group.routes():
            if route.key in seen:
                raise ValueError(f"route {route.method} {route.path} is declared twice")
            seen[route.key] = route
    return tuple(seen.values())


def add_routes(app: web.Application, routes: Iterable[RouteSpec]) -> frozenset[web.AbstractRoute]:
    """Register ``routes`` with aiohttp's router (no implicit HEAD for GET).

    Returns the registered routes declared ``auth=False``, for the auth middleware.
    """
    public: set[web.AbstractRoute] = set()
    for route in routes:
        registered = app.router.add_route(route.method, route.path, route.handler)
        if not route.auth:
            public.add(registered)
    return frozenset(public)
