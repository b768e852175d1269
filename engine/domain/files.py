"""Files of an account's file store (pure): name rules, and which names are audio.

A file name is one path component that every backend stores as is (a directory entry of
the local store, the last part of an S3 key), so the rules below keep any name from
escaping the account's folder or prefix, and keep hidden/temporary names (a leading ``.``)
for the backends' own use.
"""

from __future__ import annotations

import re

from engine.domain.errors import InvalidField

MAX_NAME_CHARS = 200
# Directory entries are at most 255 bytes on most file systems; a name of 200 characters
# outside ASCII can need 800. The store's temporary names add a few bytes too.
MAX_NAME_BYTES = 240
INVALID_NAME = "invalid_file_name"
FILE_NOT_FOUND = "file_not_found"
WAV_SUFFIX = ".wav"

# C0 controls, DEL and C1 controls: a name reaches logs, headers and S3 keys.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ACCOUNT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


def validate_file_name(name: str) -> str:
    """``name`` if it is a safe file name, else ``InvalidField("name", code=invalid_file_name)``.

    Rules: 1-200 characters (at most 240 bytes in UTF-8); no ``/`` or ``\\``; no NUL or
    other control character; not ``.``/``..`` and no leading ``.``; no leading or trailing
    white space (it would make two names look alike).
    """
    if not name:
        raise _invalid("the file name is empty")
    if len(name) > MAX_NAME_CHARS:
        raise _invalid(f"the file name is longer than {MAX_NAME_CHARS} characters")
    if "/" in name or "\\" in name:
        raise _invalid("the file name must not contain '/' or '\\'")
    if _CONTROL.search(name):
        raise _invalid("the file name must not contain control characters")
    if name.startswith("."):
        raise _invalid("the file name must not start with '.'")
    if name != name.strip():
        raise _invalid("the file name must not start or end with white space")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise _invalid("the file name is not valid Unicode") from None
    if size > MAX_NAME_BYTES:
        raise _invalid(f"the file name is longer than {MAX_NAME_BYTES} bytes in UTF-8")
    return name


def is_valid_file_name(name: str) -> bool:
    try:
        validate_file_name(name)
    except InvalidField:
        return False
    return True


def is_wav_name(name: str) -> bool:
    """True for names ending in ``.wav`` (any case): such uploads are checked as audio."""
    return name.lower().endswith(WAV_SUFFIX)


def account_folder(account_id: str) -> str:
    """The account's folder (local) or key prefix (S3) name: the account id itself.

    Account ids are already ``[A-Za-z0-9_.-]{1,64}``; ids such as ``..`` would still
    escape the store's root, so they are refused here (ValueError: a bug, not bad input).
    """
    if not _ACCOUNT.fullmatch(account_id):
        raise ValueError(f"account id {account_id!r} cannot name a file-store folder")
    return account_id


def _invalid(message: str) -> InvalidField:
    return InvalidField("name", message, code=INVALID_NAME)
