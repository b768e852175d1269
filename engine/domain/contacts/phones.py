"""A contact's number: validated and normalised, with its time zones, from one parse.

``number_and_zones`` gives exactly what ``engine.domain.numbers.normalize_number`` gives
(the same candidates, the same validity test, the same messages) plus the number's IANA
zones as ``phonenumbers.timezone.time_zones_for_number`` finds them, without parsing or
classifying the number twice: a CSV import does this a million times.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from engine.domain.errors import InvalidField
from engine.domain.numbers import number_candidates

UNKNOWN_ZONE = "Etc/Unknown"


def number_and_zones(raw: str, field: str, region: str) -> tuple[str, tuple[str, ...]]:
    """E.164 digits (no "+") and the number's zones (empty when unknown).

    Raises ``InvalidField(field)`` with ``normalize_number``'s messages. A number is valid
    when phonenumbers can give it a type: that is what ``is_valid_number`` tests.
    """
    for parsed in number_candidates(raw, field, region):
        kind = phonenumbers.number_type(parsed)
        if kind != PhoneNumberType.UNKNOWN:
            e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
            return e164[1:], _zones(parsed, kind, e164[1:])
    raise InvalidField(field, f"{field} is not a valid phone number")


def is_phone_number(raw: str, region: str) -> bool:
    try:
        number_and_zones(raw, "number", region)
    except InvalidField:
        return False
    return True


def _zones(parsed: PhoneNumber, kind: int, digits: str) -> tuple[str, ...]:
    # As time_zones_for_number: a geographic number by its longest known prefix (down to
    # one digit), any other by its country calling code (down to two digits).
    country = parsed.country_code or 0
    if phonenumbers.is_number_type_geographical(kind, country):
        key, shortest = digits, 1
    else:
        key = str(country)
        shortest = min(2, len(key))
    for length in range(min(TIMEZONE_LONGEST_PREFIX, len(key)), shortest - 1, -1):
        zones = TIMEZONE_DATA.get(key[:length])
        if zones is not None:
            return tuple(zone for zone in zones if zone != UNKNOWN_ZONE)
    return ()
