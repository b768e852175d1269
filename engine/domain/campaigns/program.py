"""The call program of one campaign contact (pure): what its answered leg runs.

- Type 0 (announcement): the rendered text spoken, or the recorded file played, ``repeat``
  times with a one-second pause between, then hang up.
- Type 1 (survey / IVR): the announcement the same way (when there is one), then one
  GetDigits per survey question (the question spoken as its prompt, a key press interrupts
  it), or a single one-key GetDigits without questions; then hang up. With ``answer_url``
  the call runs the Plivo-compatible XML application instead: ``(Redirect(answer_url),)``.

Keys pressed reach the CDR's ``dtmf_inputs`` by themselves (every DTMF of a leg is kept on
it), whether or not a GetDigits was collecting.

Placeholders: ``{contact_name}``, ``{contact_number}`` (read digit by digit) and any field
of the contact (``{field1}``); a name the contact lacks renders as "" (the set of names was
checked against the list when the campaign was created).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from engine.domain.campaigns.definition import (
    ANNOUNCEMENT,
    PLACEHOLDER,
    CampaignDefinition,
    SurveyQuestion,
)
from engine.domain.programs.verbs import (
    GetDigits,
    Hangup,
    Play,
    Program,
    Redirect,
    Speak,
    Verb,
    Wait,
)
from engine.domain.speech import SpeechPart, Utterance

PAUSE_BETWEEN_REPEATS = 1.0
# A survey question nobody answers is asked once more before the program goes on.
QUESTION_ATTEMPTS = 2
NO_QUESTION_TIMEOUT = 5.0
ANNOUNCED = "campaign announced"
SURVEYED = "campaign survey done"

_Speaker = Callable[[str], Speak | None]


def render(text: str, *, contact_name: str, number: str, fields: Mapping[str, str]) -> str:
    """``text`` with every placeholder replaced by the contact's value ("" if it has none)."""
    values = {**fields, "contact_name": contact_name, "contact_number": " ".join(number)}
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), text)


def campaign_program(d: CampaignDefinition, *, contact_name: str, number: str,
                     fields: Mapping[str, str]) -> Program:
    """The program the answered leg of the contact's call runs."""
    if d.campaign_type != ANNOUNCEMENT and d.answer_url:
        return (Redirect(d.answer_url, d.answer_method),)

    def speak(text: str) -> Speak | None:
        rendered = " ".join(render(text, contact_name=contact_name, number=number,
                                   fields=fields).split())
        if not rendered:
            return None
        return Speak(Utterance((SpeechPart(rendered),), d.voice, d.prosody))

    verbs: list[Verb] = list(_announcement(d, speak))
    if d.campaign_type == ANNOUNCEMENT:
        verbs.append(Hangup(ANNOUNCED))
        return tuple(verbs)
    if d.questions:
        verbs += [_question(q, speak(q.text)) for q in d.questions]
    else:
        verbs.append(GetDigits(num_digits=1, timeout=NO_QUESTION_TIMEOUT, finish_on_key=""))
    verbs.append(Hangup(SURVEYED))
    return tuple(verbs)


def _announcement(d: CampaignDefinition, speak: _Speaker) -> list[Verb]:
    unit: Speak | Play | None
    unit = Play((d.media_uri,)) if d.media_uri else speak(d.announcement_text)
    if unit is None:
        return []
    verbs: list[Verb] = []
    for n in range(max(d.repeat, 1)):
        if n:
            verbs.append(Wait(PAUSE_BETWEEN_REPEATS))
        verbs.append(unit)
    return verbs


def _question(q: SurveyQuestion, prompt: Speak | None) -> GetDigits:
    # One key: "#" may be an answer. Several: "#" ends the input early (Plivo's default).
    return GetDigits(num_digits=q.num_digits, timeout=q.timeout, valid_digits=q.valid_digits,
                     finish_on_key="#" if q.num_digits > 1 else "", retries=QUESTION_ATTEMPTS,
                     prompts=(prompt,) if prompt else ())
