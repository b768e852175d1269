"""What the engine accepts as a URL a user gives it (answer_url, action URLs, write-back
endpoints): absolute, http or https, with a host, no whitespace, bounded. Whether the
engine may fetch it (SSRF) is the webhook guard's decision, when it does."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL_CHARS = 2048


def is_absolute_http_url(url: str, max_chars: int = MAX_URL_CHARS) -> bool:
    """True for an absolute http(s) URL with a host and a valid port, no whitespace, at
    most ``max_chars`` long."""
    if len(url) > max_chars or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
