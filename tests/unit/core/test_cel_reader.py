"""Reading Asterisk's CEL file backwards from its end (tmp_path files only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.calls.witness import CelWitness, _lines_backwards, read_lifetimes

LEG_ID = "42e17a2c43.1"
OTHER_ID = "42e17a2c43.2"
SINCE = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def cel(kind: str, when: datetime, uniqueid: str = LEG_ID, extra: str = "") -> str:
    return json.dumps({"eventtype": kind, "eventtime": f"{when.timestamp():.6f}",
                       "uniqueid": uniqueid, "linkedid": uniqueid,
                       "channame": "PJSIP/102-00000005", "appname": "", "appdata": "",
                       "eventextra": extra}, separators=(",", ":"))


def hangup(when: datetime, cause: int, uniqueid: str = LEG_ID) -> str:
    extra = json.dumps({"hangupcause": cause, "hangupsource": "PJSIP/carrier-00000004",
                        "dialstatus": ""})
    return cel("HANGUP", when, uniqueid, extra)


def write(path: Path, lines: list[str], *, end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


@pytest.mark.parametrize("block", [1, 2, 7, 64, 1 << 20])
def test_lines_come_back_whole_and_newest_first(tmp_path: Path, block: int) -> None:
    lines = ["a", "bb", "a line much longer than the block size", "",
             "ccc", "ünïcödé spans blocks", "d"]
    path = write(tmp_path / "cel.log", lines)
    assert list(_lines_backwards(path, block=block)) == [
        line for line in reversed(lines) if line]


def test_a_last_line_without_newline_and_a_first_line_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "cel.log", ["first line", "middle", "torn {\"event"], end="")
    assert list(_lines_backwards(path, block=7)) == ["torn {\"event", "middle", "first line"]


def test_an_empty_file_gives_no_lines(tmp_path: Path) -> None:
    path = tmp_path / "cel.log"
    path.write_bytes(b"")
    assert list(_lines_backwards(path, block=7)) == []


def test_cel_lines_spanning_blocks_are_not_torn(tmp_path: Path) -> None:
    lines = [cel("CHAN_START", SINCE + timedelta(seconds=n), f"id.{n}") for n in range(5)]
    path = write(tmp_path / "cel.log", lines)
    back = list(_lines_backwards(path, block=7))
    assert back == list(reversed(lines))
    assert all(json.loads(line)["eventtype"] == "CHAN_START" for line in back)


def test_a_missing_file_gives_nothing(tmp_path: Path) -> None:
    assert read_lifetimes(tmp_path / "absent.log", {LEG_ID}, SINCE) == {}


def test_no_wanted_ids_gives_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "cel.log", [cel("CHAN_START", SINCE)])
    assert read_lifetimes(path, set(), SINCE) == {}


def test_recent_records_are_folded_in_file_order(tmp_path: Path) -> None:
    lines = [
        cel("CHAN_START", SINCE + timedelta(seconds=1)),
        cel("CHAN_START", SINCE + timedelta(seconds=1), OTHER_ID),
        cel("ANSWER", SINCE + timedelta(seconds=3)),
        cel("ANSWER", SINCE + timedelta(seconds=4)),  # only the first answer counts
        hangup(SINCE + timedelta(seconds=9), 16),
        cel("CHAN_END", SINCE + timedelta(seconds=9)),
        hangup(SINCE + timedelta(seconds=4), 19, OTHER_ID),
    ]
    path = write(tmp_path / "cel.log", lines)
    found = read_lifetimes(path, {LEG_ID, OTHER_ID}, SINCE)
    assert found[LEG_ID].started_at == SINCE + timedelta(seconds=1)
    assert found[LEG_ID].answered_at == SINCE + timedelta(seconds=3)
    assert found[LEG_ID].ended_at == SINCE + timedelta(seconds=9)
    assert found[LEG_ID].cause == 16
    assert found[OTHER_ID].answered_at is None
    assert found[OTHER_ID].cause == 19


def test_reading_stops_at_the_first_line_older_than_the_horizon(tmp_path: Path) -> None:
    long_ago = SINCE - timedelta(hours=3)
    lines = [
        # A record of the same id from long before: a recycled id must not be folded in.
        cel("ANSWER", long_ago),
        # Written before the old line but stamped recently: reading has stopped already.
        cel("CHAN_START", SINCE + timedelta(seconds=1), OTHER_ID),
        cel("CHAN_START", long_ago + timedelta(seconds=1)),
        # Within the two-minute margin before ``since``: still read.
        cel("CHAN_START", SINCE - timedelta(minutes=1)),
        hangup(SINCE + timedelta(seconds=5), 19),
        "garbage that is not CEL",
    ]
    path = write(tmp_path / "cel.log", lines)
    found = read_lifetimes(path, {LEG_ID, OTHER_ID}, SINCE)
    assert set(found) == {LEG_ID}
    life = found[LEG_ID]
    assert life.answered_at is None  # the old ANSWER is beyond the horizon
    assert life.started_at == SINCE - timedelta(minutes=1)
    assert life.ended_at == SINCE + timedelta(seconds=5)
    assert life.cause == 19


def test_a_line_just_past_the_margin_stops_reading(tmp_path: Path) -> None:
    lines = [
        cel("ANSWER", SINCE - timedelta(minutes=2, seconds=1)),
        hangup(SINCE + timedelta(seconds=5), 16),
    ]
    path = write(tmp_path / "cel.log", lines)
    assert read_lifetimes(path, {LEG_ID}, SINCE)[LEG_ID].answered_at is None
    inside = write(tmp_path / "inside.log", [
        cel("ANSWER", SINCE - timedelta(minutes=1, seconds=59)),
        hangup(SINCE + timedelta(seconds=5), 16),
    ])
    assert read_lifetimes(inside, {LEG_ID}, SINCE)[LEG_ID].answered_at is not None


def test_a_torn_last_line_does_not_stop_reading(tmp_path: Path) -> None:
    lines = [cel("ANSWER", SINCE + timedelta(seconds=2)),
             hangup(SINCE + timedelta(seconds=5), 16),
             '{"eventtype":"CHAN_END","eventtime":"17']
    path = write(tmp_path / "cel.log", lines, end="")
    life = read_lifetimes(path, {LEG_ID}, SINCE)[LEG_ID]
    assert life.answered_at == SINCE + timedelta(seconds=2)
    assert life.cause == 16


async def test_the_witness_reads_in_a_thread_and_tolerates_no_file(tmp_path: Path) -> None:
    assert await CelWitness(tmp_path / "absent.log").lifetimes({LEG_ID}, SINCE) == {}
    path = write(tmp_path / "cel.log", [hangup(SINCE + timedelta(seconds=5), 17)])
    witness = CelWitness(path)
    assert await witness.lifetimes(set(), SINCE) == {}
    found = await witness.lifetimes({LEG_ID}, SINCE)
    assert found[LEG_ID].cause == 17
