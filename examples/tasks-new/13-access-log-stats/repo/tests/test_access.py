import pytest

from logstats import LogError, Request, parse_line, summarize
from logstats.access import percentile

LOG = """\
# access log, host web-1
12:00:01 GET /users/42 200 512 12.5
12:00:02 GET /users/7?tab=posts 200 1024 30
12:00:03 POST /orders 201 64 80.25

12:00:04 GET /health 200 - 1
# deploy started
12:00:05 GET /orders/9 503 0 900
12:00:06 DELETE /users/42 204 - 15
garbage line here
12:00:07 GET /users/3 500 128 450
"""


def test_parse_line():
    assert parse_line("12:00:01 GET /users/42 200 512 12.5") == Request("12:00:01", "GET", "/users/42", 200, 512, 12.5)


def test_parse_line_dash_bytes():
    assert parse_line("12:00:04 GET /health 200 - 1").size == 0


@pytest.mark.parametrize(
    "line",
    ["", "# comment", "12:00 GET / 200 1 1", "12:00:01 FETCH / 200 1 1", "12:00:01 GET users 200 1 1",
     "12:00:01 GET / 20 1 1", "12:00:01 GET / 200 1"],
)
def test_parse_line_rejects(line):
    assert parse_line(line) is None


@pytest.mark.parametrize(
    "path, route",
    [("/users/42", "/users/:id"), ("/users/7?tab=posts", "/users/:id"), ("/", "/"), ("/a/1/b/2", "/a/:id/b/:id"),
     ("/v2/items", "/v2/items")],
)
def test_route(path, route):
    assert Request("t", "GET", path, 200, 0, 0).route == route


def test_is_error():
    assert Request("t", "GET", "/", 503, 0, 0).is_error
    assert not Request("t", "GET", "/", 404, 0, 0).is_error


@pytest.mark.parametrize("p, expected", [(50, 3), (90, 5), (100, 5), (1, 1), (0, 1)])
def test_percentile(p, expected):
    assert percentile([5, 1, 4, 2, 3], p) == expected


def test_percentile_empty():
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summary_counts():
    s = summarize(LOG.splitlines())
    assert s.requests == 7
    assert s.bytes == 512 + 1024 + 64 + 128


def test_summary_skips_comments_not_malformed():
    assert summarize(LOG.splitlines()).malformed == 1


def test_summary_strict_raises_on_garbage():
    with pytest.raises(LogError) as info:
        summarize(LOG.splitlines(), strict=True)
    assert info.value.lineno == 10


def test_summary_strict_comments_only():
    s = summarize(["# nothing yet", "  # indented comment", ""], strict=True)
    assert s.requests == 0


def test_summary_errors():
    s = summarize(LOG.splitlines())
    assert s.errors == 2
    assert s.error_rate == pytest.approx(2 / 7)


def test_summary_empty():
    s = summarize([])
    assert s.error_rate == 0.0 and s.top_routes() == []


def test_top_routes():
    assert summarize(LOG.splitlines()).top_routes(2) == [("/users/:id", 4), ("/health", 1)]


def test_status_classes():
    assert summarize(LOG.splitlines()).status_classes() == {"2xx": 5, "5xx": 2}


def test_latency_percentiles():
    s = summarize(LOG.splitlines())
    assert s.p(50) == 30
    assert s.p(100) == 900


def test_methods_filter():
    s = summarize(LOG.splitlines(), methods={"POST", "DELETE"})
    assert s.requests == 2
    assert s.malformed == 1
