"""Streams to and from local temporary files, a chunk at a time (constant memory)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

CHUNK_BYTES = 64 * 1024


async def spool(chunks: AsyncIterator[bytes], dest: Path) -> tuple[int, str]:
    """Write ``chunks`` to ``dest`` (created or truncated); (size, sha256 hex) of the bytes."""
    digest = hashlib.sha256()
    size = 0
    handle = await asyncio.to_thread(dest.open, "wb")
    try:
        async for chunk in chunks:
            if chunk:
                digest.update(chunk)
                size += len(chunk)
                await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)
    return size, digest.hexdigest()


async def file_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
    """The bytes of ``path`` in chunks of ``chunk_bytes``."""
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, chunk_bytes):
            yield chunk
    finally:
        handle.close()
