"""The one check of a URL a user gives the engine."""

from __future__ import annotations

import pytest

from engine.domain.urls import MAX_URL_CHARS, is_absolute_http_url


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/answer", "https://app.example.com/a?b=c", "HTTPS://x.org",
    "https://x.org/" + "a" * (MAX_URL_CHARS - 14),
])
def test_absolute_http_urls_pass(url: str) -> None:
    assert is_absolute_http_url(url)


@pytest.mark.parametrize("url", [
    "", "/answer", "ftp://x.org/a", "file:///etc/passwd", "http://", "http:///path",
    "http://x.org/a b", "http://x.org:99999/", "http://[::1/", "javascript:alert(1)",
    "https://x.org/" + "a" * (MAX_URL_CHARS - 13),
])
def test_anything_else_fails(url: str) -> None:
    assert not is_absolute_http_url(url)


def test_a_shorter_bound() -> None:
    assert not is_absolute_http_url("https://x.org/abc", max_chars=10)
