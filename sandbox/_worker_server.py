"""The test worker's server: run as a script by `dagent.sandbox.worker.TestWorker`, never imported.

It imports pytest and its plugins once, then for each request (one JSON line on stdin) forks a child
that runs `pytest.main` in a session of its own and answers (JSON lines on stdout): first the child's
pid, then how it ended. Only the standard library and pytest are used, so any interpreter with
pytest can run it. The project's own modules are never imported here, only in the children.
"""

from __future__ import annotations  # the hints below, on interpreters back to 3.7

import gc
import importlib
import importlib.util
import json
import os
import select
import shutil
import signal
import sys
import time
import traceback
from typing import Any, Dict, Iterable, List, NoReturn, Optional, Set

_KILL_GRACE_S = 1.0  # after SIGTERM at the deadline, before SIGKILL
_POLL_S = 0.01  # where no pidfd is available to wait on


def _log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class _Lines:
    """JSON lines over raw pipe fds: no buffered file objects, so select() tells the truth."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in, self.fd_out, self.buf = fd_in, fd_out, b""

    def send(self, obj: Dict[str, Any]) -> None:
        data = (json.dumps(obj) + "\n").encode()
        while data:
            data = data[os.write(self.fd_out, data):]

    def pending(self) -> bool:
        return b"\n" in self.buf

    def feed(self) -> bool:
        """Read what is there; False on EOF (the client went away)."""
        chunk = os.read(self.fd_in, 1 << 16)
        self.buf += chunk
        return bool(chunk)

    def next(self) -> Optional[Dict[str, Any]]:
        while not self.pending():
            if not self.feed():
                return None
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)


# ---------------------------------------------------------------- warming up


def _preload(names: Iterable[str], root: str) -> None:
    """pytest, its builtin plugins, the installed plugins with their packages, and `names`."""
    import pytest  # noqa: F401 - the point of the worker
    from _pytest.config import default_plugins

    for name in ["_pytest." + p for p in default_plugins] + _plugin_modules() + list(names):
        _try_import(name, root)
    _quiet_rewrite_warnings(set(sys.modules))


def _plugin_modules() -> List[str]:
    """What pytest loads from the pytest11 entry points, and what it would assertion-rewrite with them.

    The packages count too: hypothesis's plugin imports all of hypothesis in every run, and
    rewriting it there costs a second.
    """
    try:
        from importlib.metadata import distributions

        from _pytest.config import _iter_rewritable_modules

        names = []
        for dist in distributions():
            points = [ep.value.split(":")[0] for ep in dist.entry_points if ep.group == "pytest11"]
            if points:
                names += points + sorted(_iter_rewritable_modules([str(f) for f in dist.files or []]))
        return names
    except Exception:  # noqa: BLE001 - a broken distribution or a pytest without the helper
        return []


def _try_import(name: str, root: str) -> None:
    """Import `name` unless it resolves into the project (a `tests` package shipped by a dist)."""
    try:
        spec = importlib.util.find_spec(name.split(".")[0])
        places = [spec.origin] + list(spec.submodule_search_locations or []) if spec else []
        if spec is None or any(p and _under(p, root) for p in places):
            return
        importlib.import_module(name)
    except BaseException as err:  # noqa: BLE001 - the child will hit the same error, where it counts
        _log("preload of %s failed: %r" % (name, err))


def _quiet_rewrite_warnings(preloaded: Set[str]) -> None:
    """pytest warns that a plugin it would rewrite is already imported: here that is on purpose."""
    try:
        from _pytest.assertion.rewrite import AssertionRewritingHook
    except ImportError:
        return
    original = getattr(AssertionRewritingHook, "_warn_already_imported", None)
    if original is None:
        return

    def warn(self: Any, name: str) -> None:
        if name not in preloaded:
            original(self, name)

    AssertionRewritingHook._warn_already_imported = warn


def _under(path: str, root: str) -> bool:
    return os.path.abspath(path).startswith(os.path.join(root, ""))


def _drop_project_modules(root: str) -> None:
    """Forget modules loaded from the project: its files may have changed since."""
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and _under(path, root):
            del sys.modules[name]


# ---------------------------------------------------------------- the child


def _child(request: Dict[str, Any], lines: _Lines, root: str) -> NoReturn:
    """In the fork: own session, output to a file, fresh project modules, pytest, exit."""
    code = 3
    try:
        os.setsid()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(lines.fd_in)
        os.close(lines.fd_out)
        _drop_project_modules(root)
        importlib.invalidate_caches()  # files may have appeared since the parent last looked
        import pytest

        sys.argv = [os.path.join(os.path.dirname(pytest.__file__), "__main__.py"), *request["args"]]
        code = int(pytest.main(request["args"]))
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else int(err.code is not None)
    except BaseException:  # noqa: BLE001 - report it as pytest's internal error
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


# ---------------------------------------------------------------- waiting


_reaped: Dict[int, int] = {}  # pid -> wait status, where waitid is missing and polling had to reap


def _exited(pid: int) -> bool:
    """Whether the child exited; without reaping it where waitid allows: a zombie keeps its group id ours."""
    if pid in _reaped:
        return True
    try:
        if hasattr(os, "waitid"):
            return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    if done:
        _reaped[pid] = status
    return bool(done)


def _reap(pid: int) -> int:
    return _reaped.pop(pid) if pid in _reaped else os.waitpid(pid, 0)[1]


def _killpg(pid: int, sig: int) -> None:
    """Signal the child's group; the child itself if it has not made its session yet."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        if pid not in _reaped:  # a reaped pid may be someone else's by now
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass


def _pidfd(pid: int) -> Optional[int]:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # before Linux 5.3, or not Linux
        return None


def _wait(pid: int, deadline: float, lines: _Lines) -> bool:
    """Wait for the child until `deadline`; True if it overran. Exits if the client goes away."""
    pidfd = _pidfd(pid)
    try:
        while not _exited(pid):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            watch = [lines.fd_in] + ([pidfd] if pidfd is not None else [])
            ready, _, _ = select.select(watch, [], [], remaining if pidfd is not None else min(remaining, _POLL_S))
            if lines.fd_in in ready and not lines.feed():
                _killpg(pid, signal.SIGKILL)
                _client_gone()
        return False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _client_gone() -> NoReturn:
    """The client died without closing us (SIGKILL): remove what it would have, and go."""
    if _config.get("tmp"):
        shutil.rmtree(_config["tmp"], ignore_errors=True)
    os._exit(0)


def _stop(pid: int) -> None:
    _killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + _KILL_GRACE_S
    while not _exited(pid) and time.monotonic() < deadline:
        time.sleep(_POLL_S)


def _returncode(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _serve(request: Dict[str, Any], lines: _Lines, root: str) -> None:
    start = time.monotonic()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(request, lines, root)
    lines.send({"pid": pid})
    timed_out = _wait(pid, start + float(request["timeout"]), lines)
    if timed_out:
        _stop(pid)
    _killpg(pid, signal.SIGKILL)  # leftovers: a test's background server, a `sleep &`
    status = _reap(pid)
    lines.send({"returncode": _returncode(status), "timed_out": timed_out, "duration_s": time.monotonic() - start})


_config: Dict[str, Any] = {}  # the client's: project, preload, tmp


def main() -> None:
    config = json.loads(sys.argv[1])
    _config.update(config)
    root = os.path.realpath(config["project"])
    # Like `python -m pytest`: the working directory first on sys.path, not this script's folder.
    sys.path[0] = os.getcwd()
    lines = _Lines(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # a stray print of a preloaded module goes to the log, not into the protocol
    _preload(config["preload"], root)
    _drop_project_modules(root)
    # What is loaded now lives as long as the server: keep it out of each child's gc.collect()
    # (pytest collects at session end) and its pages shared with the children.
    gc.freeze()
    lines.send({"ready": os.getpid()})
    while True:
        request = lines.next()
        if request is None:
            _client_gone()
        _serve(request, lines, root)


if __name__ == "__main__":
    main()
