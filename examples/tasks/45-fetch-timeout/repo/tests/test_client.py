import pytest

from netfetch.client import FetchError, fetch

URL = "https://example.org/data.txt"


class FakeOpener:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[dict] = []

    def __call__(self, url: str, **kwargs: object) -> str:
        self.calls.append(kwargs)
        if len(self.calls) <= self.failures:
            raise ConnectionResetError("reset by peer")
        return "payload"


def test_timeout_is_passed_to_the_opener():
    opener = FakeOpener()
    assert fetch(URL, timeout=2.5, opener=opener) == "payload"
    assert opener.calls == [{"timeout": 2.5}]


def test_default_timeout():
    opener = FakeOpener()
    fetch(URL, opener=opener)
    assert opener.calls[0].get("timeout") == 10.0


def test_retries_with_backoff():
    waits: list[float] = []
    opener = FakeOpener(failures=2)
    assert fetch(URL, opener=opener, sleep=waits.append) == "payload"
    assert waits == [0.5, 1.0]


def test_gives_up():
    with pytest.raises(FetchError, match="gave up after 3 attempts"):
        fetch(URL, opener=FakeOpener(failures=5), sleep=lambda s: None)


def test_rejects_other_schemes():
    with pytest.raises(ValueError):
        fetch("ftp://example.org/x", opener=FakeOpener())
