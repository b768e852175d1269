"""One contract, two backends: the local directory store and the S3 store (against moto's
real S3 server on loopback). Whatever a caller sees must not depend on the backend."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiobotocore.session import get_session

from engine.domain.errors import InvalidField, NotFound
from engine.files.local import FileStoreUnavailable, LocalFileStore
from engine.files.s3 import PART_BYTES, S3Config, S3FileStore, S3StoreUnavailable
from engine.files.store import FileStore
from tests.unit.files.s3_server import ACCESS_KEY, REGION, SECRET_KEY, create_bucket
from tests.unit.files.s3_server import running_s3_server as s3_server

_buckets = itertools.count()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore:
    if request.param == "local":
        return LocalFileStore(tmp_path / "files")
    endpoint: str = request.getfixturevalue("s3_endpoint")
    config = await create_bucket(endpoint, f"bucket-{next(_buckets)}")
    return S3FileStore(config, spool_dir=tmp_path / "spool")


async def chunks_of(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def read_all(store: FileStore, account: str, name: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(account, name)])


async def test_put_then_read_stat_list(store: FileStore) -> None:
    body = os.urandom(200_000)
    before = datetime.now(UTC) - timedelta(seconds=5)
    stored = await store.put("account_1", "list.csv", chunks_of([body[:1000], body[1000:]]))
    assert stored.name == "list.csv" and stored.size == len(body)
    assert before <= stored.modified <= datetime.now(UTC) + timedelta(seconds=5)
    chunks = [chunk async for chunk in store.read("account_1", "list.csv")]
    assert len(chunks) >= 2, "a 200 kB file is read in several chunks"
    assert all(len(c) <= 64 * 1024 for c in chunks)
    assert b"".join(chunks) == body
    assert await store.stat("account_1", "list.csv") == stored
    assert await store.list("account_1") == [stored]


async def test_put_replaces_and_list_is_sorted_per_account(store: FileStore) -> None:
    await store.put("account_1", "b.csv", chunks_of([b"old"]))
    await store.put("account_1", "b.csv", chunks_of([b"new!"]))
    await store.put("account_1", "a é.txt", chunks_of([b""]))
    await store.put("account_2", "c.csv", chunks_of([b"theirs"]))
    assert await read_all(store, "account_1", "b.csv") == b"new!"
    listed = await store.list("account_1")
    assert [(f.name, f.size) for f in listed] == [("a é.txt", 0), ("b.csv", 4)]
    assert [f.name for f in await store.list("account_2")] == ["c.csv"]
    assert await store.list("account_3") == []


async def test_accounts_do_not_see_each_other(store: FileStore) -> None:
    await store.put("account_1", "mine.csv", chunks_of([b"secret"]))
    assert await store.stat("account_2", "mine.csv") is None
    with pytest.raises(NotFound) as caught:
        await read_all(store, "account_2", "mine.csv")
    assert caught.value.code == "file_not_found"
    assert await store.delete("account_2", "mine.csv") is False
    assert await read_all(store, "account_1", "mine.csv") == b"secret"


async def test_missing_files(store: FileStore) -> None:
    assert await store.stat("account_1", "nope.csv") is None
    with pytest.raises(NotFound):
        await read_all(store, "account_1", "nope.csv")
    assert await store.delete("account_1", "nope.csv") is False


async def test_delete(store: FileStore) -> None:
    await store.put("account_1", "gone.csv", chunks_of([b"x"]))
    assert await store.delete("account_1", "gone.csv") is True
    assert await store.stat("account_1", "gone.csv") is None
    assert await store.list("account_1") == []


async def test_a_failed_upload_leaves_the_old_file(store: FileStore) -> None:
    await store.put("account_1", "keep.csv", chunks_of([b"original"]))

    async def broken() -> AsyncIterator[bytes]:
        yield b"partial data"
        raise ConnectionResetError("client gone")

    with pytest.raises(ConnectionResetError):
        await store.put("account_1", "keep.csv", broken())
    with pytest.raises(ConnectionResetError):
        await store.put("account_1", "new.csv", broken())
    assert await read_all(store, "account_1", "keep.csv") == b"original"
    assert [f.name for f in await store.list("account_1")] == ["keep.csv"]


@pytest.mark.parametrize("name", ["", "..", ".hidden", "a/b", "a\\b", "a\x00b", "a\nb",
                                  "x" * 201])
async def test_bad_names_are_refused_everywhere(store: FileStore, name: str) -> None:
    with pytest.raises(InvalidField) as caught:
        await store.put("account_1", name, chunks_of([b"x"]))
    assert caught.value.code == "invalid_file_name" and caught.value.field == "name"
    with pytest.raises(InvalidField):
        await read_all(store, "account_1", name)
    with pytest.raises(InvalidField):
        await store.stat("account_1", name)
    with pytest.raises(InvalidField):
        await store.delete("account_1", name)
    assert await store.list("account_1") == []


async def test_a_file_over_several_s3_parts(store: FileStore) -> None:
    block = os.urandom(1024 * 1024)
    count = PART_BYTES // len(block) * 2 + 1  # two full parts and a short last one
    stored = await store.put("account_1", "big.bin", chunks_of([block] * count))
    assert stored.size == len(block) * count
    received = 0
    async for chunk in store.read("account_1", "big.bin"):
        offset = received % len(block)
        assert chunk == (block * 2)[offset:offset + len(chunk)]
        received += len(chunk)
    assert received == stored.size


async def test_s3_keys_live_under_the_prefix_and_account(s3_endpoint: str,
                                                         tmp_path: Path) -> None:
    config = await create_bucket(s3_endpoint, f"bucket-{next(_buckets)}")
    store = S3FileStore(config, spool_dir=tmp_path / "spool")
    await store.put("account_1", "list.csv", chunks_of([b"x"]))
    session = get_session()
    async with session.create_client("s3", region_name=REGION, endpoint_url=s3_endpoint,
                                     aws_access_key_id=ACCESS_KEY,
                                     aws_secret_access_key=SECRET_KEY) as client:
        listed = await client.list_objects_v2(Bucket=config.bucket)
        # A key deeper than the account's folder is not one of its files.
        await client.put_object(Bucket=config.bucket, Key="engine/account_1/sub/x.csv",
                                Body=b"y")
    assert [o["Key"] for o in listed["Contents"]] == ["engine/account_1/list.csv"]
    assert [f.name for f in await store.list("account_1")] == ["list.csv"]
    assert list((tmp_path / "spool").iterdir()) == []


async def test_s3_unreachable_is_unavailable(tmp_path: Path) -> None:
    config = S3Config(bucket="b", endpoint_url="http://127.0.0.1:9", access_key_id="k",
                      secret_access_key="s", connect_seconds=1, max_attempts=1)
    store = S3FileStore(config, spool_dir=tmp_path)
    with pytest.raises(S3StoreUnavailable):
        await store.stat("account_1", "x.csv")
    with pytest.raises(S3StoreUnavailable):
        await store.put("account_1", "x.csv", chunks_of([b"x"]))


async def test_s3_missing_bucket_is_unavailable(s3_endpoint: str, tmp_path: Path) -> None:
    config = S3Config(bucket="no-such-bucket", endpoint_url=s3_endpoint,
                      access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY)
    store = S3FileStore(config, spool_dir=tmp_path)
    with pytest.raises(S3StoreUnavailable):
        await store.put("account_1", "x.csv", chunks_of([b"x"]))
    with pytest.raises(S3StoreUnavailable):
        await store.list("account_1")


async def test_local_disk_failure_is_unavailable(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "account_1").write_bytes(b"not a directory")
    with pytest.raises(FileStoreUnavailable) as caught:
        await store.put("account_1", "x.csv", chunks_of([b"x"]))
    assert caught.value.code == "file_store_unavailable"
