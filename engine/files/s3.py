"""The S3 file store (AWS S3 or any S3-protocol server): keys ``<prefix><account_id>/<name>``.

Uploads are spooled to a local temporary file first (constant memory whatever the size),
then sent as one ``PutObject`` up to ``PART_BYTES`` or as a multipart upload of
``PART_BYTES`` parts (aborted on any failure, so a failed upload leaves nothing). S3 makes
each object visible whole, so readers never see a partial file. Reads stream the object's
body in 64 KiB chunks. Transport and service failures become ``Unavailable`` (503).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from engine.domain.errors import NotFound, Unavailable
from engine.domain.files import (
    FILE_NOT_FOUND,
    account_folder,
    is_valid_file_name,
    validate_file_name,
)
from engine.files.spool import CHUNK_BYTES, spool
from engine.files.store import StoredFile
from engine.settings import Settings

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

PART_BYTES = 8 * 1024 * 1024  # S3's minimum part is 5 MiB (except the last)
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


@dataclass(frozen=True)
class S3Config:
    bucket: str
    prefix: str = ""
    region: str = "us-east-1"
    endpoint_url: str = ""  # empty: AWS
    access_key_id: str = ""  # empty: the default credential chain (env, instance role…)
    secret_access_key: str = field(default="", repr=False)
    connect_seconds: float = 10.0
    read_seconds: float = 60.0
    max_attempts: int = 3  # per request, with botocore's standard back-off


def s3_config_from(settings: Settings) -> S3Config:
    if not settings.s3_bucket:
        raise ValueError("ENGINE_FILE_STORE=s3 needs ENGINE_S3_BUCKET")
    return S3Config(bucket=settings.s3_bucket, prefix=settings.s3_prefix,
                    region=settings.s3_region, endpoint_url=settings.s3_endpoint_url,
                    access_key_id=settings.s3_access_key_id,
                    secret_access_key=settings.s3_secret_access_key.get_secret_value())


class S3StoreUnavailable(Unavailable):
    code = "file_store_unavailable"


def not_found() -> NotFound:
    return NotFound("file not found", code=FILE_NOT_FOUND)


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    """botocore's failures in the engine's tree: a missing object is handled by callers."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        raise S3StoreUnavailable(f"the S3 file store refused the request ({code})") from exc
    except (BotoCoreError, OSError, TimeoutError) as exc:
        raise S3StoreUnavailable(f"the S3 file store cannot be reached: {exc}") from exc


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _MISSING


class S3FileStore:
    def __init__(self, config: S3Config, *, spool_dir: Path) -> None:
        self._config = config
        self._spool_dir = spool_dir
        self._session = get_session()
        addressing = "path" if config.endpoint_url else "auto"
        self._client_config = AioConfig(
            s3={"addressing_style": addressing},
            connect_timeout=config.connect_seconds, read_timeout=config.read_seconds,
            retries={"max_attempts": config.max_attempts, "mode": "standard"},
            # Checksums only where S3 requires them: S3-protocol servers vary in support.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required")

    def key(self, account_id: str, name: str) -> str:
        return f"{self._account_prefix(account_id)}{validate_file_name(name)}"

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[S3Client]:
        c = self._config
        with _mapped():
            async with self._session.create_client(
                "s3", region_name=c.region, endpoint_url=c.endpoint_url or None,
                aws_access_key_id=c.access_key_id or None,
                aws_secret_access_key=c.secret_access_key or None,
                config=self._client_config,
            ) as client:
                yield client

    async def put(self, account_id: str, name: str,
                  chunks: AsyncIterator[bytes]) -> StoredFile:
        key = self.key(account_id, name)
        work = await asyncio.to_thread(self._workdir)
        try:
            temp = work / "upload"
            size, _ = await spool(chunks, temp)
            handle = await asyncio.to_thread(temp.open, "rb")
            try:
                async with self._client() as client:
                    with _mapped():
                        if size <= PART_BYTES:
                            body = await asyncio.to_thread(handle.read)
                            await client.put_object(Bucket=self._config.bucket, Key=key,
                                                    Body=body)
                        else:
                            await self._multipart(client, key, handle)
            finally:
                await asyncio.to_thread(handle.close)
        finally:
            await asyncio.shield(asyncio.to_thread(shutil.rmtree, work, True))
        stored = await self.stat(account_id, name)
        if stored is None:  # deleted meanwhile
            raise not_found()
        return stored

    async def _multipart(self, client: S3Client, key: str, handle: BinaryIO) -> None:
        bucket = self._config.bucket
        upload = await client.create_multipart_upload(Bucket=bucket, Key=key)
        upload_id = upload["UploadId"]
        try:
            parts: list[CompletedPartTypeDef] = []
            number = 1
            while part := await asyncio.to_thread(handle.read, PART_BYTES):
                answer = await client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id,
                                                  PartNumber=number, Body=part)
                parts.append({"ETag": answer["ETag"], "PartNumber": number})
                number += 1
            await client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(client.abort_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=upload_id))
            raise

    async def read(self, account_id: str, name: str) -> AsyncIterator[bytes]:
        key = self.key(account_id, name)
        async with self._client() as client:
            with _mapped():
                try:
                    answer = await client.get_object(Bucket=self._config.bucket, Key=key)
                except ClientError as exc:
                    if _missing(exc):
                        raise not_found() from None
                    raise
                body = answer["Body"]
                try:
                    async for chunk in body.iter_chunks(CHUNK_BYTES):
                        yield chunk
                finally:
                    body.close()

    async def stat(self, account_id: str, name: str) -> StoredFile | None:
        key = self.key(account_id, name)
        async with self._client() as client:
            with _mapped():
                try:
                    head = await client.head_object(Bucket=self._config.bucket, Key=key)
                except ClientError as exc:
                    if _missing(exc):
                        return None
                    raise
        return StoredFile(name, head["ContentLength"], _utc(head["LastModified"]))

    async def list(self, account_id: str) -> list[StoredFile]:
        prefix = self._account_prefix(account_id)
        files: list[StoredFile] = []
        async with self._client() as client:
            with _mapped():
                pages = client.get_paginator("list_objects_v2").paginate(
                    Bucket=self._config.bucket, Prefix=prefix, Delimiter="/")
                async for page in pages:
                    for item in page.get("Contents", []):
                        name = item["Key"][len(prefix):]
                        if is_valid_file_name(name):
                            files.append(StoredFile(name, item["Size"],
                                                    _utc(item["LastModified"])))
        return sorted(files, key=lambda f: f.name)

    async def delete(self, account_id: str, name: str) -> bool:
        """True if it existed (S3's DeleteObject answers the same either way: head first)."""
        if await self.stat(account_id, name) is None:
            return False
        async with self._client() as client:
            with _mapped():
                await client.delete_object(Bucket=self._config.bucket,
                                           Key=self.key(account_id, name))
        return True

    def _account_prefix(self, account_id: str) -> str:
        return f"{self._config.prefix}{account_folder(account_id)}/"

    def _workdir(self) -> Path:
        self._spool_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="s3-put-", dir=self._spool_dir))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
