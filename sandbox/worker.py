"""A warm test worker: validating one repair candidate costs a fork, not an interpreter and a pytest import.

`TestWorker` starts one long-lived server (`_worker_server.py`, run with the project's interpreter in the
project dir) that has imported pytest and its plugins. Each `run` forks a child there, in a session of
its own, that runs pytest on the chosen test ids and writes junit XML; the child is killed with its
process group at the deadline, and every process the run started, wherever it moved, when it ends.
The outcome is the same `TestRun` that `run_pytest` returns. The server never imports the project's
modules (and each child drops any it finds), so every candidate sees the files as they are now, and
global state one run leaves behind dies with its child.

    with TestWorker(sandbox.project_dir, test_timeout_s=2.0) as worker:
        run = worker.run(failing_ids, timeout_s=60)
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Mapping, Sequence

from dagent.errors import SandboxError
from dagent.sandbox.results import (
    TIMEOUT_PLUGIN_MODULE,
    TestRun,
    project_path,
    pytest_args,
    pythonpath_env,
    read_test_run,
    run_pytest,
    timeout_args,
)
from dagent.sandbox.runner import (
    CommandResult,
    InterruptGuard,
    become_subreaper,
    child_env,
    cut_marker,
    kill_run,
    mark_run,
    new_run_token,
)
from dagent.sandbox.variants import (
    VARIANT_PLUGIN,
    VARIANT_PLUGIN_MODULE,
    FunctionSwap,
    read_variant_runs,
    write_variants,
)

SERVER_SCRIPT = Path(__file__).with_name("_worker_server.py")
CAN_FORK = os.name == "posix" and hasattr(os, "fork")
_START_TIMEOUT_S = 120.0  # importing pytest and the preloads on a loaded machine
_ANSWER_SLACK_S = 10.0  # past the run's own deadline, before the server itself counts as stuck
_MAX_OUTPUT_BYTES = 200_000  # as run_command keeps


class _ServerGone(Exception):
    """The server died mid-request (EOF on its pipe), or, with `stuck`, stopped answering."""

    def __init__(self, why: str, stuck: bool = False) -> None:
        super().__init__(why)
        self.stuck = stuck


@dataclass
class _Server:
    """One server process and what must die with it; kept apart from TestWorker for weakref.finalize."""

    proc: subprocess.Popen[bytes]
    tmp: Path  # the timeout plugin and the server's log
    log: IO[bytes]
    token: str  # in the environment of the server and all it starts (see runner.kill_run)
    child: int | None = None  # the pytest child in flight, whose session must die with the server
    buf: bytes = field(default=b"")

    def stop(self) -> None:
        """SIGKILL the child's and the server's sessions, then whatever else carries the token (a
        test's daemon); the pipes stay open for a reader in flight, which then sees EOF (closing them
        under its select would leave it waiting to its deadline)."""
        if self.child is not None:
            _killpg(self.child, signal.SIGKILL)
        _killpg(self.proc.pid, signal.SIGKILL)
        kill_run(self.proc.pid, self.token, spare=self.proc.pid)

    def kill(self) -> None:
        self.stop()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return (self.tmp / "server.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


class TestWorker:
    """pytest runs in forks of one warm server in `project_dir`; see the module docstring.

    `python`, `env` and the PYTHONPATH set-up are those of `run_pytest`. `test_timeout_s` turns on the
    per-test timeout (a hang fails with its stack). `preload` names third-party modules the tests
    import, to import once in the server; a module that turns out to live in the project is dropped.
    Where fork is not available, every run is a `run_pytest`. One run at a time: for two candidates at
    once, use two workers (in two sandboxes).
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        project_dir: str | Path,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        test_timeout_s: float | None = None,
        preload: Sequence[str] = (),
    ) -> None:
        self.project = project_path(project_dir)
        self.python = python
        self.env = dict(env or {})
        self.test_timeout_s = test_timeout_s
        self.preload = list(preload)
        self.starts = 0  # servers started so far: more than one means one died or was replaced
        self._server: _Server | None = None
        self._retired = False  # closed for good: no run may start a server again
        self._in_flight = False  # a run is waiting on the server (maybe in another thread)
        self._finalizer: weakref.finalize | None = None

    # -- lifecycle

    def __enter__(self) -> TestWorker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The server's pid, while one is running."""
        return self._server.proc.pid if self._server is not None else None

    def start(self) -> None:
        """Start the server now (the first `run` does it otherwise); no-op where fork is not available."""
        if self._retired:
            raise SandboxError("the test worker was retired; start a new one")
        if CAN_FORK and (self._server is None or self._server.proc.poll() is not None):
            self.close()
            self._server = self._spawn()

    def close(self) -> None:
        """Kill the server and any child in flight. Safe to call twice."""
        if self._finalizer is not None:
            self._finalizer()  # runs _Server.kill once
        self._server, self._finalizer = None, None

    def retire(self) -> None:
        """Close for good, from any thread: a run in flight is cut (its child killed) and raises
        SandboxError instead of starting a new server, so a run abandoned on Ctrl-C stops. That
        run's thread closes the pipes itself; without one, everything is closed here."""
        self._retired = True
        server = self._server
        if server is not None:
            server.stop()
        if not self._in_flight:
            self.close()

    # -- running

    def run(
        self,
        test_ids: Sequence[str] | None = None,
        extra_args: Sequence[str] = (),
        timeout_s: float = 120,
        test_timeout_s: float | None = None,
        call_timeouts: Mapping[str, float] | None = None,
    ) -> TestRun:
        """pytest on `test_ids` (all tests if None), as `run_pytest` would report it.

        `test_timeout_s` overrides the worker's per-test timeout for this run; `call_timeouts` gives
        tests their own limit for the test body (see `timeout_args`). A server that died
        is restarted once; if that one dies too, the run falls back to `run_pytest`.
        """
        per_test = test_timeout_s if test_timeout_s is not None else self.test_timeout_s
        if not CAN_FORK:
            return self._subprocess_run(test_ids, extra_args, timeout_s, per_test, call_timeouts)
        with tempfile.TemporaryDirectory(prefix="dagent-worker-run-") as tmp_dir:
            tmp = Path(tmp_dir)
            junit = tmp / "junit.xml"
            plugin = timeout_args(tmp, per_test, call_timeouts)
            args = pytest_args(junit, test_ids, [*plugin, *extra_args])[2:]  # no `-m pytest`
            result = self._request(args, tmp / "output", timeout_s)
            if result is None:
                return self._subprocess_run(test_ids, extra_args, timeout_s, per_test, call_timeouts)
            return read_test_run(result, junit, self.project, tmp if plugin else None)

    def run_variants(
        self,
        test_ids: Sequence[str],
        variants: Sequence[Sequence[FunctionSwap]],
        extra_args: Sequence[str] = (),
        timeout_s: float = 120,
        variant_timeout_s: float = 30,
        test_timeout_s: float | None = None,
        call_timeouts: Mapping[str, float] | None = None,
        gate: Sequence[str] = (),
    ) -> list[TestRun | None]:
        """pytest on `test_ids` once per variant, the project imported and collected once (see
        `dagent.sandbox.variants`). None for a variant that could not be swapped or tested; all None
        where fork is missing or the server died (test those by editing the files). The `gate` tests
        run first; a variant under which they all fail stops there (its run holds only them)."""
        if not CAN_FORK or not variants:
            return [None] * len(variants)
        per_test = test_timeout_s if test_timeout_s is not None else self.test_timeout_s
        with tempfile.TemporaryDirectory(prefix="dagent-worker-variants-") as tmp_dir:
            tmp = Path(tmp_dir)
            plugins = [*timeout_args(tmp, per_test, call_timeouts, progress=False),
                       *write_variants(tmp, variants, variant_timeout_s, gate)]  # fmt: skip
            args = pytest_args(tmp / "session.xml", test_ids, [*plugins, *extra_args])[2:]
            result = self._request(args, tmp / "output", timeout_s)
            if result is None:
                return [None] * len(variants)
            return read_variant_runs(tmp, len(variants), self.project)

    def _subprocess_run(
        self, test_ids: Sequence[str] | None, extra_args: Sequence[str], timeout_s: float, per_test: float | None,
        call_timeouts: Mapping[str, float] | None = None,
    ) -> TestRun:
        return run_pytest(self.project, test_ids, timeout_s, extra_args, self.python, self.env or None, per_test,
                          call_timeouts)

    def _request(self, args: list[str], output: Path, timeout_s: float) -> CommandResult | None:
        """Send one run to the server; a dead server is replaced once. None if both died.

        SIGTERM and SIGHUP to dagent interrupt the run as Ctrl-C does; a second one cannot cut the kill short."""
        request = {"args": args, "output": str(output), "timeout": timeout_s}
        with InterruptGuard() as guard:
            for _attempt in range(2):
                result = self._attempt(request, output, timeout_s, guard)
                if result is not None:
                    return result
        return None

    def _attempt(
        self, request: dict[str, object], output: Path, timeout_s: float, guard: InterruptGuard
    ) -> CommandResult | None:
        """One run on the server (started if need be); None if the server died under it."""
        self.start()
        assert self._server is not None
        start = time.monotonic()
        try:
            self._in_flight = True
            answer = self._exchange(self._server, request, start + timeout_s + _ANSWER_SLACK_S)
        except _ServerGone as gone:
            self._close_held(guard)
            if gone.stuck:  # past the run's own deadline: a timeout, not a reason to run it again
                return CommandResult(-int(signal.SIGKILL), "", time.monotonic() - start, True)
            return None
        except BaseException:  # Ctrl-C mid-run: the child and the server go, the next run starts afresh
            guard.hold()
            self.close()
            raise
        finally:
            self._in_flight = False
        text, cut = _read_output(output)
        elapsed = time.monotonic() - start
        return CommandResult(int(answer["returncode"]), text, elapsed, bool(answer["timed_out"]), cut)

    def _close_held(self, guard: InterruptGuard) -> None:
        """Close with signals held, so the kill completes; one that came meanwhile interrupts after."""
        guard.hold()
        try:
            self.close()
        finally:
            guard.release()

    def _exchange(self, server: _Server, request: dict[str, object], deadline: float) -> dict[str, Any]:
        try:
            assert server.proc.stdin is not None
            server.proc.stdin.write((json.dumps(request) + "\n").encode())
            server.proc.stdin.flush()
        except OSError as err:  # a broken pipe: it died since the last run
            raise _ServerGone(str(err)) from err
        server.child = int(_read_line(server, deadline)["pid"])
        answer = _read_line(server, deadline)
        server.child = None
        return answer

    def _spawn(self) -> _Server:
        become_subreaper()  # if the server dies, its run's orphans come to us, to be killed and reaped
        token = new_run_token()
        tmp = Path(tempfile.mkdtemp(prefix="dagent-worker-"))
        timeout_args(tmp, 1.0)  # writes the timeout plugin where the server can import it once
        shutil.copyfile(VARIANT_PLUGIN, tmp / f"{VARIANT_PLUGIN_MODULE}.py")  # and the variants' plugin
        log = open(tmp / "server.log", "wb")
        config = {"project": str(self.project), "preload": [TIMEOUT_PLUGIN_MODULE, VARIANT_PLUGIN_MODULE, *self.preload], "tmp": str(tmp),
                  "bytecode": str(tmp / "bytecode")}  # fmt: skip
        try:
            proc = subprocess.Popen(
                [self.python, str(SERVER_SCRIPT), json.dumps(config)], cwd=self.project,
                env=mark_run(child_env(pythonpath_env(self.project, self.env, tmp)), token), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=log, start_new_session=True,
            )  # fmt: skip
        except OSError as err:
            log.close()
            raise SandboxError(f"cannot start the test worker with {self.python!r}: {err}") from err
        server = _Server(proc, tmp, log, token)
        self._finalizer = weakref.finalize(self, server.kill)
        self.starts += 1
        self._await_ready(server)
        return server

    def _await_ready(self, server: _Server) -> None:
        try:
            _read_line(server, time.monotonic() + _START_TIMEOUT_S)
        except _ServerGone:
            tail = server.log_tail()
            self.close()
            if "No module named 'pytest'" in tail or "No module named pytest" in tail:
                raise SandboxError(
                    f"pytest is not installed for {self.python}; run `{self.python} -m pip install pytest`"
                ) from None
            raise SandboxError(f"the test worker did not start:\n{tail.strip()}") from None


def _read_line(server: _Server, deadline: float) -> dict[str, Any]:
    """The server's next JSON object line; _ServerGone on EOF or past `deadline`."""
    while True:
        line = _raw_line(server, deadline)
        try:
            answer = json.loads(line)
        except ValueError:
            answer = None  # noise from the interpreter's start-up (a chatty sitecustomize), not ours
        if isinstance(answer, dict):
            return answer


def _raw_line(server: _Server, deadline: float) -> bytes:
    assert server.proc.stdout is not None
    fd = server.proc.stdout.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while b"\n" not in server.buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                raise _ServerGone("the test worker stopped answering", stuck=True)
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise _ServerGone("the test worker exited")
            server.buf += chunk
    line, _, server.buf = server.buf.partition(b"\n")
    return line


def _read_output(path: Path, limit: int = _MAX_OUTPUT_BYTES) -> tuple[str, int]:
    """pytest's output file, a head and a tail kept when it is over `limit` bytes, as run_command does."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size <= limit:
                return f.read().decode("utf-8", errors="replace"), 0
            head = f.read(limit // 2)
            f.seek(size - (limit - limit // 2))
            tail = f.read()
    except OSError:
        return "", 0
    cut = size - len(head) - len(tail)
    return head.decode("utf-8", errors="replace") + cut_marker(cut) + tail.decode("utf-8", errors="replace"), cut
