"""Summaries of web access logs: 'TIME METHOD PATH STATUS BYTES MS' lines, '#' comment lines."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

_LINE = re.compile(
    r"^(?P<time>\d{2}:\d{2}:\d{2})\s+(?P<method>GET|POST|PUT|DELETE|PATCH|HEAD)\s+(?P<path>/\S*)"
    r"\s+(?P<status>\d{3})\s+(?P<bytes>\d+|-)\s+(?P<ms>\d+(?:\.\d+)?)$"
)


class LogError(ValueError):
    def __init__(self, lineno: int, line: str):
        super().__init__(f"line {lineno}: cannot parse {line!r}")
        self.lineno = lineno


@dataclass(frozen=True)
class Request:
    time: str
    method: str
    path: str
    status: int
    size: int
    ms: float

    @property
    def route(self) -> str:
        """The path without its query string, numeric segments replaced by ':id'."""
        path = self.path.split("?", 1)[0]
        parts = [":id" if p.isdigit() else p for p in path.split("/")]
        return "/".join(parts) or "/"

    @property
    def is_error(self) -> bool:
        return self.status >= 500


def parse_line(line: str) -> Request | None:
    m = _LINE.match(line.strip())
    if not m:
        return None
    size = 0 if m["bytes"] == "-" else int(m["bytes"])
    return Request(m["time"], m["method"], m["path"], int(m["status"]), size, float(m["ms"]))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Summary:
    requests: int = 0
    malformed: int = 0
    bytes: int = 0
    statuses: Counter = field(default_factory=Counter)
    routes: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies, pct)

    def top_routes(self, n: int = 3) -> list[tuple[str, int]]:
        return sorted(self.routes.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def status_classes(self) -> dict[str, int]:
        out: Counter = Counter()
        for status, count in self.statuses.items():
            out[f"{status // 100}xx"] += count
        return dict(sorted(out.items()))


def summarize(lines: Iterable[str], strict: bool = False, methods: set[str] | None = None) -> Summary:
    s = Summary()
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        req = parse_line(text)
        if req is None:
            if strict:
                raise LogError(lineno, text)
            s.malformed += 1
            continue
        if methods is not None and req.method not in methods:
            continue
        s.requests += 1
        s.bytes += req.size
        s.statuses[req.status] += 1
        s.routes[req.route] += 1
        s.latencies.append(req.ms)
        if req.is_error:
            s.errors += 1
    return s
