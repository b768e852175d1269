from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.settings import Settings


def test_defaults_point_at_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("ENGINE_"):
            monkeypatch.delenv(key)
    settings = Settings()
    assert settings.http_port == 8080
    assert settings.ari_url == "http://127.0.0.1:8088"
    assert settings.agent_extensions == ("101", "102", "103", "104", "105")
    assert settings.dsn == "postgresql://cpaas:cpaas@127.0.0.1:5433/cpaas"
    assert settings.recordings_dir == Path("var/asterisk/pbx/spool/recording")


def test_environment_overrides_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGINE_HTTP_PORT", "9090")
    monkeypatch.setenv("ENGINE_AGENT_EXTENSIONS", "201, 202")
    monkeypatch.setenv("ENGINE_SIMULATED_AGENTS", "201")
    monkeypatch.setenv("ENGINE_RECORDINGS_PATH", "/srv/rec")
    settings = Settings()
    assert settings.http_port == 9090
    assert settings.agent_extensions == ("201", "202")
    assert settings.simulated_agents == ("201",)
    assert settings.recordings_dir == Path("/srv/rec")


def test_secrets_do_not_leak_into_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGINE_ARI_PASSWORD", "hunter2")
    assert "hunter2" not in repr(Settings())


@pytest.mark.parametrize(("key", "value"), [
    ("ENGINE_HTTP_PORT", "0"), ("ENGINE_HTTP_PORT", "http"), ("ENGINE_STACK_NAME", "Bad Name"),
    ("ENGINE_DIAL_TIMEOUT_SECONDS", "0"),
])
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError):
        Settings()


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.http_port = 1  # type: ignore[misc]
