"""The file store the settings ask for (``file_store = "local" | "s3"``)."""

from __future__ import annotations

from pathlib import Path

from engine.files.local import LocalFileStore
from engine.files.s3 import S3FileStore, s3_config_from
from engine.files.store import FileStore
from engine.settings import Settings


def files_root(settings: Settings) -> Path:
    """The local backend's root: ``files_path``, else ``<var_dir>/files``."""
    return settings.files_path or settings.var_dir / "files"


def scratch_dir(settings: Settings) -> Path:
    """Where uploads are spooled and converted (never listed, emptied after each use)."""
    return settings.var_dir / "tmp" / "files"


def build_file_store(settings: Settings) -> FileStore:
    """The configured backend; ValueError (at start-up) when S3 is chosen without a bucket."""
    if settings.file_store == "s3":
        return S3FileStore(s3_config_from(settings), spool_dir=scratch_dir(settings))
    return LocalFileStore(files_root(settings))
