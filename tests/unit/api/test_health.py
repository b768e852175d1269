from __future__ import annotations

from tests.unit.api.support import Api


async def test_healthz_is_plain_ok(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}
    assert "X-Request-Id" in response.headers


async def test_readyz_when_everything_is_up(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {
        "status": "ready",
        "components": {"ari": "up", "ami": "up", "db": "up"},
    }


async def test_readyz_when_a_component_is_down(api: Api) -> None:
    api.readiness.state["ami"] = False
    response = await api.client.get("/readyz")
    assert response.status == 503
    assert await response.json() == {
        "status": "not_ready",
        "components": {"ari": "up", "ami": "down", "db": "up"},
    }


async def test_readyz_when_the_probe_itself_fails(api: Api) -> None:
    api.readiness.failure = RuntimeError("boom")
    response = await api.client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["status"] == "not_ready"
