"""A CSV file read as it arrives, in constant memory: bytes in, ``(line, cells)`` out.

* Encoding: a UTF-8 byte-order mark at the start is dropped; each line is UTF-8 when it
  decodes as UTF-8, else Windows-1252 (a superset of Latin-1's printable characters),
  else Latin-1. Lines end with LF or CRLF.
* Delimiter: ``,``, ``;`` or a tab, whichever the first non-blank line holds most of
  outside quotes (``,`` on a tie or when it has none: a single-column file).
* Quoting as Python's ``csv`` module (RFC 4180): quoted fields may hold delimiters, quotes
  (doubled) and line breaks; a record spanning two chunks is read once it is whole.
* Not a CSV (``InvalidCsv``, nothing imported): a NUL byte anywhere, a chunk of which more
  than 1 % are control characters, a line longer than ``max_line_bytes``, a record longer
  than ``max_record_chars``, or what ``csv`` calls an error (e.g. a field over 128 KiB).
* Blank lines (only delimiters and white space) are skipped; a record's number is the line
  it starts on (1-based, counting the header), so reports point into the file.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator

from engine.domain.contacts.model import InvalidCsv

UTF8_BOM = b"\xef\xbb\xbf"
MAX_LINE_BYTES = 1024 * 1024
MAX_RECORD_CHARS = 1024 * 1024
DELIMITERS = (",", ";", "\t")

_QUOTED = re.compile(r'"[^"]*"')
_CONTROLS = frozenset(range(32)) - {9, 10, 12, 13}
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROLS)

Row = tuple[int, list[str]]


class NeedMore(Exception):
    """The record goes on past the lines received so far."""


class _Lines:
    """``csv.reader``'s input: decoded lines handed out one by one, that can be given back
    when a record turns out to continue in the next chunk."""

    def __init__(self) -> None:
        self.queue: deque[str] = deque()
        self.taken: list[str] = []
        self.eof = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if not self.queue:
            if self.eof:
                raise StopIteration
            raise NeedMore
        line = self.queue.popleft()
        self.taken.append(line)
        return line

    def mark(self) -> None:
        self.taken.clear()

    def rewind(self) -> int:
        """Give the lines of the unfinished record back; returns their length."""
        self.queue.extendleft(reversed(self.taken))
        size = sum(len(line) for line in self.taken)
        self.taken.clear()
        return size


def sniff_delimiter(line: str) -> str:
    unquoted = _QUOTED.sub("", line)
    counts = [unquoted.count(d) for d in DELIMITERS]
    best = max(range(len(DELIMITERS)), key=lambda i: counts[i])
    return DELIMITERS[best] if counts[best] else ","


def decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def decode_lines(block: bytes) -> list[str]:
    """The lines of ``block`` (whole lines, each keeping its "\\n"), decoded line by line.

    A block that is UTF-8 as a whole is decoded at once: "\\n" never occurs inside a UTF-8
    sequence, so that is the same as line by line."""
    try:
        parts = block.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raw = block.split(b"\n")
        lines = [decode_line(part + b"\n") for part in raw[:-1]]
        if raw[-1]:
            lines.append(decode_line(raw[-1]))
        return lines
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


class CsvStream:
    """Push parser: ``feed`` each chunk, then ``finish``; each returns the records that
    became complete, as ``(line number, cells)``."""

    def __init__(self, *, max_line_bytes: int = MAX_LINE_BYTES,
                 max_record_chars: int = MAX_RECORD_CHARS) -> None:
        self._max_line = max_line_bytes
        self._max_record = max_record_chars
        self._buffer = b""
        self._fed = 0
        self._started = False
        self._lines = _Lines()
        self._reader: Iterator[list[str]] | None = None
        self._line_no = 1  # the line the next record starts on
        self.delimiter = ","

    @property
    def bytes_fed(self) -> int:
        return self._fed

    def feed(self, chunk: bytes) -> list[Row]:
        if not chunk:
            return []
        self._check_binary(chunk)
        self._fed += len(chunk)
        data = self._buffer + chunk
        if not self._started:
            if len(data) < len(UTF8_BOM) and UTF8_BOM.startswith(data):
                self._buffer = data
                return []
            self._started = True
            data = data.removeprefix(UTF8_BOM)
        cut = data.rfind(b"\n") + 1
        self._buffer = data[cut:]
        if len(self._buffer) > self._max_line:
            raise InvalidCsv(f"line {self._line_no + len(self._lines.queue)} is longer than "
                             f"{self._max_line} bytes; the file is not a CSV")
        if cut:
            self._lines.queue.extend(decode_lines(data[:cut]))
        return self._rows()

    def plain_block(self, chunk: bytes) -> tuple[int, bytes] | None:
        """The whole lines ``chunk`` completes, undecoded, and the number of the first,
        when they need no CSV reader to be cut into records: the reader has started, no
        record is unfinished and no quote is in sight, so every line is one record. Such
        a block can go to a worker as is (``read_block``). None: use ``feed`` instead."""
        if (self._reader is None or self._lines.queue or b'"' in chunk
                or b'"' in self._buffer):
            return None
        self._check_binary(chunk)
        self._fed += len(chunk)
        data = self._buffer + chunk
        cut = data.rfind(b"\n") + 1
        self._buffer = data[cut:]
        if len(self._buffer) > self._max_line:
            raise InvalidCsv(f"line {self._line_no} is longer than {self._max_line} bytes; "
                             "the file is not a CSV")
        first = self._line_no
        self._line_no += data.count(b"\n", 0, cut)
        return first, data[:cut]

    def finish(self) -> list[Row]:
        data = self._buffer
        if not self._started:
            data = data.removeprefix(UTF8_BOM)
        self._buffer = b""
        if data:
            self._lines.queue.extend(decode_lines(data))
        self._lines.eof = True
        return self._rows()

    def _check_binary(self, chunk: bytes) -> None:
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise InvalidCsv(f"the file holds binary data (a NUL byte at offset "
                             f"{self._fed + nul}); it is not a CSV")
        controls = len(chunk.translate(None, _NOT_CONTROL))
        if controls > max(8, len(chunk) // 100):
            raise InvalidCsv("the file holds binary data (control characters); it is not a CSV")

    def _rows(self) -> list[Row]:
        rows: list[Row] = []
        while self._lines.queue or (self._lines.eof and self._reader is not None):
            reader = self._reader or self._start()
            if reader is None:
                break
            self._lines.mark()
            try:
                cells = next(reader)
            except NeedMore:
                if self._lines.rewind() > self._max_record:
                    raise InvalidCsv(f"line {self._line_no}: a quoted field is not closed "
                                     f"within {self._max_record} characters") from None
                break
            except StopIteration:
                break
            except csv.Error as exc:
                raise InvalidCsv(f"line {self._line_no}: {exc}") from None
            row = self._line_no
            self._line_no += len(self._lines.taken)
            if any(cell.strip() for cell in cells):
                rows.append((row, cells))
        return rows

    def _start(self) -> Iterator[list[str]] | None:
        """The reader, once the first non-blank line is here to pick the delimiter."""
        queue = self._lines.queue
        while queue and not queue[0].strip():
            queue.popleft()
            self._line_no += 1
        if not queue:
            return None
        self.delimiter = sniff_delimiter(queue[0])
        self._reader = csv.reader(self._lines, delimiter=self.delimiter)
        return self._reader


def read_block(block: bytes, first_line: int, delimiter: str) -> list[Row]:
    """The records of a block from ``CsvStream.plain_block`` (one per line, no quotes),
    exactly as ``feed`` would have read them."""
    rows: list[Row] = []
    line = first_line
    reader = csv.reader(decode_lines(block), delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise InvalidCsv(f"line {line}: {exc}") from None
        if any(cell.strip() for cell in cells):
            rows.append((line, cells))
        line += 1
