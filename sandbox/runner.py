"""Run a command the way a sandbox must: own process group, hard timeout, bounded output.

The child gets its own session, so a terminal's Ctrl-C reaches dagent, not the tests. When the run
ends (exit, timeout, Ctrl-C, SIGTERM, SIGHUP) every process it started is SIGKILLed and reaped: its
group, and what left the group (`setsid`, a daemon's double fork), found in /proc by parentage, by
session and by a token in their environment; dagent is a child subreaper, so orphans come to it
rather than to init. Output is read as it arrives, so a chatty child never blocks on a full pipe,
and only a head and a tail of it are kept in memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import secrets
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Callable, Mapping, Sequence

from dagent.errors import SandboxError
from dagent.signals import INTERRUPTING

_READ_CHUNK = 1 << 16
_DRAIN_S = 1.0  # after the child exits, how long to wait for the pipe's last bytes
_INTERRUPT_GRACE_S = 0.2  # on Ctrl-C, SIGTERM to SIGKILL: a test's teardown gets a moment, no more
_SWEEP_S = 2.0  # how long the end-of-run kill may take (a fork bomb is cut off there)
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
RUN_TOKEN_VAR = "DAGENT_RUN_TOKEN"  # every process of a run inherits its token, wherever it moves


@dataclass
class CommandResult:
    """What a command did. `returncode` is negative (-signal) when it was killed."""

    returncode: int
    output: str  # stdout and stderr merged, head and tail kept when capped
    duration_s: float
    timed_out: bool
    cut_bytes: int = 0  # how many bytes of output were dropped from the middle

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def cut_marker(n: int) -> str:
    return f"\n[... {n} bytes cut ...]\n"


def cap_text(text: str, limit: int) -> str:
    """Keep a head and a tail of `text` (in characters) with a marker saying how much was cut."""
    if len(text) <= limit:
        return text
    head = limit // 3  # the tail of a traceback says more than its head
    tail = limit - head
    cut = len(text) - head - tail
    return text[:head] + cut_marker(cut) + text[len(text) - tail :]


class _HeadTail:
    """A byte sink that keeps the first and the last bytes, up to `limit` together."""

    def __init__(self, limit: int) -> None:
        self.head_limit = max(limit, 0) // 2
        self.tail_limit = max(limit, 0) - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk and self.tail_limit:
            self.tail += chunk
            if len(self.tail) > self.tail_limit:
                del self.tail[: len(self.tail) - self.tail_limit]

    @property
    def cut(self) -> int:
        return self.total - len(self.head) - len(self.tail)

    def text(self) -> str:
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        return head + cut_marker(self.cut) + tail if self.cut > 0 else head + tail


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a sandboxed child: ours, minus what would break pytest's parsing, plus `env`."""
    merged = dict(os.environ)
    merged.pop("PYTEST_ADDOPTS", None)  # the user's shell options would change our pytest command line
    merged["PYTHONDONTWRITEBYTECODE"] = "1"  # no .pyc litter in the sandbox or the user's tree
    merged["PYTHONUNBUFFERED"] = "1"  # keeps stdout and stderr in order in the merged output
    merged.update(env or {})
    return merged


def run_command(
    argv: Sequence[str],
    cwd: str | Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    max_output_bytes: int = 200_000,
    grace_s: float = 2.0,
) -> CommandResult:
    """Run `argv` in `cwd`, killing all it started after `timeout_s` seconds.

    `env` adds to (and overrides) the inherited environment. On timeout the group gets SIGTERM, then
    SIGKILL after `grace_s`; on KeyboardInterrupt (or SIGTERM or SIGHUP to dagent, which become one
    here) it gets SIGKILL after a short grace, and the interrupt is re-raised. When the child ends,
    every process the run started is killed and reaped, whatever group or session it moved to.
    """
    if not argv:
        raise SandboxError("run_command needs a command to run; got an empty argv")
    become_subreaper()
    token = new_run_token()
    start = time.monotonic()
    with InterruptGuard() as guard:
        sink = _HeadTail(max_output_bytes)
        proc = _spawn(argv, cwd, mark_run(child_env(env), token))
        try:
            timed_out = _pump(proc, sink, start + timeout_s)
            if timed_out:
                _terminate_group(proc, grace_s)  # interruptible: the except below then kills at once
            guard.hold()  # from here on a signal waits until the run's processes are dead
            kill_run(proc.pid, token, spare=proc.pid)  # leftovers: a test's server, a `sleep &`, a daemon
            _drain(proc, sink)
            returncode = proc.wait()
        except BaseException:
            guard.hold()
            _terminate_group(proc, _INTERRUPT_GRACE_S)
            kill_run(proc.pid, token, spare=proc.pid)
            proc.wait()
            raise
        finally:
            proc.stdout.close()  # type: ignore[union-attr]
    return CommandResult(returncode, sink.text(), time.monotonic() - start, timed_out, sink.cut)


def _spawn(argv: Sequence[str], cwd: str | Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except FileNotFoundError as err:
        what = "directory" if not Path(cwd).is_dir() else "program"
        raise SandboxError(f"cannot run {argv[0]!r} in {cwd}: {what} not found ({err.strerror})") from err
    except OSError as err:
        raise SandboxError(f"cannot run {argv[0]!r} in {cwd}: {err}") from err


def _pump(proc: subprocess.Popen[bytes], sink: _HeadTail, deadline: float) -> bool:
    """Read output until the child exits (False) or the deadline passes (True)."""
    fd = proc.stdout.fileno()  # type: ignore[union-attr]
    eof = False
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while not _has_exited(proc):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if eof:  # the child closed its output but still runs
                time.sleep(min(remaining, 0.05))
            elif sel.select(min(remaining, 0.2)):
                chunk = os.read(fd, _READ_CHUNK)
                eof = not chunk
                sink.add(chunk)
    return False


def _drain(proc: subprocess.Popen[bytes], sink: _HeadTail) -> None:
    """Read what is left in the pipe; give up after a moment if an escaped process holds it open."""
    fd = proc.stdout.fileno()  # type: ignore[union-attr]
    deadline = time.monotonic() + _DRAIN_S
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if not sel.select(remaining):
                return
            chunk = os.read(fd, _READ_CHUNK)
            if not chunk:
                return
            sink.add(chunk)


def _has_exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the child exited, without reaping it: a zombie keeps its pid, so the group id stays ours."""
    if not hasattr(os, "waitid"):
        return proc.poll() is not None
    if proc.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _terminate_group(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM the group, give the child `grace_s` to exit, then SIGKILL whatever is left."""
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while not _has_exited(proc) and time.monotonic() < deadline:
        time.sleep(0.02)
    _signal_group(proc.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


# ---------------------------------------------------------------- signals to dagent


class SignalInterrupt(KeyboardInterrupt):
    """SIGTERM or SIGHUP to dagent during a run: unwinds like Ctrl-C, so the run's processes die with it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"received {signal.Signals(signum).name}")
        self.signum = signum


_Handler = Callable[[int, FrameType | None], object] | int | None


class InterruptGuard:
    """While a run is in flight, turn SIGINT, SIGTERM and SIGHUP into an interrupt, once.

    The first signal acts as its handler says (a Ctrl-C, worktree's SIGTERM handler) or, where the
    disposition is the default, raises SignalInterrupt; from then on, and after `hold()`, signals are
    kept until the guard exits, so a second Ctrl-C cannot cut the kill that follows the first short.
    Kept signals are dropped when an exception already unwinds, and delivered otherwise. An ignored
    signal (`nohup`) stays ignored. Outside the main thread, where no handler can run, it does nothing.
    """

    def __init__(self) -> None:
        self.previous: dict[int, _Handler] = {}
        self.holding = False
        self.pending: list[int] = []

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in INTERRUPTING:
                handler = signal.getsignal(sig)
                if handler is not signal.SIG_IGN and handler is not None:  # None: set outside Python
                    self.previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def hold(self) -> None:
        self.holding = True

    def release(self) -> None:
        """Stop holding; a signal kept meanwhile acts now."""
        self.holding = False
        if self.pending:
            signum, self.pending = self.pending[0], []
            self._on_signal(signum, sys._getframe())

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.holding:
            self.pending.append(signum)
            return
        self.holding = True  # set before anything raises: the unwinding must not be interrupted
        self._act(signum, frame)
        self.holding = False  # the handler chose not to interrupt

    def _act(self, signum: int, frame: FrameType | None) -> None:
        handler = self.previous.get(signum, signal.SIG_DFL)
        if callable(handler):
            handler(signum, frame)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        else:
            raise SignalInterrupt(signum)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        if self.pending and exc_type is None:
            self._act(self.pending[0], sys._getframe())


# ---------------------------------------------------------------- killing a run's processes


def new_run_token() -> str:
    return secrets.token_hex(16)


def mark_run(env: dict[str, str], token: str) -> dict[str, str]:
    """Add the run's token to a child environment; a token inherited from an outer run is kept too."""
    outer = env.get(RUN_TOKEN_VAR)
    env[RUN_TOKEN_VAR] = f"{outer}:{token}" if outer else token
    return env


@functools.cache
def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Have the kernel send `sig` to this process when its parent dies (a pool worker whose parent was
    killed would otherwise run on, and its sandboxes with it); False where Linux's prctl is missing."""
    return _prctl(_PR_SET_PDEATHSIG, int(sig))


def become_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans, so a daemon's double fork comes back
    to us and not to init. Once per process (it holds for all threads); False where Linux's prctl is missing."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


@dataclass(frozen=True)
class ProcInfo:
    """One line of /proc/PID/stat, what a sweep needs of it."""

    pid: int
    ppid: int
    sid: int
    state: str
    start: int  # clock ticks after boot: with the pid, names one process even if the pid is reused

    @property
    def live(self) -> bool:
        return self.state not in ("Z", "X")


def read_proc(pid: int) -> ProcInfo | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()  # the command name may hold spaces and parentheses
    return ProcInfo(pid, int(fields[1]), int(fields[3]), fields[0].decode(), int(fields[19]))


def proc_table() -> dict[int, ProcInfo]:
    """Every process /proc shows; empty where there is no /proc."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    infos = (read_proc(int(name)) for name in names if name.isdigit())
    return {info.pid: info for info in infos if info is not None}


def _carries(pid: int, token: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return token in f.read()
    except OSError:  # gone, a zombie, or someone else's
        return False


def with_descendants(table: dict[int, ProcInfo], seeds: set[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found, todo = set(), list(seeds)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def _run_members(table: dict[int, ProcInfo], root: int, token: bytes) -> set[int]:
    """The run's processes: the root's tree, its session, and what carries its token, with their trees.
    Only processes started since the root are looked at: the run cannot have started older ones."""
    me = os.getpid()
    born = table[root].start if root in table else 0
    recent = [info for info in table.values() if info.start >= born and info.pid != me]
    seeds = {root} | {i.pid for i in recent if i.sid == root or (i.live and _carries(i.pid, token))}
    return {pid for pid in with_descendants(table, seeds) if pid != me and pid in table}


@dataclass
class _Sweep:
    """SIGKILL what `members` names until nothing of it runs; then reap those orphaned to us."""

    members: Callable[[dict[int, ProcInfo]], set[int]]
    spare: int | None  # a child someone else waits for (a Popen's)
    seen: dict[int, int] = field(default_factory=dict)  # pid -> start of every member found

    def run(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            table = proc_table()
            members = self.members(table) | {pid for pid in self.seen if self._same(table, pid)}
            live = [table[pid] for pid in members if table[pid].live]
            self.seen.update({pid: table[pid].start for pid in members})
            if not live or time.monotonic() > deadline:
                break
            for info in live:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(info.pid, signal.SIGKILL)
            time.sleep(0.005)
        self._reap(table)

    def _same(self, table: dict[int, ProcInfo], pid: int) -> bool:
        return pid in table and table[pid].start == self.seen[pid]

    def _reap(self, table: dict[int, ProcInfo]) -> None:
        me = os.getpid()
        for pid in self.seen:
            info = table.get(pid)
            if pid != self.spare and self._same(table, pid) and info is not None and not info.live and info.ppid == me:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)


def kill_run(root: int, token: str, spare: int | None = None, timeout_s: float = _SWEEP_S) -> None:
    """SIGKILL and reap the run rooted at `root`: its tree, its session, what carries `token` in its
    environment, and their trees. `spare` is left for its Popen to reap. Without /proc only the root's
    group is killed. An orphan that exited on its own after leaving the session and clearing its
    environment cannot be told from another thread's child, so it stays a zombie until dagent exits.
    """
    _signal_group(root, signal.SIGKILL)
    if os.path.isdir("/proc"):
        needle = token.encode()
        _Sweep(lambda table: _run_members(table, root, needle), spare).run(timeout_s)
