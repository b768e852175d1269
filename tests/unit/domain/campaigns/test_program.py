"""Campaign programs: type 0 announcements, type 1 surveys and IVRs, placeholder rendering."""

from __future__ import annotations

from dataclasses import replace

from engine.domain.campaigns.definition import CampaignDefinition, SurveyQuestion
from engine.domain.campaigns.program import campaign_program, render
from engine.domain.programs.verbs import GetDigits, Hangup, Play, Redirect, Speak, Wait
from engine.domain.speech import Prosody, SpeechPart, TtsEngine, Utterance, Voice

VOICE = Voice(TtsEngine.STANDARD, "en-us", "en-US", "male")
PROSODY = Prosody("soft", "slow", "medium")
FIELDS = {"field1": "Ankit", "field2": "Jayswal", "field3": "500"}
SEED_TEXT = "Dear, {field1} , {field2}, Your due balance is,, {field3},,INR only"


def speak(text: str) -> Speak:
    return Speak(Utterance((SpeechPart(text),), VOICE, PROSODY))


def announcement(**changes: object) -> CampaignDefinition:
    base = CampaignDefinition(campaign_type=0, caller_id="15168148111", repeat=2, voice=VOICE,
                              prosody=PROSODY, announcement_text=SEED_TEXT)
    return replace(base, **changes)  # type: ignore[arg-type]


def program(d: CampaignDefinition, fields: dict[str, str] | None = None) -> tuple[object, ...]:
    return campaign_program(d, contact_name="ankit", number="919979271234",
                            fields=FIELDS if fields is None else fields)


def test_render_fills_fields_name_and_number_digit_by_digit() -> None:
    text = "{contact_name}: {field1} {field9} at {contact_number} {x y} {}"
    assert render(text, contact_name="ankit", number="4412", fields=FIELDS) == (
        "ankit: Ankit  at 4 4 1 2 {x y} {}")


def test_contact_name_and_number_are_the_contacts_own_not_fields() -> None:
    fields = {"contact_name": "spoof", "contact_number": "000"}
    assert render("{contact_name} {contact_number}", contact_name="bob", number="12",
                  fields=fields) == "bob 1 2"


def test_type_0_seed_text_twice_with_a_pause_then_hangup() -> None:
    said = speak("Dear, Ankit , Jayswal, Your due balance is,, 500,,INR only")
    assert program(announcement()) == (said, Wait(1.0), said, Hangup("campaign announced"))


def test_type_0_missing_field_renders_empty_and_spaces_collapse() -> None:
    d = announcement(repeat=1, announcement_text="Hello {field1} {field2} bye")
    assert program(d, {"field2": "Jay"}) == (speak("Hello Jay bye"),
                                             Hangup("campaign announced"))


def test_type_0_recorded_file_plays_repeat_times() -> None:
    d = announcement(repeat=3, announcement_text="", recorded_filename="q.wav",
                     media_uri="sound:/srv/cpaas/pbx/tts/campaigns/AC1/abc")
    play = Play(("sound:/srv/cpaas/pbx/tts/campaigns/AC1/abc",))
    assert program(d) == (play, Wait(1.0), play, Wait(1.0), play,
                          Hangup("campaign announced"))


def test_type_0_text_that_renders_empty_just_hangs_up() -> None:
    assert program(announcement(announcement_text="{field1}"), {}) == (
        Hangup("campaign announced"),)


def test_type_1_without_questions_collects_one_key_after_the_announcement() -> None:
    d = announcement(campaign_type=1, repeat=1, announcement_text="abc")
    assert program(d) == (speak("abc"), GetDigits(num_digits=1, timeout=5.0, finish_on_key=""),
                          Hangup("campaign survey done"))


def test_type_1_questions_are_prompts_of_their_own_get_digits() -> None:
    d = announcement(campaign_type=1, repeat=2, announcement_text="Hi {contact_name}",
                     questions=(SurveyQuestion("Press 1 if {field1}"),
                                SurveyQuestion("Rate 1 to 10", 2, "0123456789", 8.0)))
    verbs = program(d)
    assert verbs[:3] == (speak("Hi ankit"), Wait(1.0), speak("Hi ankit"))
    first, second = verbs[3], verbs[4]
    assert first == GetDigits(num_digits=1, timeout=5.0, valid_digits="0123456789*#",
                              finish_on_key="", retries=2, prompts=(speak("Press 1 if Ankit"),))
    assert second == GetDigits(num_digits=2, timeout=8.0, valid_digits="0123456789",
                               finish_on_key="#", retries=2, prompts=(speak("Rate 1 to 10"),))
    assert verbs[5:] == (Hangup("campaign survey done"),)


def test_type_1_questions_only_has_no_announcement() -> None:
    d = announcement(campaign_type=1, announcement_text="", questions=(SurveyQuestion("Q"),))
    verbs = program(d)
    assert isinstance(verbs[0], GetDigits) and len(verbs) == 2


def test_type_1_answer_url_hands_the_call_to_the_xml_application() -> None:
    d = announcement(campaign_type=1, answer_url="https://ivr.example.com/a", answer_method="GET")
    assert program(d) == (Redirect("https://ivr.example.com/a", "GET"),)
