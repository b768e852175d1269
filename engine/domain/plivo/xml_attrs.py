"""The attributes and text of one answer_url element, read strictly (pure).

Each getter knows the attribute's Plivo default and its allowed values, and raises
``DocumentError`` naming the element and the attribute when a value is not allowed.
``finish`` refuses every attribute nobody read: an attribute Plivo documents but this engine
does not honour (listed with ``unsupported``), or one Plivo does not know at all, is an
error, never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.etree.ElementTree import Element

from engine.domain.plivo.xml_safe import DocumentError
from engine.domain.urls import is_absolute_http_url

_WHOLE = re.compile(r"[0-9]{1,9}")


def check_url(where: str, value: str) -> str:
    """``value`` if it is an absolute http(s) URL; ``where`` names it in the error."""
    url = value.strip()
    if not is_absolute_http_url(url):
        raise DocumentError(f"{where} must be an absolute http or https URL, not {value!r}")
    return url


class Attributes:
    """The attributes of ``element``; each read marks the attribute as understood."""

    def __init__(self, element: Element) -> None:
        self.tag = f"<{element.tag}>"
        self._values = dict(element.attrib)
        self._read: set[str] = set()

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def error(self, name: str, message: str) -> DocumentError:
        return DocumentError(f"{self.tag} attribute {name!r} {message}")

    def _raw(self, name: str) -> str | None:
        self._read.add(name)
        return self._values.get(name)

    def text(self, name: str, default: str = "", *, max_length: int = 256) -> str:
        value = self._raw(name)
        if value is None:
            return default
        if len(value) > max_length:
            raise self.error(name, f"is longer than {max_length} characters")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self._raw(name)
        if value is None:
            return default
        text = value.strip()
        if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
            raise self.error(name, f"must be a whole number from {low} to {high}, "
                             f"not {value!r}")
        return int(text)

    def boolean(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        word = value.strip().lower()
        if word not in ("true", "false"):
            raise self.error(name, f"must be true or false, not {value!r}")
        return word == "true"

    def method(self, name: str = "method") -> str:
        value = self._raw(name)
        if value is None:
            return "POST"
        word = value.strip().upper()
        if word not in ("GET", "POST"):
            raise self.error(name, f"must be GET or POST, not {value!r}")
        return word

    def url(self, name: str) -> str:
        """An absolute http(s) URL, or "" when the attribute is absent or empty."""
        value = self._raw(name)
        if value is None or not value.strip():
            return ""
        return check_url(f"{self.tag} attribute {name!r}", value)

    def choice(self, name: str, default: str, allowed: Iterable[str]) -> str:
        value = self._raw(name)
        if value is None:
            return default
        options = tuple(allowed)
        if value.strip() not in options:
            shown = ", ".join(repr(o) for o in options)
            raise self.error(name, f"must be one of {shown} in this engine, not {value!r}")
        return value.strip()

    def default_only(self, name: str, plivo_default: str) -> None:
        """An attribute this engine honours only at Plivo's default (it always behaves
        so): any other value is refused."""
        value = self._raw(name)
        if value is not None and value.strip().lower() != plivo_default:
            raise self.error(name, f"is not supported by this engine except with its "
                             f"default value {plivo_default!r}")

    def unsupported(self, *names: str) -> None:
        """Attributes Plivo documents that this engine does not honour."""
        for name in names:
            if name in self._values:
                raise self.error(name, "is not supported by this engine")

    def finish(self) -> None:
        for name in self._values:
            if name not in self._read:
                raise self.error(name, "is not a Plivo attribute this engine knows")


def element_text(element: Element, *, max_length: int) -> str:
    """The text inside ``element`` (stripped), which must have no child element."""
    tag = f"<{element.tag}>"
    if len(element):
        raise DocumentError(f"{tag} may not contain the element <{element[0].tag}> in this "
                            "engine")
    text = (element.text or "").strip()
    if text and not max_length:
        raise DocumentError(f"{tag} may not contain text")
    if len(text) > max_length:
        raise DocumentError(f"{tag} text is longer than {max_length} characters")
    return text


def no_text(element: Element) -> None:
    """``element`` holds only elements: no stray text between them."""
    pieces = [element.text or "", *(child.tail or "" for child in element)]
    if any(piece.strip() for piece in pieces):
        raise DocumentError(f"<{element.tag}> may not contain text outside its elements")
