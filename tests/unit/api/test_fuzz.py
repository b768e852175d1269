"""Whatever a client sends to a validated route, the answer is never a 500."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.api.support import AUTH, AUTH_JSON, Api

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
echo_like = st.fixed_dictionaries(
    {},
    optional={"count": json_values, "loud": json_values, "channel": json_values,
              "note": json_values, "tags": json_values},
)
bodies = (
    json_values.map(lambda v: json.dumps(v).encode())
    | echo_like.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=64)
    | st.text(max_size=64).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
EXPECTED = {200, 400, 422}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
async def test_arbitrary_bodies_never_cause_a_500(shared_api: Api, body: bytes) -> None:
    response = await shared_api.client.post("/api/echo", data=body, headers=AUTH_JSON)
    assert response.status in EXPECTED, await response.text()
    parsed: dict[str, Any] = await response.json()
    assert parsed["response"]["success"] == ("true" if response.status == 200 else "false")


@settings(max_examples=100, deadline=None)
@given(content_type=st.text(max_size=40), body=st.binary(max_size=32))
async def test_arbitrary_content_types_never_cause_a_500(
    shared_api: Api, content_type: str, body: bytes
) -> None:
    headers = {**AUTH, "Content-Type": content_type}
    try:
        response = await shared_api.client.post("/api/echo", data=body, headers=headers)
    except ValueError:  # the client itself refuses to send some header values
        return
    assert response.status < 500, await response.text()
