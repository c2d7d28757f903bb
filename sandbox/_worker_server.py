"""The test worker's server: run as a script by `dagent.sandbox.worker.TestWorker`, never imported.

It imports pytest and its plugins once, then for each request (one JSON line on stdin) forks a child
that runs `pytest.main` in a session of its own and answers (JSON lines on stdout): first the child's
pid, then how it ended. Before answering, every process the run started is SIGKILLed and reaped: the
server is a child subreaper, so what left the child's group (`setsid`, a daemon's double fork) is
still under it. Only the standard library and pytest are used, so any interpreter with pytest can
run it. The project's own modules are never imported here, only in the children.
"""

from __future__ import annotations  # the hints below, on interpreters back to 3.7

import ctypes
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
from typing import Any, Dict, Iterable, List, NoReturn, Optional, Set, Tuple

_KILL_GRACE_S = 1.0  # after SIGTERM at the deadline, before SIGKILL
_POLL_S = 0.01  # where no pidfd is available to wait on
_SWEEP_S = 2.0  # how long the end-of-run kill may take (a fork bomb is cut off there)
_PR_SET_CHILD_SUBREAPER = 36


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


# ---------------------------------------------------------------- bytecode
# Each child writes bytecode into the worker's own folder (`sys.pycache_prefix`), so the next compiles
# only the modules a candidate changed, and nothing is written into the project (the server itself,
# the user's test subprocesses and the preloads keep the interpreter's settings). Python and
# pytest trust a cached file when the source's size and mtime in whole seconds match: a same-size edit
# within one second would run stale code. So before each run, a cached file whose source changed
# after it was written (or in the same clock tick) is dropped; by ctime, which a write or a reset of the
# mtime (`os.utime`, `touch -d`) sets to now.


def _cache_bytecode_in(prefix: str) -> None:
    """In the child: read and write cached bytecode under `prefix` (pytest's rewritten tests too)."""
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False


def _drop_stale_bytecode(prefix: str, root: str) -> None:
    mirror = os.path.join(prefix, root.lstrip(os.sep))
    for folder, _dirs, files in os.walk(mirror):
        source_dir = os.path.join(root, os.path.relpath(folder, mirror))
        for name in files:
            cached = os.path.join(folder, name)
            source = os.path.join(source_dir, name.split(".", 1)[0] + ".py")
            try:
                stale = os.stat(source).st_ctime_ns >= os.stat(cached).st_ctime_ns
            except OSError:
                stale = True  # the source is gone (or the cache entry is): nothing to trust
            if stale:
                try:
                    os.unlink(cached)
                except OSError:
                    pass


# ---------------------------------------------------------------- the child


def _child(request: Dict[str, Any], lines: _Lines, root: str) -> NoReturn:
    """In the fork: own session, output to a file, fresh project modules, pytest, exit."""
    code = 3
    try:
        os.setsid()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # SIGHUP: ignored under `nohup`
            signal.signal(sig, signal.SIG_DFL)
        out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(lines.fd_in)
        os.close(lines.fd_out)
        _drop_project_modules(root)
        if _config.get("bytecode"):
            _cache_bytecode_in(_config["bytecode"])
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


# ---------------------------------------------------------------- killing a run's processes
# As dagent.sandbox.runner does it (this script cannot import dagent), simpler: the server has one
# child at a time, so every process under it belongs to the run in flight.


def _become_subreaper() -> bool:
    """Orphans of a child's processes come to the server, not to init; False where prctl is missing."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return int(ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


_HAS_CHILDREN_FILE = os.path.exists("/proc/self/task/%d/children" % os.getpid())  # CONFIG_PROC_CHILDREN


def _stat(pid: int) -> Optional[Tuple[int, str]]:
    """(ppid, state) of `pid`, None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()  # the command name may hold spaces and parentheses
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0].decode()


def _children(pid: int) -> List[int]:
    kids: List[int] = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(kid) for kid in f.read().split()]
    except OSError:
        pass  # gone meanwhile
    return kids


def _proc_table(root: int) -> Dict[int, Tuple[int, str]]:
    """pid -> (ppid, state) of the processes under `root` at least: walked down from it where the kernel
    lists children (a few reads per run instead of one per process on the machine), else all of /proc."""
    if not _HAS_CHILDREN_FILE:
        names = os.listdir("/proc") if os.path.isdir("/proc") else []
        stats = {int(name): _stat(int(name)) for name in names if name.isdigit()}
        return {pid: stat for pid, stat in stats.items() if stat is not None}
    table: Dict[int, Tuple[int, str]] = {}
    todo = [root]
    while todo:
        for kid in _children(todo.pop()):
            stat = _stat(kid)
            if stat is not None and kid not in table:
                table[kid] = stat
                todo.append(kid)
    return table


def _descendants(table: Dict[int, Tuple[int, str]], root: int) -> Set[int]:
    children: Dict[int, List[int]] = {}
    for pid, (ppid, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: Set[int] = set()
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def _kill_descendants(spare: Optional[int]) -> None:
    """SIGKILL every process under the server until none runs, then reap its zombie children but `spare`."""
    me, deadline = os.getpid(), time.monotonic() + _SWEEP_S
    while True:
        table = _proc_table(me)
        under = _descendants(table, me)
        live = [pid for pid in under if table[pid][1] not in ("Z", "X")]
        if not live or time.monotonic() > deadline:
            break
        for pid in live:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.005)
    for pid in under:
        if pid != spare and table[pid][0] == me and table[pid][1] == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


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
                _client_gone()
        return False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _client_gone() -> NoReturn:
    """The client died without closing us (SIGKILL): kill the run in flight, remove what it would have, and go."""
    _kill_descendants(spare=None)
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
    if _config.get("bytecode"):
        _drop_stale_bytecode(_config["bytecode"], root)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(request, lines, root)
    lines.send({"pid": pid})
    timed_out = _wait(pid, start + float(request["timeout"]), lines)
    if timed_out:
        _stop(pid)
    _killpg(pid, signal.SIGKILL)
    _kill_descendants(spare=pid)  # leftovers: a test's background server, a `sleep &`, a daemon
    status = _reap(pid)
    lines.send({"returncode": _returncode(status), "timed_out": timed_out, "duration_s": time.monotonic() - start})


_config: Dict[str, Any] = {}  # the client's: project, preload, tmp


def main() -> None:
    config = json.loads(sys.argv[1])
    _config.update(config)
    _become_subreaper()
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
