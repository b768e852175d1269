"""CSV bytes in any chunking → the same records; files that are not CSV → InvalidCsv."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.contacts.csvstream import (
    CsvStream,
    decode_line,
    decode_lines,
    read_block,
    sniff_delimiter,
)
from engine.domain.contacts.model import InvalidCsv

Rows = list[tuple[int, list[str]]]


def read(data: bytes, chunk: int = 65536, **limits: int) -> tuple[Rows, str]:
    stream = CsvStream(**limits)
    rows: Rows = []
    for start in range(0, len(data), chunk):
        rows += stream.feed(data[start:start + chunk])
    rows += stream.finish()
    return rows, stream.delimiter


def test_bom_semicolons_crlf_and_blank_lines() -> None:
    data = "\ufeffname;number\r\nAnkit;919979271234\r\n\r\n ; \r\nabc;918000681234\r\n"
    rows, delimiter = read(data.encode("utf-8"))
    assert delimiter == ";"
    assert rows == [(1, ["name", "number"]), (2, ["Ankit", "919979271234"]),
                    (5, ["abc", "918000681234"])]


def test_quoted_fields_hold_delimiters_quotes_and_line_breaks() -> None:
    data = b'n,number,note\n"Doe, John",15168148111,"said ""hi""\nthen left"\nx,15168148112,y'
    for chunk in (1, 2, 7, 64):
        rows, _ = read(data, chunk)
        assert rows == [(1, ["n", "number", "note"]),
                        (2, ["Doe, John", "15168148111", 'said "hi"\nthen left']),
                        (4, ["x", "15168148112", "y"])], chunk


def test_latin1_and_windows_1252_lines_beside_utf8() -> None:
    data = "José,15168148111\n".encode("latin-1") + "Zoë,15168148112\n".encode() + \
        b"O\x92Brien,15168148113\n"
    rows, _ = read(data)
    assert [cells[0] for _, cells in rows] == ["José", "Zoë", "O\u2019Brien"]
    assert decode_line(b"\x81") == "\x81"  # undefined in Windows-1252: Latin-1


def test_a_bom_split_over_chunks_and_a_file_of_only_a_bom() -> None:
    assert read("\ufeffa,15168148111".encode(), chunk=1)[0] == [(1, ["a", "15168148111"])]
    assert read(b"\xef\xbb\xbf", chunk=1)[0] == []
    assert read(b"\xef\xbb", chunk=1)[0] == [(1, ["\u00ef\u00bb"])]  # not a BOM: text


def test_tab_and_single_column_files() -> None:
    assert read(b"a\t15168148111\n")[1] == "\t"
    rows, delimiter = read(b"15168148111\n15168148112")
    assert delimiter == "," and rows == [(1, ["15168148111"]), (2, ["15168148112"])]


def test_sniffing_ignores_quoted_text() -> None:
    assert sniff_delimiter('"a;b;c",x,y\n') == ","
    assert sniff_delimiter('"a,b,c";x\n') == ";"
    assert sniff_delimiter("15168148111\n") == ","


@pytest.mark.parametrize(("data", "field_limit", "message"), [
    (b"a,b\n\x00\x01", 0, "the file holds binary data (a NUL byte at offset 4); it is not a CSV"),
    (bytes(range(1, 9)) * 4, 0, "the file holds binary data (control characters)"),
    (b"a,15168148111\n" + b"x" * 2000, 0, "line 2 is longer than 1000 bytes"),
    (b'a,"' + b"x\n" * 600, 0, "line 1: a quoted field is not closed within 1000 characters"),
    (b'a,"' + b"x" * 990, 500, "line 1: field larger than field limit (500)"),
])
def test_not_a_csv(data: bytes, field_limit: int, message: str) -> None:
    limit = csv.field_size_limit()
    csv.field_size_limit(field_limit or limit)
    try:
        with pytest.raises(InvalidCsv) as caught:
            read(data, 256, max_line_bytes=1000, max_record_chars=1000)
    finally:
        csv.field_size_limit(limit)
    assert caught.value.message.startswith(message), caught.value.message


def test_a_few_control_characters_are_text() -> None:
    rows, _ = read(b"a\x1a,15168148111\n")
    assert rows == [(1, ["a\x1a", "15168148111"])]


def test_decode_lines_keeps_line_ends() -> None:
    assert decode_lines(b"a\nb\n") == ["a\n", "b\n"]
    assert decode_lines(b"a\n\xe9\n") == ["a\n", "\xe9\n"]
    assert decode_lines(b"a\n\xe9") == ["a\n", "\xe9"]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), delimiter=st.sampled_from([",", ";", "\t"]),
       chunk=st.integers(min_value=1, max_value=40))
def test_any_chunking_reads_what_csv_writes(data: st.DataObject, delimiter: str,
                                            chunk: int) -> None:
    # Cells hold the file's own delimiter, quotes and line breaks, never another delimiter
    # (which would make the first line ambiguous to any sniffer).
    cell = st.text(alphabet=st.sampled_from(list(f'ab1 "\n\u00e9{delimiter}')), max_size=6)
    rows = data.draw(st.lists(st.lists(cell, min_size=2, max_size=4), min_size=1, max_size=12))
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\n").writerows(
        [["x", *r] for r in rows])
    records, sniffed = read(text.getvalue().encode(), chunk)
    assert sniffed == delimiter
    # Blank lines are skipped; nothing here is blank (every row starts with "x").
    assert [cells for _, cells in records] == [["x", *r] for r in rows]
    assert records[0][0] == 1


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.text(alphabet=st.sampled_from(list('ab1 ,;"\té\r')), max_size=8),
                      min_size=1, max_size=15),
       chunk=st.integers(min_value=1, max_value=30))
def test_plain_blocks_read_as_feed_would(lines: list[str], chunk: int) -> None:
    data = ("h,h\n" + "\n".join(lines) + "\n").encode("utf-8")
    expected: Rows | str
    try:
        expected, _ = read(data, chunk)
    except InvalidCsv as exc:
        expected = exc.message
    got: Rows | str
    stream = CsvStream()
    try:
        got = []
        for start in range(0, len(data), chunk):
            piece = data[start:start + chunk]
            plain = stream.plain_block(piece) if got else None
            if plain is None:
                got += stream.feed(piece)
            else:
                got += read_block(plain[1], plain[0], stream.delimiter)
        got += stream.finish()
    except InvalidCsv as exc:
        got = exc.message
    assert got == expected


def test_plain_blocks_only_between_whole_records() -> None:
    stream = CsvStream()
    assert stream.plain_block(b"a,1\n") is None  # the reader has not started yet
    assert stream.feed(b'a,1\nb,"x\n') == [(1, ["a", "1"])]
    assert stream.plain_block(b"y,2\n") is None  # a quoted field is still open
    assert stream.feed(b'y",3\n') == [(2, ["b", "x\ny", "3"])]
    assert stream.plain_block(b"c,4\nd,") == (4, b"c,4\n")
    assert stream.plain_block(b'5\n"e"') is None  # a quote: the reader decides…
    assert stream.feed(b'5\n"e"') == [(5, ["d", "5"])]  # …so the chunk goes to feed
    assert stream.feed(b",6\n") == [(6, ["e", "6"])]
