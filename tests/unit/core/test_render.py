from __future__ import annotations

from pathlib import Path

import pytest

from engine.devstack.render import (
    MissingTemplateValue,
    carrier_agents_conf,
    pbx_agents_conf,
    render_template,
    template_values,
)
from engine.settings import Settings

CONF = Path(__file__).resolve().parents[3] / "asterisk-conf"


def test_only_our_placeholders_are_replaced() -> None:
    text = "bind = ${CPAAS_SIP_HOST}\nexten => _X.,1,Dial(PJSIP/${EXTEN})\n$[${A}+1]"
    out = render_template(text, {"CPAAS_SIP_HOST": "127.0.0.1"})
    assert out == "bind = 127.0.0.1\nexten => _X.,1,Dial(PJSIP/${EXTEN})\n$[${A}+1]"


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(MissingTemplateValue):
        render_template("${CPAAS_NOPE}", {})


@pytest.mark.parametrize("instance", ["pbx", "carrier"])
def test_every_shipped_template_renders(instance: str) -> None:
    values = template_values(Settings(stack_name="cpaas"), instance)
    for folder in ("common", instance):
        for path in (CONF / folder).glob("*.conf"):
            rendered = render_template(path.read_text(), values)
            assert "${CPAAS_" not in rendered, path


def test_trunk_address_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGINE_TRUNK_HOST", "10.1.2.3")
    monkeypatch.setenv("ENGINE_TRUNK_PORT", "5099")
    values = template_values(Settings(), "pbx")
    rendered = render_template((CONF / "pbx" / "pjsip.conf").read_text(), values)
    assert "contact = sip:10.1.2.3:5099" in rendered
    assert "match = 10.1.2.3" in rendered


def test_agents_conf_has_each_extension() -> None:
    pbx = pbx_agents_conf(("101", "102"))
    assert "[101](agent-endpoint)" in pbx and "[102](agent-aor)" in pbx
    settings = Settings(sip_host="127.0.0.1", sip_port=5060, agent_password="agent-secret")
    carrier = carrier_agents_conf(("101",), settings)
    assert "client_uri = sip:101@127.0.0.1:5060" in carrier
    assert "password = agent-secret" in carrier
