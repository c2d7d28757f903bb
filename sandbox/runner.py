"""Run a command the way a sandbox must: own process group, hard timeout, bounded output.

The child gets its own session, so a timeout or Ctrl-C kills its whole process group (grandchildren
included) and a terminal's Ctrl-C reaches dagent, not the tests. Output is read as it arrives, so a
chatty child never blocks on a full pipe, and only a head and a tail of it are kept in memory.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from dagent.errors import SandboxError

_READ_CHUNK = 1 << 16
_DRAIN_S = 1.0  # after the child exits, how long to wait for the pipe's last bytes


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
    """Run `argv` in `cwd`, killing its whole process group after `timeout_s` seconds.

    `env` adds to (and overrides) the inherited environment. On timeout the group gets SIGTERM, then
    SIGKILL after `grace_s`; on KeyboardInterrupt it is killed at once and the interrupt re-raised.
    Processes the child leaves behind in its group are killed when it exits.
    """
    if not argv:
        raise SandboxError("run_command needs a command to run; got an empty argv")
    start = time.monotonic()
    proc = _spawn(argv, cwd, child_env(env))
    sink = _HeadTail(max_output_bytes)
    try:
        timed_out = _pump(proc, sink, start + timeout_s)
        if timed_out:
            _terminate_group(proc, grace_s)
        _signal_group(proc.pid, signal.SIGKILL)  # leftovers: a test's background server, a `sleep &`
        _drain(proc, sink)
        returncode = proc.wait()
    except BaseException:
        _terminate_group(proc, grace_s=0.2)
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
