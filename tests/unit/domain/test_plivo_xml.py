"""answer_url XML into program verbs: every element and attribute, defaults and explicit
values, and every way a document is refused (pure)."""

from __future__ import annotations

import pytest

from engine.domain.numbers import Extension, External
from engine.domain.plivo.document import DocumentContext, DocumentError, parse_document
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
    Verb,
    Wait,
)
from engine.domain.speech import TtsEngine
from engine.domain.voices import HEART, VoiceCatalogue, espeak_voices

CONTEXT = DocumentContext(
    VoiceCatalogue((*espeak_voices(["en-us", "en-gb", "fr-fr"]), HEART)),
    frozenset({"101", "102"}), "US")


def parse(xml: str) -> tuple[Verb, ...]:
    return parse_document(f"<Response>{xml}</Response>".encode(), CONTEXT)


def one(xml: str) -> Verb:
    verbs = parse(xml)
    assert len(verbs) == 1, verbs
    return verbs[0]


def refused(xml: str, *words: str) -> str:
    with pytest.raises(DocumentError) as caught:
        parse(xml)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


# ---- Speak ------------------------------------------------------------------------------


def test_speak_defaults_to_a_woman_speaking_en_us_once() -> None:
    verb = one("<Speak> Hello there </Speak>")
    assert isinstance(verb, Speak)
    assert verb.loop == 1
    assert verb.utterance.parts[0].text == "Hello there"
    voice = verb.utterance.voice
    assert (voice.engine, voice.language, voice.gender) == (TtsEngine.STANDARD, "en-US",
                                                            "female")


def test_speak_voice_language_and_loop() -> None:
    verb = one('<Speak voice="MAN" language="en-GB" loop="3">Hi</Speak>')
    assert isinstance(verb, Speak)
    assert verb.loop == 3
    assert (verb.utterance.voice.language, verb.utterance.voice.gender) == ("en-GB", "male")
    polly = one('<Speak voice="Polly.Celine">Bonjour</Speak>')
    assert isinstance(polly, Speak) and polly.utterance.voice.language == "fr-FR"


def test_speak_loop_zero_repeats_until_hangup() -> None:
    verb = one('<Speak loop="0">Hi</Speak>')
    assert isinstance(verb, Speak) and verb.loop == 0


@pytest.mark.parametrize(("xml", "words"), [
    ("<Speak></Speak>", ("<Speak>", "no text")),
    ('<Speak voice="Nobody">x</Speak>', ("'voice'",)),
    ('<Speak language="xx-YY">x</Speak>', ("'language'",)),
    ('<Speak language="not a code">x</Speak>', ("'language'",)),
    ('<Speak loop="1001">x</Speak>', ("'loop'", "0 to 1000")),
    ('<Speak loop="-1">x</Speak>', ("'loop'",)),
    ('<Speak loop="two">x</Speak>', ("'loop'",)),
    ("<Speak>Hi <break time='1s'/> there</Speak>", ("<break>",)),
    ('<Speak rate="fast">x</Speak>', ("'rate'",)),
    (f"<Speak>{'x' * 3001}</Speak>", ("3000",)),
])
def test_speak_refusals(xml: str, words: tuple[str, ...]) -> None:
    refused(xml, *words)


# ---- Play, Wait, DTMF ---------------------------------------------------------------------


def test_play_a_url() -> None:
    assert one("<Play>https://example.com/a.mp3</Play>") == Play(
        ("https://example.com/a.mp3",), 1)
    assert one('<Play loop="0"> http://example.com/a.wav </Play>') == Play(
        ("http://example.com/a.wav",), 0)


@pytest.mark.parametrize("text", ["", "file:///etc/passwd", "ftp://x/a.mp3", "sound:beep",
                                  "http://", "/relative.mp3", "http://x/a b.mp3"])
def test_play_refuses_what_is_not_an_http_url(text: str) -> None:
    refused(f"<Play>{text}</Play>", "<Play>")


def test_wait() -> None:
    assert one("<Wait/>") == Wait(1.0)
    assert one('<Wait length="7" silence="false" minSilence="3000" beep="false"/>') == Wait(7.0)


@pytest.mark.parametrize(("xml", "word"), [
    ('<Wait length="0"/>', "'length'"),
    ('<Wait silence="true"/>', "'silence'"),
    ('<Wait beep="true"/>', "'beep'"),
    ('<Wait minSilence="0"/>', "'minSilence'"),
    ("<Wait>5</Wait>", "text"),
])
def test_wait_refusals(xml: str, word: str) -> None:
    refused(xml, "<Wait>", word)


def test_dtmf_is_asynchronous_by_default() -> None:
    assert one("<DTMF>12w3W#</DTMF>") == SendDigits("12w3W#", asynchronous=True)
    assert one('<DTMF async="false">9</DTMF>') == SendDigits("9", asynchronous=False)


@pytest.mark.parametrize("xml", ["<DTMF></DTMF>", "<DTMF>12a</DTMF>", '<DTMF async="1">1</DTMF>',
                                 f"<DTMF>{'1' * 101}</DTMF>"])
def test_dtmf_refusals(xml: str) -> None:
    refused(xml, "<DTMF>")


# ---- GetDigits ----------------------------------------------------------------------------


def test_get_digits_defaults_are_plivos() -> None:
    assert one("<GetDigits/>") == GetDigits(
        num_digits=99, timeout=5.0, digit_timeout=2.0, finish_on_key="#", retries=1,
        prompts=(), valid_digits="1234567890*#", invalid_digits_media=(), action=None,
        method="POST", play_beep=False, redirect=True)


def test_get_digits_every_attribute_and_nested_prompts() -> None:
    verb = one(
        '<GetDigits action="https://app.example/digits" method="GET" timeout="10" '
        'digitTimeout="3" finishOnKey="*" numDigits="4" retries="3" redirect="false" '
        'playBeep="true" validDigits="123" invalidDigitsSound="https://app.example/bad.wav" '
        'log="true" inputType="dtmf">'
        "<Speak>Press</Speak><Play>https://app.example/menu.mp3</Play><Wait length='2'/>"
        "</GetDigits>")
    assert isinstance(verb, GetDigits)
    assert (verb.action, verb.method, verb.timeout, verb.digit_timeout) == (
        "https://app.example/digits", "GET", 10.0, 3.0)
    assert (verb.finish_on_key, verb.num_digits, verb.retries) == ("*", 4, 3)
    assert (verb.redirect, verb.play_beep, verb.valid_digits) == (False, True, "123")
    assert verb.invalid_digits_media == ("https://app.example/bad.wav",)
    assert [type(p) for p in verb.prompts] == [Speak, Play, Wait]


@pytest.mark.parametrize("value", ["none", "", "NONE"])
def test_get_digits_finish_on_key_none(value: str) -> None:
    verb = one(f'<GetDigits finishOnKey="{value}"/>')
    assert isinstance(verb, GetDigits) and verb.finish_on_key == ""


@pytest.mark.parametrize(("xml", "word"), [
    ('<GetDigits numDigits="0"/>', "'numDigits'"),
    ('<GetDigits numDigits="100"/>', "'numDigits'"),
    ('<GetDigits timeout="0"/>', "'timeout'"),
    ('<GetDigits digitTimeout="x"/>', "'digitTimeout'"),
    ('<GetDigits retries="0"/>', "'retries'"),
    ('<GetDigits finishOnKey="a"/>', "'finishOnKey'"),
    ('<GetDigits validDigits="12x"/>', "'validDigits'"),
    ('<GetDigits validDigits=""/>', "'validDigits'"),
    ('<GetDigits method="PUT"/>', "'method'"),
    ('<GetDigits action="ftp://x/y"/>', "'action'"),
    ('<GetDigits redirect="yes"/>', "'redirect'"),
    ('<GetDigits playBeep="1"/>', "'playBeep'"),
    ('<GetDigits invalidDigitsSound="file:///x"/>', "'invalidDigitsSound'"),
    ('<GetDigits log="false"/>', "'log'"),
    ('<GetDigits inputType="speech"/>', "'inputType'"),
    ('<GetDigits hints="x"/>', "'hints'"),
    ("<GetDigits><Dial><Number>14155550100</Number></Dial></GetDigits>", "<Dial>"),
    ("<GetDigits><Record/></GetDigits>", "<Record>"),
    ("<GetDigits>press</GetDigits>", "text"),
])
def test_get_digits_refusals(xml: str, word: str) -> None:
    refused(xml, word)


# ---- Record -------------------------------------------------------------------------------


def test_record_defaults() -> None:
    assert one("<Record/>") == Record(max_length=60, timeout=15, finish_on_key="#", beep=True,
                                      action=None, method="POST", redirect=True,
                                      callback_url="", callback_method="POST")


def test_record_every_attribute() -> None:
    verb = one('<Record action="http://app/r" method="GET" fileFormat="wav" redirect="false" '
               'timeout="5" maxLength="120" playBeep="false" finishOnKey="none" '
               'recordSession="false" startOnDialAnswer="false" callbackUrl="http://app/cb" '
               'callbackMethod="GET"/>')
    assert verb == Record(max_length=120, timeout=5, finish_on_key="", beep=False,
                          action="http://app/r", method="GET", redirect=False,
                          callback_url="http://app/cb", callback_method="GET")


@pytest.mark.parametrize(("attribute", "value"), [
    ("transcriptionType", "auto"), ("transcriptionUrl", "http://x/t"),
    ("transcriptionMethod", "GET"), ("recordChannelType", "mono"),
])
def test_record_unsupported_attributes(attribute: str, value: str) -> None:
    message = refused(f'<Record {attribute}="{value}"/>')
    assert message == (f"<Record> attribute {attribute!r} is not supported by this engine")


@pytest.mark.parametrize(("xml", "word"), [
    ('<Record fileFormat="mp3"/>', "'fileFormat'"),
    ('<Record recordSession="true"/>', "'recordSession'"),
    ('<Record startOnDialAnswer="true"/>', "'startOnDialAnswer'"),
    ('<Record maxLength="0"/>', "'maxLength'"),
    ('<Record timeout="99999"/>', "'timeout'"),
    ('<Record callbackMethod="DELETE"/>', "'callbackMethod'"),
])
def test_record_refusals(xml: str, word: str) -> None:
    refused(xml, "<Record>", word)


# ---- Dial ---------------------------------------------------------------------------------


def test_dial_defaults_and_targets() -> None:
    verb = one("<Dial><Number>+1 415 555 0100</Number><User>sip:101@pbx.example</User>"
               "<User>sip:102</User></Dial>")
    assert verb == Dial((External("14155550100"), Extension("101"), Extension("102")), "",
                        timeout=30, time_limit=14400, action=None, method="POST",
                        redirect=True, caller_name="")


def test_dial_every_attribute() -> None:
    verb = one('<Dial action="https://app/dial" method="GET" timeout="20" timeLimit="60" '
               'callerId="+14155550199" callerName="Support" hangupOnStar="false" '
               'redirect="false"><Number>4155550100</Number></Dial>')
    assert verb == Dial((External("14155550100"),), "14155550199", timeout=20, time_limit=60,
                        action="https://app/dial", method="GET", redirect=False,
                        caller_name="Support")


@pytest.mark.parametrize("attribute", [
    "confirmSound", "confirmKey", "confirmTimeout", "dialMusic", "callbackUrl",
    "callbackMethod", "digitsMatch", "digitsMatchBLeg", "sipHeaders"])
def test_dial_unsupported_attributes(attribute: str) -> None:
    refused(f'<Dial {attribute}="x"><Number>14155550100</Number></Dial>',
            "<Dial>", repr(attribute), "not supported")


@pytest.mark.parametrize(("xml", "words"), [
    ("<Dial></Dial>", ("<Dial>", "at least one")),
    ("<Dial><Number>12</Number></Dial>", ("<Number>",)),
    ("<Dial><Number>abc</Number></Dial>", ("<Number>",)),
    ("<Dial><User>sip:999@pbx</User></Dial>", ("<User>", "sip:999@pbx")),
    ("<Dial><User>101</User></Dial>", ("<User>",)),
    ("<Dial><Speak>x</Speak></Dial>", ("<Speak>", "<Dial>")),
    ('<Dial><Number sendDigits="1">14155550100</Number></Dial>', ("'sendDigits'",)),
    ('<Dial><User sipHeaders="a=b">sip:101@x</User></Dial>', ("'sipHeaders'",)),
    ('<Dial callerId="abc"><Number>14155550100</Number></Dial>', ("'callerId'",)),
    ('<Dial callerName="&lt;evil&gt;"><Number>14155550100</Number></Dial>',
     ("'callerName'",)),
    (f'<Dial callerName="{"n" * 51}"><Number>14155550100</Number></Dial>', ("'callerName'",)),
    ('<Dial hangupOnStar="true"><Number>14155550100</Number></Dial>', ("'hangupOnStar'",)),
    ('<Dial timeLimit="0"><Number>14155550100</Number></Dial>', ("'timeLimit'",)),
    ("<Dial>" + "<Number>14155550100</Number>" * 11 + "</Dial>", ("at most 10",)),
    ("<Number>14155550100</Number>", ("<Number>", "not allowed")),
])
def test_dial_refusals(xml: str, words: tuple[str, ...]) -> None:
    refused(xml, *words)


# ---- Conference ---------------------------------------------------------------------------


def test_conference_defaults() -> None:
    assert one("<Conference>room 1</Conference>") == Conference(
        "room 1", muted=False, start_on_enter=True, end_on_exit=False, max_members=20,
        action=None, method="POST", wait_sound="", beep=False, callback_url="",
        callback_method="POST", redirect=True)


def test_conference_every_attribute() -> None:
    verb = one('<Conference muted="true" enterSound="beep:1" exitSound="beep:2" '
               'startConferenceOnEnter="false" endConferenceOnExit="true" stayAlone="true" '
               'waitSound="https://app/wait.mp3" maxMembers="3" hangupOnStar="false" '
               'record="false" recordWhenAlone="false" floorEvent="false" '
               'action="https://app/conf" method="GET" callbackUrl="https://app/events" '
               'callbackMethod="GET" redirect="false">sales</Conference>')
    assert verb == Conference(
        "sales", muted=True, start_on_enter=False, end_on_exit=True, max_members=3,
        action="https://app/conf", method="GET", wait_sound="https://app/wait.mp3", beep=True,
        callback_url="https://app/events", callback_method="GET", redirect=False)


def test_conference_enter_sound_alone_beeps() -> None:
    verb = one('<Conference enterSound="beep:2">r</Conference>')
    assert isinstance(verb, Conference) and verb.beep


@pytest.mark.parametrize("attribute", [
    "timeLimit", "recordFileFormat", "digitsMatch", "relayDTMF", "sendDigits",
    "transcriptionType", "transcriptionUrl", "transcriptionMethod"])
def test_conference_unsupported_attributes(attribute: str) -> None:
    refused(f'<Conference {attribute}="x">r</Conference>', repr(attribute), "not supported")


@pytest.mark.parametrize(("xml", "word"), [
    ("<Conference></Conference>", "name"),
    ("<Conference>a/b</Conference>", "name"),
    ('<Conference maxMembers="21">r</Conference>', "'maxMembers'"),
    ('<Conference maxMembers="0">r</Conference>', "'maxMembers'"),
    ('<Conference enterSound="https://app/x.xml">r</Conference>', "'enterSound'"),
    ('<Conference exitSound="beep:3">r</Conference>', "'exitSound'"),
    ('<Conference stayAlone="false">r</Conference>', "'stayAlone'"),
    ('<Conference record="true">r</Conference>', "'record'"),
    ('<Conference waitSound="file:///x">r</Conference>', "'waitSound'"),
])
def test_conference_refusals(xml: str, word: str) -> None:
    refused(xml, "<Conference>", word)


# ---- Hangup, Redirect, PreAnswer ------------------------------------------------------------


def test_hangup() -> None:
    assert one("<Hangup/>") == Hangup("", 0.0)
    assert one('<Hangup reason="busy" schedule="30"/>') == Hangup("busy", 30.0)
    refused('<Hangup reason="tired"/>', "<Hangup>", "'reason'")
    refused('<Hangup schedule="soon"/>', "<Hangup>", "'schedule'")


def test_redirect() -> None:
    assert one("<Redirect>https://app/next</Redirect>") == Redirect("https://app/next", "POST")
    assert one('<Redirect method="GET">http://app/next</Redirect>') == Redirect(
        "http://app/next", "GET")
    refused("<Redirect>javascript:alert(1)</Redirect>", "<Redirect>")
    refused("<Redirect></Redirect>", "<Redirect>")


def test_pre_answer_nests_early_media() -> None:
    verb = one("<PreAnswer><Speak>ringing</Speak><Play>http://app/a.mp3</Play><Wait/>"
               "<DTMF>1</DTMF><GetDigits/><Redirect>http://app/x</Redirect></PreAnswer>")
    assert isinstance(verb, PreAnswer)
    assert [type(v) for v in verb.verbs] == [Speak, Play, Wait, SendDigits, GetDigits,
                                            Redirect]
    refused("<PreAnswer><Dial><Number>14155550100</Number></Dial></PreAnswer>",
            "<Dial>", "<PreAnswer>")
    refused("<PreAnswer><Hangup/></PreAnswer>", "<Hangup>", "<PreAnswer>")
    refused('<PreAnswer foo="1"/>', "<PreAnswer>", "'foo'")


# ---- the document ---------------------------------------------------------------------------


def test_a_whole_document_in_order() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
    <Response>
        <Speak>Welcome</Speak>
        <GetDigits action="https://app/menu" numDigits="1"><Speak>Press 1</Speak></GetDigits>
        <Speak>Goodbye</Speak>
        <Hangup/>
    </Response>"""
    verbs = parse_document(body, CONTEXT)
    assert [type(v) for v in verbs] == [Speak, GetDigits, Speak, Hangup]


def test_an_empty_response_is_an_empty_program() -> None:
    assert parse_document(b"<Response/>", CONTEXT) == ()


@pytest.mark.parametrize(("body", "word"), [
    (b"<Document><Speak>x</Speak></Document>", "<Response>"),
    (b"<Response><Gather/></Response>", "<Gather>"),
    (b"<Response><Message>hi</Message></Response>", "<Message>"),
    (b"<Response><speak>x</speak></Response>", "<speak>"),
    (b"<Response>hello<Speak>x</Speak></Response>", "text"),
    (b'<Response version="1"/>', "'version'"),
    (b"<Response><Speak>x</Speak>", "well-formed"),
    (b"not xml at all", "well-formed"),
    (b"", "empty"),
    (b"<Response><Speak>\xff\xfe</Speak></Response>", "well-formed"),
])
def test_document_refusals(body: bytes, word: str) -> None:
    with pytest.raises(DocumentError, match=None) as caught:
        parse_document(body, CONTEXT)
    assert word in str(caught.value)


def test_document_error_is_a_value_error() -> None:
    assert issubclass(DocumentError, ValueError)
