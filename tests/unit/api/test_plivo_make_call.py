"""Every parameter of Plivo's make-call request, good and bad (``build_calls``, pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from engine.domain.call import Call, CallState, Origin
from engine.domain.errors import InvalidField
from engine.domain.ids import is_call_uuid
from engine.domain.numbers import Extension, External
from engine.domain.plivo.options import (
    DEFAULT_MACHINE_DETECTION_MS,
    DEFAULT_RING_TIMEOUT,
    DEFAULT_TIME_LIMIT,
    ApiCallOptions,
    MachineDetection,
    Webhook,
)
from engine.domain.programs.verbs import Redirect, SendDigits
from engine.services.click2call import TelephonyRules
from engine.services.plivo_orders import MAX_DESTINATIONS, build_calls

RULES = TelephonyRules(("101", "102"), "US")
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
BASE: dict[str, Any] = {"from": "14152225555", "to": "14152223333",
                        "answer_url": "https://app.test/answer.xml"}


def one(**changes: Any) -> Call:
    calls = build_calls("account_1", {**BASE, **changes}, RULES, NOW)
    assert len(calls) == 1
    return calls[0]


def options(**changes: Any) -> ApiCallOptions:
    api = one(**changes).api
    assert api is not None
    return api


def refused(field: str, **changes: Any) -> str:
    with pytest.raises(InvalidField) as caught:
        build_calls("account_1", {**BASE, **changes}, RULES, NOW)
    assert caught.value.field == field, caught.value.message
    return caught.value.message


def test_the_minimal_call_and_its_defaults() -> None:
    call = one()
    assert is_call_uuid(call.request_id)
    assert (call.account_id, call.origin, call.state) == ("account_1", Origin.API,
                                                          CallState.DIALING_CUSTOMER)
    assert (call.caller_id, call.customer, call.created_at) == (
        "14152225555", External("14152223333"), NOW)
    assert call.api == ApiCallOptions(
        from_number="14152225555", to="14152223333",
        answer=Webhook("https://app.test/answer.xml", "POST"),
        time_limit=DEFAULT_TIME_LIMIT, ring_timeout=DEFAULT_RING_TIMEOUT,
        machine_detection_time=DEFAULT_MACHINE_DETECTION_MS)
    assert call.answer_program == (Redirect("https://app.test/answer.xml", "POST", attempts=3,
                                            deadline_seconds=60.0),)


@pytest.mark.parametrize("name", ["from", "to", "answer_url"])
def test_required_parameters(name: str) -> None:
    body = {k: v for k, v in BASE.items() if k != name}
    with pytest.raises(InvalidField) as caught:
        build_calls("account_1", body, RULES, NOW)
    assert caught.value.field == name
    refused(name, **{name: "  "})


@pytest.mark.parametrize(("value", "caller_id"), [
    ("+14152225555", "14152225555"), ("1 (415) 222-5555", "14152225555"),
    ("4152225555", "14152225555"), (14152225555, "14152225555"),
])
def test_from_is_a_number(value: object, caller_id: str) -> None:
    call = one(**{"from": value})
    assert call.caller_id == caller_id
    assert call.api is not None and call.api.from_number == str(value).strip()


@pytest.mark.parametrize("value", ["abc", "123", "sip:101@x", "+1415222555512345678901"])
def test_from_must_be_a_phone_number(value: str) -> None:
    refused("from", **{"from": value})


@pytest.mark.parametrize(("to", "party"), [
    ("+14152223333", External("14152223333")),
    ("442079460000", External("442079460000")),
    ("sip:101@pbx.example.com", Extension("101")),
    ("sip:102", Extension("102")),
    ("SIP:101@10.0.0.1:5060", Extension("101")),
])
def test_to_is_a_number_or_a_known_sip_endpoint(to: str, party: object) -> None:
    call = one(to=to)
    assert call.customer == party
    assert call.api is not None and call.api.to == to


@pytest.mark.parametrize("to", ["sip:999@pbx", "sip:@pbx", "sip:", "12", "hello",
                                "14152223333<", "<14152223333", "a<<b"])
def test_to_refusals(to: str) -> None:
    refused("to", to=to)


def test_bulk_makes_one_call_per_destination_in_order() -> None:
    calls = build_calls("account_1", {**BASE, "to": "14152223333<sip:101@x< 442079460000 "},
                        RULES, NOW)
    assert [c.customer for c in calls] == [External("14152223333"), Extension("101"),
                                           External("442079460000")]
    assert [c.api.to for c in calls if c.api] == ["14152223333", "sip:101@x", "442079460000"]
    assert len({c.request_id for c in calls}) == 3
    shared = {(c.api.answer, c.api.from_number) for c in calls if c.api}
    assert len(shared) == 1


def test_bulk_is_bounded() -> None:
    many = "<".join(["14152223333"] * (MAX_DESTINATIONS + 1))
    assert str(MAX_DESTINATIONS) in refused("to", to=many)
    assert len(build_calls("account_1", {**BASE, "to": many.split("<", 1)[1]}, RULES,
                           NOW)) == MAX_DESTINATIONS


@pytest.mark.parametrize("hook", ["answer", "ring", "hangup", "fallback",
                                  "machine_detection"])
@pytest.mark.parametrize(("raw", "method"), [("GET", "GET"), ("post", "POST"),
                                             ("POSt", "POST"), (" get ", "GET"), ("", "POST")])
def test_webhook_urls_and_methods(hook: str, raw: str, method: str) -> None:
    url = f"http://app.test:8080/{hook}?x=1"
    api = options(**{f"{hook}_url": url, f"{hook}_method": raw})
    found = api.answer if hook == "answer" else getattr(api, hook if hook != "machine_detection"
                                                        else "machine_detection_url")
    assert found == Webhook(url, method)


@pytest.mark.parametrize("hook", ["answer", "ring", "hangup", "fallback",
                                  "machine_detection"])
@pytest.mark.parametrize("url", ["ftp://app.test/x", "file:///etc/passwd", "app.test/x",
                                 "http://", "https://a b.test/", "javascript:alert(1)",
                                 "https://x.test/" + "a" * 2100])
def test_webhook_urls_must_be_http(hook: str, url: str) -> None:
    refused(f"{hook}_url", **{f"{hook}_url": url})


@pytest.mark.parametrize("hook", ["answer", "ring", "hangup", "fallback",
                                  "machine_detection"])
@pytest.mark.parametrize("method", ["PUT", "DELETE", "G", "1"])
def test_webhook_methods_are_get_or_post(hook: str, method: str) -> None:
    refused(f"{hook}_method", **{f"{hook}_url": "https://a.test/", f"{hook}_method": method})


def test_without_a_url_optional_webhooks_are_none() -> None:
    api = options(ring_method="GET")
    assert (api.ring, api.hangup, api.fallback, api.machine_detection_url) == (
        None, None, None, None)


def test_fallback_goes_into_the_answer_redirect() -> None:
    call = one(fallback_url="https://app.test/fb.xml", fallback_method="get",
               answer_method="GET")
    assert call.answer_program == (Redirect("https://app.test/answer.xml", "GET", attempts=3,
                                            deadline_seconds=60.0,
                                            fallback_url="https://app.test/fb.xml",
                                            fallback_method="GET"),)


def test_caller_name_up_to_50_characters() -> None:
    assert options(caller_name="friendly_name").caller_name == "friendly_name"
    assert options(caller_name="x" * 50).caller_name == "x" * 50
    refused("caller_name", caller_name="x" * 51)
    refused("caller_name", caller_name="bad\r\nInjected: header")


@pytest.mark.parametrize(("raw", "digits", "tone_ms"), [
    ("1w2W3", "1w2W3", 0), ("123@1000", "123", 1000), ("*#0AbcD", "*#0ABCD", 0),
    ("ww1", "ww1", 0), (1234, "1234", 0), ("", "", 0),
])
def test_send_digits(raw: object, digits: str, tone_ms: int) -> None:
    api = options(send_digits=raw)
    assert (api.send_digits, api.send_digits_tone_ms) == (digits, tone_ms)


@pytest.mark.parametrize("raw", ["12x", "1@", "1@abc", "@100", "1@10", "1@20000",
                                 "1" * 101, "1;2"])
def test_send_digits_refusals(raw: str) -> None:
    refused("send_digits", send_digits=raw)


def test_send_digits_after_answer_come_first_in_the_program() -> None:
    call = one(send_digits="1w2@250")
    assert call.answer_program[0] == SendDigits("1w2", 250)
    assert isinstance(call.answer_program[1], Redirect)
    early = one(send_digits="1w2", send_on_preanswer="true")
    assert [type(v) for v in early.answer_program] == [Redirect]


@pytest.mark.parametrize("name", ["send_on_preanswer", "error_if_parent_not_found"])
@pytest.mark.parametrize(("raw", "value"), [("true", True), ("TRUE", True), (True, True),
                                            ("false", False), (False, False), ("", False)])
def test_booleans(name: str, raw: object, value: bool) -> None:
    api = options(**{name: raw, "send_digits": "1"})
    if name == "send_on_preanswer":
        assert api.send_on_preanswer is value


@pytest.mark.parametrize("name", ["send_on_preanswer", "error_if_parent_not_found"])
@pytest.mark.parametrize("raw", ["yes", "1", "0", "maybe", 2])
def test_boolean_refusals(name: str, raw: object) -> None:
    refused(name, **{name: raw})


@pytest.mark.parametrize(("name", "attr", "low", "high"), [
    ("time_limit", "time_limit", 1, 7 * 24 * 3600),
    ("hangup_on_ring", "hangup_on_ring", 1, 7 * 24 * 3600),
    ("ring_timeout", "ring_timeout", 1, 3600),
    ("machine_detection_time", "machine_detection_time", 2000, 10000),
])
def test_whole_numbers_within_bounds(name: str, attr: str, low: int, high: int) -> None:
    for raw, value in ((str(low), low), (high, high), (f" {low + 1} ", low + 1),
                       (float(low), low)):
        assert getattr(options(**{name: raw}), attr) == value
    for bad in (low - 1, high + 1, "ten", "1.5", 1.5, True, "-5", "", None):
        if bad in ("", None):
            continue  # absent: the default
        refused(name, **{name: bad})


def test_number_defaults() -> None:
    api = options()
    assert (api.time_limit, api.hangup_on_ring, api.ring_timeout,
            api.machine_detection_time) == (14400, 0, 120, 5000)


@pytest.mark.parametrize(("raw", "mode"), [
    ("true", MachineDetection.REPORT), (True, MachineDetection.REPORT),
    ("hangup", MachineDetection.HANGUP), ("HANGUP", MachineDetection.HANGUP),
    ("false", MachineDetection.OFF), ("", MachineDetection.OFF),
])
def test_machine_detection(raw: object, mode: MachineDetection) -> None:
    assert options(machine_detection=raw).machine_detection is mode


@pytest.mark.parametrize("raw", ["yes", "machine", "1"])
def test_machine_detection_refusals(raw: str) -> None:
    refused("machine_detection", machine_detection=raw)


@pytest.mark.parametrize(("raw", "headers"), [
    ("head1=val1,head2=val2", (("head1", "val1"), ("head2", "val2"))),
    ("A1=B2", (("A1", "B2"),)),
    ({"k": "v"}, (("k", "v"),)),
    ("", ()),
])
def test_sip_headers(raw: object, headers: tuple[tuple[str, str], ...]) -> None:
    assert options(sip_headers=raw).sip_headers == headers


@pytest.mark.parametrize("raw", ["a", "a=", "=b", "a=b,", "a-b=c", "a=b c", "a=b\r\nX: y",
                                 "a=b;c=d", ",".join(f"k{i}=v" for i in range(21))])
def test_sip_header_refusals(raw: str) -> None:
    refused("sip_headers", sip_headers=raw)


def test_parent_call_uuid() -> None:
    parent = one()
    child = build_calls("account_1", {**BASE, "parent_call_uuid": parent.request_id.upper(),
                                      "error_if_parent_not_found": "true"},
                        RULES, NOW, live=[parent])[0]
    assert child.api is not None and child.api.parent_call_uuid == parent.request_id
    lenient = build_calls("account_1", {**BASE, "parent_call_uuid": "nope"}, RULES, NOW)[0]
    assert lenient.api is not None and lenient.api.parent_call_uuid == ""
    refused("parent_call_uuid", parent_call_uuid="nope", error_if_parent_not_found="true")


@pytest.mark.parametrize("name", ["callback_url", "callback_method", "answer_methd", "foo"])
def test_unknown_and_unsupported_parameters_are_refused(name: str) -> None:
    refused("callback_url" if name.startswith("callback") else name, **{name: "x"})


@pytest.mark.parametrize("value", [["a", "b"], {"x": 1}])
def test_structured_values_where_text_is_expected(value: object) -> None:
    refused("caller_name", caller_name=value)
