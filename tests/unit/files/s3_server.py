"""A real S3-protocol server for the tests: moto's ThreadedMotoServer on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiobotocore.session import get_session
from moto.server import ThreadedMotoServer

from engine.files.s3 import S3Config

ACCESS_KEY = "testing-key"
SECRET_KEY = "testing-secret"  # moto accepts any credentials
REGION = "us-east-1"


@contextmanager
def running_s3_server() -> Iterator[str]:
    """The endpoint URL of a fresh moto S3 server (stopped on exit)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


async def create_bucket(endpoint_url: str, bucket: str) -> S3Config:
    """Create ``bucket`` on the server; the store's configuration for it."""
    session = get_session()
    async with session.create_client("s3", region_name=REGION, endpoint_url=endpoint_url,
                                     aws_access_key_id=ACCESS_KEY,
                                     aws_secret_access_key=SECRET_KEY) as client:
        await client.create_bucket(Bucket=bucket)
    return S3Config(bucket=bucket, prefix="engine/", region=REGION, endpoint_url=endpoint_url,
                    access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY)
