"""Render the Asterisk configuration templates in ``asterisk-conf/`` (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from engine.settings import Settings

# Only ${CPAAS_…} placeholders are ours; every other ${…} is Asterisk dialplan syntax.
_PLACEHOLDER = re.compile(r"\$\{(CPAAS_[A-Z0-9_]+)\}")


class MissingTemplateValue(KeyError):
    """A template names a ${CPAAS_…} value that the renderer does not know."""


def render_template(text: str, values: Mapping[str, str]) -> str:
    """Replace every ``${CPAAS_NAME}`` with ``values["CPAAS_NAME"]``; leave the rest alone."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise MissingTemplateValue(name)
        return values[name]

    return _PLACEHOLDER.sub(substitute, text)


def template_values(settings: Settings, instance: str) -> dict[str, str]:
    """Values for one instance ("pbx" or "carrier") of the stack."""
    ari = urlsplit(settings.ari_url)
    entity = 1 if instance == "pbx" else 2
    return {
        "CPAAS_INSTANCE": instance,
        "CPAAS_STACK": settings.stack_name,
        "CPAAS_ENTITY_ID": f"02:00:00:00:00:{entity:02x}",
        "CPAAS_ARI_HOST": ari.hostname or "127.0.0.1",
        "CPAAS_ARI_PORT": str(ari.port or 8088),
        "CPAAS_ARI_USER": settings.ari_user,
        "CPAAS_ARI_PASSWORD": settings.ari_password.get_secret_value(),
        "CPAAS_ARI_APP": settings.ari_app,
        "CPAAS_AMI_HOST": settings.ami_host,
        "CPAAS_AMI_PORT": str(settings.ami_port),
        "CPAAS_AMI_USER": settings.ami_user,
        "CPAAS_AMI_PASSWORD": settings.ami_password.get_secret_value(),
        "CPAAS_CARRIER_AMI_PORT": str(settings.carrier_ami_port),
        "CPAAS_SIP_HOST": settings.sip_host,
        "CPAAS_SIP_PORT": str(settings.sip_port),
        "CPAAS_TRUNK_HOST": settings.trunk_host,
        "CPAAS_TRUNK_PORT": str(settings.trunk_port),
        "CPAAS_AGENT_PASSWORD": settings.agent_password.get_secret_value(),
    }


def pbx_agents_conf(extensions: Sequence[str]) -> str:
    """PJSIP endpoint, auth and aor sections for each agent extension of the PBX."""
    blocks = ["; Generated from ENGINE_AGENT_EXTENSIONS; do not edit."]
    for ext in extensions:
        blocks.append(
            f"[{ext}](agent-endpoint)\nauth = {ext}\naors = {ext}\n"
            f'callerid = "Agent {ext}" <{ext}>\n\n'
            f"[{ext}](agent-auth)\nusername = {ext}\n\n"
            f"[{ext}](agent-aor)\n"
        )
    return "\n".join(blocks) + "\n"


def carrier_agents_conf(extensions: Sequence[str], settings: Settings) -> str:
    """Outbound registrations that make the carrier stand in for agent softphones."""
    password = settings.agent_password.get_secret_value()
    pbx = f"{settings.sip_host}:{settings.sip_port}"
    blocks = ["; Simulated agents (ENGINE_SIMULATED_AGENTS); generated, do not edit."]
    for ext in extensions:
        blocks.append(
            f"[agent-{ext}]\ntype = registration\ntransport = transport-udp\n"
            f"outbound_auth = agent-{ext}-auth\nserver_uri = sip:{pbx}\n"
            f"client_uri = sip:{ext}@{pbx}\ncontact_user = {ext}\n"
            f"retry_interval = 2\nforbidden_retry_interval = 2\nexpiration = 120\n\n"
            f"[agent-{ext}-auth]\ntype = auth\nauth_type = userpass\n"
            f"username = {ext}\npassword = {password}\n"
        )
    return "\n".join(blocks) + "\n"
