"""Fetch text over HTTP with retries and exponential back-off; the opener is injectable."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable

Opener = Callable[..., str]
DEFAULT_TIMEOUT = 10.0


class FetchError(Exception):
    """Every attempt failed."""


def urlopen_text(url: str, **kwargs: object) -> str:
    with urllib.request.urlopen(url, **kwargs) as response:
        charset = response.headers.get_content_charset() or "utf-8"
        return response.read().decode(charset)


def fetch(
    url: str,
    retries: int = 2,
    backoff: float = 0.5,
    opener: Opener = urlopen_text,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """The body at `url`; OSErrors are retried `retries` times, waiting backoff, 2 * backoff, ..."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    last_error: OSError | None = None
    for attempt in range(retries + 1):
        try:
            return opener(url)
        except OSError as exc:
            last_error = exc
            if attempt < retries:
                sleep(backoff * 2**attempt)
    raise FetchError(f"{url}: gave up after {retries + 1} attempts: {last_error}") from last_error
