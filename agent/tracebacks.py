"""The project's frames in a failing test's report: pytest's long, short and line styles and Python's
native traceback, chained exceptions root cause first."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dagent.agent.source_index import MODULE, SourceIndex


@dataclass(frozen=True)
class Frame:
    """One traceback frame inside the project; `path` is repo-relative (POSIX)."""

    path: str
    line: int
    function: str


# Frames from installed packages, the interpreter or the test framework are never the project's,
# even when a virtualenv lives inside the project directory.
_FOREIGN = re.compile(r"(^|/)(site-packages|dist-packages|_pytest|pluggy|\.venv|venv)/|^<|(^|/)lib/python\d")


def repo_path(raw: str, project_dir: Path | None, known: Mapping[str, str] | None) -> str | None:
    """The repo-relative path of a traceback path, or None when it lies outside the project.

    The foreign-path test runs on the part inside the project, so a checkout under ~/venv/ still counts.
    """
    text = raw.replace("\\", "/")
    if text.startswith("<"):
        return None  # <frozen importlib._bootstrap>, <string>
    posix = PurePosixPath(text)
    if project_dir is not None:
        root = project_dir.resolve()
        full = (Path(text) if posix.is_absolute() else root / text).resolve()
        if full.is_relative_to(root) and full.is_file():
            relative = full.relative_to(root).as_posix()
            return None if _FOREIGN.search(relative) else relative
    if not known or _FOREIGN.search(text):
        return None
    if not posix.is_absolute():
        normal = posix.as_posix().removeprefix("./")
        return normal if normal in known else None
    # An absolute path from another checkout of the same tree: match the longest known suffix.
    matches = [key for key in known if text.endswith("/" + key)]
    return max(matches, key=len) if matches else None


_NATIVE = re.compile(r'^\s*(?:E\s+)?File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>\S+))?')


# pytest long (`path.py:N: ` / `path.py:N: Error`), short (`path.py:N: in f`) and line styles.
_PYTEST = re.compile(r"^(?P<path>[^\s:\"'<>|]+\.py):(?P<line>\d+):(?: in (?P<func>\S+)$| .*$|$)")


_CHAIN = re.compile(
    r"^(?:The above exception was the direct cause of the following exception:"
    r"|During handling of the above exception, another exception occurred:)\s*$",
    re.MULTILINE,
)


def _raw_frames(section: str) -> Iterator[tuple[str, int, str | None]]:
    for text in section.splitlines():
        match = _NATIVE.match(text) or _PYTEST.match(text)
        if match:
            yield match["path"], int(match["line"]), match["func"]


def traceback_frames(
    details: str, project_dir: Path | None, sources: Mapping[str, str] | None = None
) -> list[Frame]:
    """The project's frames in a pytest failure report, innermost first.

    Reads pytest's long, short and line styles and Python's native `File "...", line N, in f`.
    A frame is the project's when its file lies under `project_dir` (or is a key of `sources`) and not
    in site-packages, a virtualenv, the interpreter or pytest itself. With chained exceptions
    (`raise ... from`, or an error while handling another) the first-printed exception, the root cause,
    comes first. The long style prints no function name: it is read from the source.
    """
    texts: dict[str, str] = {}
    index = SourceIndex(texts)  # filled lazily: only files a long-style frame names are read
    frames: list[Frame] = []
    for section in _CHAIN.split(details):
        found = []
        for raw, line, func in _raw_frames(section):
            path = repo_path(raw, project_dir, sources)
            if path is not None:
                found.append((path, line, func))
        for path, line, func in reversed(found):
            frames.append(Frame(path, line, func or function_at(index, texts, path, line, project_dir, sources)))
    return _unique(frames)


def _unique(frames: Iterable[Frame]) -> list[Frame]:
    seen: set[tuple[str, int]] = set()
    out = []
    for frame in frames:
        if (frame.path, frame.line) not in seen:
            seen.add((frame.path, frame.line))
            out.append(frame)
    return out


def function_at(
    index: SourceIndex,
    texts: dict[str, str],
    path: str,
    line: int,
    project_dir: Path | None,
    sources: Mapping[str, str] | None,
) -> str:
    if path not in texts:
        texts[path] = read_source(path, project_dir, sources)
    found = index.enclosing_function(path, line)
    return found.name if found else MODULE


def read_source(path: str, project_dir: Path | None, sources: Mapping[str, str] | None) -> str:
    if sources and path in sources:
        return sources[path]
    if project_dir is None:
        return ""
    try:
        return (project_dir / path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def test_frame(test_id: str, sources: Mapping[str, str]) -> Frame | None:
    """The def line of the test a pytest node id names (`tests/t.py::TestX::test_y[1]`), if found."""
    path, _, rest = test_id.partition("::")
    qualname = ".".join(part.split("[", 1)[0] for part in rest.split("::") if part)
    if path not in sources or not qualname:
        return None
    for definition in SourceIndex(sources).functions(path):
        if definition.qualname == qualname:
            return Frame(path, definition.def_line, definition.name)
    return None


test_frame.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite its name
