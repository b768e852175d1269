"""Reading an answer_url document safely (pure): bounded, with no DTD and no entities.

The bytes come from a server the engine does not trust. Before anything is built:
- the body is at most ``MAX_DOCUMENT_BYTES``;
- the parser is defusedxml's, with DTDs, entity declarations and external references all
  refused (billion laughs, quadratic blow-up and XXE cannot start);
- while parsing, nesting deeper than ``MAX_DEPTH`` or more than ``MAX_ELEMENTS`` elements
  stop the parse at once (a deep or huge tree is never built).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_DEPTH = 8  # <Response><PreAnswer><GetDigits><Speak> is 4
MAX_ELEMENTS = 1000


class DocumentError(ValueError):
    """The document cannot run: the message names the element (and attribute) at fault; it
    reaches the call's log and webhooks as it is."""


class _Bounded:
    """A parser target that builds the tree and stops the parse when it grows too deep or
    too large."""

    def __init__(self) -> None:
        self._builder = TreeBuilder()
        self._depth = 0
        self._count = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self._depth += 1
        self._count += 1
        if self._depth > MAX_DEPTH:
            raise DocumentError(f"the document nests elements deeper than {MAX_DEPTH} levels")
        if self._count > MAX_ELEMENTS:
            raise DocumentError(f"the document has more than {MAX_ELEMENTS} elements")
        return self._builder.start(tag, attrs)

    def end(self, tag: str) -> Element:
        self._depth -= 1
        return self._builder.end(tag)

    def data(self, data: str) -> None:
        self._builder.data(data)

    def close(self) -> Element:
        return self._builder.close()


def load(body: bytes) -> Element:
    """The root element of ``body``; ``DocumentError`` for anything unsafe or malformed."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
    if not body.strip():
        raise DocumentError("the document is empty")
    parser = DefusedXMLParser(target=_Bounded(), forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    try:
        parser.feed(body)
        root: Element = parser.close()
    except DefusedXmlException as exc:
        raise DocumentError("the document declares a DTD, an entity or an external "
                            f"reference; they are refused ({type(exc).__name__})") from None
    except ParseError as exc:
        raise DocumentError(f"the document is not well-formed XML ({exc})") from None
    return root
