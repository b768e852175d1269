"""Agent presence, assembled: the PBX's AMI client (asked for presence events), the agent
directory it feeds, and ``GET /api/agents``. The daemon wires these few pieces."""

from __future__ import annotations

from collections.abc import Sequence

from engine.ami.client import AmiClient
from engine.ami.messages import CONNECTED, DISCONNECTED
from engine.api.resources.agents import AgentResources
from engine.api.routes import ResourceGroup
from engine.ari.backoff import Backoff
from engine.domain.agents import PRESENCE_EVENT_MASK, PRESENCE_EVENTS
from engine.services.agents import AgentDirectory
from engine.settings import Settings


class AgentsAssembly:
    def __init__(self, settings: Settings, backoff: Backoff) -> None:
        s = settings
        # Every account's agent extensions are the engine's (ENGINE_AGENT_EXTENSIONS).
        self.directory = AgentDirectory(s.agent_extensions)
        # The PBX's one AMI connection: actions for call control, events for presence
        # (only those are queued; the rest of the ``system,call`` classes is dropped).
        self.ami = AmiClient(s.ami_host, s.ami_port, s.ami_user,
                             s.ami_password.get_secret_value(), backoff=backoff,
                             event_mask=PRESENCE_EVENT_MASK,
                             event_names=PRESENCE_EVENTS | {CONNECTED, DISCONNECTED},
                             markers=True)

    async def follow(self) -> None:
        """The supervised task: presence from the AMI's events, forever."""
        await self.directory.run(self.ami)

    def resources(self) -> Sequence[ResourceGroup]:
        return (AgentResources(self.directory),)
