"""Agent presence (``GET /api/agents``): each agent extension's registration and activity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import current_account
from engine.api.envelope import ok
from engine.api.routes import RouteSpec
from engine.domain.agents import AgentPresence
from engine.domain.cdr import http_date
from engine.services.agents import AgentDirectory


class AgentView(BaseModel):
    extension: str = Field(description="The agent extension, e.g. 101")
    registration: str = Field(description="registered, unregistered, or unknown (AMI down)")
    state: str = Field(description="idle, ringing, in call, unavailable, or unknown")
    since: str = Field(description="When registration or state last changed (GMT)")
    registration_since: str = Field(description="When the registration became what it is")
    state_since: str = Field(description="When the state became what it is")


class AgentsResponse(BaseModel):
    message: str
    presence: str = Field(description="known, or unknown while the PBX's AMI is not "
                          "followed (then no call is refused for presence)")
    result: list[AgentView]


def agent_view(agent: AgentPresence) -> dict[str, Any]:
    return {
        "extension": agent.extension,
        "registration": agent.registration.value,
        "state": agent.activity.value,
        "since": http_date(agent.since),
        "registration_since": http_date(agent.registration_since),
        "state_since": http_date(agent.activity_since),
    }


class AgentResources:
    def __init__(self, agents: AgentDirectory) -> None:
        self._agents = agents

    def routes(self) -> Sequence[RouteSpec]:
        return (
            RouteSpec("GET", "/api/agents", self.agents,
                      "Agent extensions: registered or not, idle, ringing or in call, since when",
                      response_model=AgentsResponse,
                      description="Followed live over the PBX's AMI (PJSIP contacts and device "
                      "states). click2call and callbacks to an unregistered agent fail at once "
                      "with 409 agent_unregistered."),
        )

    async def agents(self, request: web.Request) -> web.Response:
        listing = self._agents.listing(current_account(request))
        return ok({
            "message": "agents found" if listing else "no agent extension configured",
            "presence": "known" if self._agents.known else "unknown",
            "result": [agent_view(agent) for agent in listing],
        })
