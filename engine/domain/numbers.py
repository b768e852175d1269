"""Phone numbers and extensions: validation, normalisation, and the one dial-string template.

Only values that passed through here ever reach a dial string.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import phonenumbers

from engine.domain.errors import InvalidField

_SEPARATORS = re.compile(r"[\s().-]")
_DIGITS = re.compile(r"^\+?[0-9]{3,20}$")


@dataclass(frozen=True)
class Extension:
    """An agent extension registered on the PBX (e.g. "101")."""

    number: str


@dataclass(frozen=True)
class External:
    """A validated public number, kept as E.164 digits without the "+"."""

    e164_digits: str

    @property
    def number(self) -> str:
        return self.e164_digits


Party = Extension | External


def normalize_number(raw: str, field: str, default_region: str = "US") -> str:
    """Validate ``raw`` and return its E.164 digits (no "+"); InvalidField otherwise.

    The seed sends numbers with the country code but no "+" ("919979271234",
    "15168148111"); national numbers of the default region are accepted too.
    """
    for parsed in number_candidates(raw, field, default_region):
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    raise InvalidField(field, f"{field} is not a valid phone number")


def number_candidates(raw: str, field: str,
                      default_region: str) -> Iterator[phonenumbers.PhoneNumber]:
    """The readings of ``raw`` to check, in order: with a "+" first (the seed's numbers
    carry the country code without one), then as a national number of the region.

    Raises ``InvalidField(field)`` once iterated if ``raw`` is not shaped like a number;
    the caller decides which reading is valid."""
    cleaned = _SEPARATORS.sub("", raw or "")
    if not _DIGITS.match(cleaned):
        raise InvalidField(field, f"{field} must be a phone number with country code")
    for candidate in [cleaned] if cleaned.startswith("+") else ["+" + cleaned, cleaned]:
        try:
            yield phonenumbers.parse(candidate, default_region)
        except phonenumbers.NumberParseException:
            continue


def parse_party(
    raw: str, field: str, extensions: Collection[str], default_region: str = "US"
) -> Party:
    """An agent extension if ``raw`` names one, else a validated external number."""
    value = (raw or "").strip()
    if value in extensions:
        return Extension(value)
    return External(normalize_number(value, field, default_region))


def dial_endpoint(party: Party, trunk: str) -> str:
    """The only place a dial string is built."""
    if isinstance(party, Extension):
        return f"PJSIP/{party.number}"
    return f"PJSIP/{party.e164_digits}@{trunk}"
