"""A pytest plugin of the test worker: the chosen tests, collected once, run once per variant of the code.

Loaded into the worker's children (never imported by dagent itself; standard library and pytest only).
With `--dagent-variants=FILE` the session imports and collects the project as it is on disk, then,
instead of running the tests, forks once per variant: the fork swaps the code of the variant's
functions (`function.__code__`, so every reference to the function sees the change: a `from m import
f`, a bound method, a decorator's wrapper) and runs the collected tests, writing its own junit XML
and output. With a gate (the tests the variant must make pass, run first), a fork stops once they
have all failed. A variant is not run, and says why in its status file, when a function it swaps is not
found, was called while the project was imported or collected (the file's import-time effect would
not change), or needs another closure. Each fork runs under a deadline of its own.
"""

from __future__ import annotations  # the hints below, on interpreters back to 3.7
import __future__

import gc
import json
import os
import select
import signal
import sys
import time
from types import CodeType, FunctionType
from typing import Any, Dict, Iterator, List, Optional, Set

import pytest

_variants: Optional[Dict[str, Any]] = None
_called: Set[CodeType] = set()  # code run while the project was imported and collected
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag
_POLL_S = 0.005


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--dagent-variants", default=None, help="run the tests once per variant in FILE (JSON)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    global _variants
    path = config.getoption("--dagent-variants")
    if path:
        with open(path) as f:
            _variants = json.load(f)
        sys.setprofile(_note_call)


def _note_call(frame: Any, event: str, arg: Any) -> None:
    if event == "call":
        _called.add(frame.f_code)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: Any) -> None:
    if _variants is not None:
        sys.setprofile(None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: Any) -> Optional[bool]:
    """In the session: fork per variant and wait; in a fork: None, so pytest's own loop runs the tests."""
    if _variants is None or (session.testsfailed and not session.config.option.continue_on_collection_errors):
        return None  # collection failed: pytest reports it (no variant runs)
    gate = _gate_first(session, _variants.get("gate") or [])
    _warm_caches()
    gc.freeze()  # the project as imported: no fork's collection walks it, and its pages stay shared
    for variant in _variants["variants"]:
        if _fork(session, variant, gate):
            return None
    return True


def _project_id(session: Any, nodeid: str) -> str:
    """A node id relative to the working directory (the project), as the client names tests."""
    file, sep, rest = nodeid.partition("::")
    return os.path.relpath(os.path.join(str(session.config.rootpath), file)).replace(os.sep, "/") + sep + rest


def _gate_first(session: Any, gate: List[str]) -> Set[str]:
    """The gate tests first, the others after, each group in its own order; the gate tests' node ids."""
    wanted = set(gate)
    first = [item for item in session.items if _project_id(session, item.nodeid) in wanted]
    session.items[:] = first + [item for item in session.items if _project_id(session, item.nodeid) not in wanted]
    return {item.nodeid for item in first}


class _Gate:
    """In a fork: once every gate test has failed, stop; the tests after them cannot change the verdict."""

    def __init__(self, session: Any, gate: Set[str], status: str) -> None:
        self.session, self.gate, self.status = session, gate, status
        self.failed: Set[str] = set()
        self.done: Set[str] = set()
        self.stopped = False

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.nodeid not in self.gate or report.nodeid in self.done or (report.when != "call" and not report.failed):
            return
        self.done.add(report.nodeid)
        if report.failed:
            self.failed.add(report.nodeid)
        if self.failed == self.gate:
            self.stopped = True
            _write(self.status, {"swapped": True, "why": None, "gated": True})

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Optional[bool]:
        """Past a gate that all failed, each test is passed over: not run, not reported (a stop by
        `session.shouldstop` would cost more, pytest formatting the interruption's traceback)."""
        return True if self.stopped else None


def _warm_caches() -> None:
    """Compile once here what each fork would compile again: the junit report's escaping pattern."""
    try:
        from _pytest.junitxml import bin_xml_escape

        bin_xml_escape("")
    except Exception:  # noqa: BLE001 - another pytest: each fork compiles it, as before
        pass


def _fork(session: Any, variant: Dict[str, Any], gate: Set[str]) -> bool:
    """Run one variant in a fork; True in the fork (which goes on to run the tests)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)  # its own group: killed at its deadline without the session
        out = os.open(variant["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        why = _swap_all(variant["swaps"])
        _write(variant["status"], {"swapped": why is None, "why": why})
        if why is not None:
            os._exit(0)
        _point_junit_at(session, variant["junit"])
        if gate:
            session.config.pluginmanager.register(_Gate(session, gate, variant["status"]), "dagent-variant-gate")
        return True
    began = time.monotonic()
    timed_out, status = _wait(pid, began + float(variant["timeout"]))
    try:
        with open(variant["status"]) as f:
            found = json.load(f)
    except (OSError, ValueError):
        found = {"swapped": False, "why": "the variant's run died before it swapped"}
    found.update(timed_out=timed_out, returncode=_returncode(status), duration_s=time.monotonic() - began)
    _write(variant["status"], found)
    return False


def _returncode(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _wait(pid: int, deadline: float) -> "tuple[bool, int]":
    """Wait for the fork and reap it: whether it overran its deadline (it is killed then), its wait status."""
    try:
        pidfd: Optional[int] = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return False, status
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if pidfd is not None:
                select.select([pidfd], [], [], remaining)
            else:
                time.sleep(min(remaining, _POLL_S))
    finally:
        if pidfd is not None:
            os.close(pidfd)
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return True, os.waitpid(pid, 0)[1]


def _point_junit_at(session: Any, path: str) -> None:
    from _pytest.junitxml import xml_key

    xml = session.config.stash.get(xml_key, None)
    if xml is not None:
        xml.logfile = path


def _write(path: str, status: Dict[str, Any]) -> None:
    with open(path, "w") as f:
        json.dump(status, f)


# ---------------------------------------------------------------- swapping a function's code


def _swap_all(swaps: List[Dict[str, Any]]) -> Optional[str]:
    """Swap every function of the variant; the reason it cannot be, or None."""
    planned = []
    for swap in swaps:
        function = _find(swap)
        if function is None:
            return "%s: no function %s starting at line %d is loaded" % (swap["file"], swap["qualname"], swap["first_line"])
        if function.__code__ in _called:
            return "%s: %s ran while the project was imported or collected" % (swap["file"], swap["qualname"])
        code = _compile(swap, function.__code__.co_flags & _FUTURE_FLAGS)
        if code is None:
            return "%s: the new %s does not compile alone" % (swap["file"], swap["qualname"])
        if code.co_freevars != function.__code__.co_freevars:
            return "%s: the new %s closes over other names" % (swap["file"], swap["qualname"])
        planned.append((function, code))
    for function, code in planned:
        function.__code__ = code
    return None


def _find(swap: Dict[str, Any]) -> Optional[FunctionType]:
    """The loaded function of `swap` (module file, qualname, first line), through decorators' wrappers."""
    module = next((m for m in list(sys.modules.values()) if _file_of(m) == swap["file"]), None)
    if module is None:
        return None
    owner: Any = module
    for part in swap["qualname"].split("."):
        namespace = getattr(owner, "__dict__", {})
        if part not in namespace:
            return None
        owner = namespace[part]
    name = swap["qualname"].rsplit(".", 1)[-1]
    for function in _functions_in(owner):
        code = function.__code__
        if code.co_name == name and code.co_firstlineno == swap["first_line"] and _file_of_code(code) == swap["file"]:
            return function
    return None


def _functions_in(value: Any, depth: int = 0) -> Iterator[FunctionType]:
    """`value` and what it wraps: a staticmethod's or classmethod's function, a property's accessors,
    `functools.wraps`'s `__wrapped__`."""
    if depth > 8:
        return
    if isinstance(value, FunctionType):
        yield value
    inner = [getattr(value, name, None) for name in ("__func__", "fget", "fset", "fdel", "__wrapped__")]
    for item in inner:
        if item is not None and item is not value:
            yield from _functions_in(item, depth + 1)


def _file_of(module: Any) -> Optional[str]:
    path = getattr(module, "__file__", None)
    return os.path.realpath(path) if isinstance(path, str) else None


def _file_of_code(code: CodeType) -> str:
    return os.path.realpath(code.co_filename)


def _compile(swap: Dict[str, Any], flags: int) -> Optional[CodeType]:
    """The new function's code, compiled with its own line numbers and, for a method, inside a class of
    the same name (its `__class__` cell and qualified name as they were). Nothing is executed."""
    line, owner = int(swap["line"]), swap.get("class")
    if owner:
        text = "\n" * (line - 2) + "class %s:\n" % owner + swap["source"]
    else:
        text = "\n" * (line - 1) + swap["source"]
    try:
        module = compile(text, swap["file"], "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    name = swap["qualname"].rsplit(".", 1)[-1]
    return next((c for c in _codes(module) if c.co_name == name and c.co_firstlineno == line), None)


def _codes(code: CodeType) -> Iterator[CodeType]:
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield const
            yield from _codes(const)
