from __future__ import annotations

import json

from pydantic import BaseModel

from engine.api.envelope import error_body, error_response, ok, success_body
from engine.logs import request_id_var


def _json(response: object) -> object:
    return json.loads(response.text)  # type: ignore[attr-defined]


def test_ok_matches_the_seed_byte_for_byte_in_key_order() -> None:
    response = ok({"request_id": "57362de4f0"})
    assert response.status == 200
    assert response.content_type == "application/json"
    assert response.text == '{"response": {"request_id": "57362de4f0", "success": "true"}}'


def test_success_is_always_last_even_if_the_payload_has_one() -> None:
    body = success_body({"success": "false", "message": "done", "result": [1]})
    assert list(body["response"]) == ["message", "result", "success"]
    assert body["response"]["success"] == "true"


def test_ok_without_payload_and_with_a_model() -> None:
    class Result(BaseModel):
        list_id: str

    assert _json(ok()) == {"response": {"success": "true"}}
    assert _json(ok(Result(list_id="LSdb6a12e1f1"), status=201)) == {
        "response": {"list_id": "LSdb6a12e1f1", "success": "true"}
    }
    assert ok(status=201).status == 201


def test_error_response_shape() -> None:
    response = error_response(
        422, "invalid_field", "bad", {"field": "agent_number"}, request_id="abc"
    )
    assert response.status == 422
    assert _json(response) == {
        "response": {
            "success": "false",
            "error": "invalid_field",
            "message": "bad",
            "details": {"field": "agent_number"},
            "request_id": "abc",
        }
    }


def test_error_body_takes_the_request_id_from_the_log_context() -> None:
    token = request_id_var.set("feedc0ffee12")
    try:
        assert error_body("x", "y")["response"]["request_id"] == "feedc0ffee12"
    finally:
        request_id_var.reset(token)
    assert error_body("x", "y")["response"]["request_id"] is None
    assert error_body("x", "y")["response"]["details"] == {}
