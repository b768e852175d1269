"""Reads the PBX's CEL file (Asterisk's own record of channel lifetimes) back from its end."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from engine.domain.witness import (
    ChannelLifetime,
    lifetimes_from_records,
    parse_cel,
    record_time,
)

log = logging.getLogger(__name__)

_BLOCK = 1 << 20
# CEL lines are written in event order, give or take a little; read a margin further back.
_MARGIN = timedelta(minutes=2)


def _lines_backwards(path: Path, block: int = _BLOCK) -> Iterator[str]:
    """The file's complete lines, newest first, read in blocks from the end."""
    with path.open("rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        tail = b""
        while position > 0:
            size = min(block, position)
            position -= size
            handle.seek(position)
            chunk = handle.read(size) + tail
            lines = chunk.split(b"\n")
            tail = lines[0]  # may be the end of a line that starts in the previous block
            for line in reversed(lines[1:]):
                if line.strip():
                    yield line.decode("utf-8", "replace")
        if tail.strip():
            yield tail.decode("utf-8", "replace")


def read_lifetimes(path: Path, channel_ids: set[str], since: datetime
                   ) -> dict[str, ChannelLifetime]:
    """Lifetimes of ``channel_ids`` from CEL lines no older than ``since`` (minus a margin).

    Reading stops at the first line older than that, so the cost is the recent part of the
    file, however large it has grown."""
    if not channel_ids or not path.exists():
        return {}
    horizon = since - _MARGIN
    newest_first: list[dict[str, object]] = []
    for line in _lines_backwards(path):
        record = parse_cel(line)  # each line is parsed once
        if record is None:
            continue
        moment = record_time(record)
        if moment is not None and moment < horizon:
            break
        newest_first.append(record)
    return lifetimes_from_records(reversed(newest_first), channel_ids)


class CelWitness:
    """The engine's window on Asterisk's CEL file (``ENGINE_CEL_PATH``)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def lifetimes(self, channel_ids: set[str], since: datetime
                        ) -> dict[str, ChannelLifetime]:
        if not channel_ids:
            return {}
        if not self._path.exists():
            log.warning("no CEL witness file; ends seen by nobody are the platform's",
                        extra={"path": str(self._path)})
            return {}
        return await asyncio.to_thread(read_lifetimes, self._path, channel_ids, since)
