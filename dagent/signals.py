"""What dagent does with Ctrl-C, SIGTERM and SIGHUP around the steps that must not be cut halfway.

Two tools, for every layer:
- `held()`: a block that must finish once begun (a multi-file swap, a worktree's removal, a git command
  that writes) holds the three signals and raises each again when it ends, so it then acts as the
  process's own handler says: KeyboardInterrupt, a handler such as the sandbox's, or the default action.
- `terminating_as_interrupt()`: SIGTERM and SIGHUP (the terminal closed) raise KeyboardInterrupt, as Ctrl-C
  does, so every `finally` runs; their default action would kill the process and leave its temp files.

Only the main thread can set handlers (Python runs them there), so elsewhere both do nothing. A signal the
user chose to ignore (`nohup`) stays ignored. The run-time guard around test processes, which interrupts
once and then holds, is `dagent.sandbox.runner.InterruptGuard`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn

INTERRUPTING = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
TERMINATING = tuple(sig for sig in INTERRUPTING if sig != signal.SIGINT)


def in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def raise_interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    """A handler that turns a signal into KeyboardInterrupt."""
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


def _set_unless_ignored(signals: tuple[int, ...], handler: Any) -> dict[int, Any]:
    """Install `handler` for each signal not ignored; the handlers found, to restore (saved before set,
    so a signal in between cannot leak ours)."""
    saved: dict[int, Any] = {}
    for sig in signals:
        found = signal.getsignal(sig)
        if found is signal.SIG_IGN:
            continue
        try:
            saved[sig] = found
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main interpreter, or a signal the platform refuses
            saved.pop(sig, None)
    return saved


def _restore(saved: dict[int, Any]) -> None:
    for sig, handler in saved.items():
        signal.signal(sig, signal.SIG_DFL if handler is None else handler)  # None: set outside Python


@contextmanager
def held(deliver_on_error: bool = False) -> Iterator[list[int]]:
    """Hold SIGINT, SIGTERM and SIGHUP over the block; the list it yields records those that arrived.

    When the block ends the handlers are restored and each held signal is raised again, once. When the
    block raised, they are raised only with `deliver_on_error` (the caller wants the signal to win over
    its own error); otherwise the exception already unwinding is left as it is.
    """
    pending: list[int] = []
    if not in_main_thread():
        yield pending
        return
    saved = _set_unless_ignored(INTERRUPTING, lambda signum, _frame: pending.append(signum))
    failed = True
    try:
        yield pending
        failed = False
    finally:
        _restore(saved)
        if pending and (deliver_on_error or not failed):
            _redeliver(pending)


def _redeliver(pending: list[int]) -> None:
    """Raise each held signal once; the first exception a handler raises (KeyboardInterrupt) wins."""
    error: BaseException | None = None
    for signum in dict.fromkeys(pending):
        try:
            signal.raise_signal(signum)
        except BaseException as err:  # noqa: BLE001 - kept until every signal is delivered
            error = error or err
    if error is not None:
        raise error


@contextmanager
def terminating_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl-C does."""
    saved = _set_unless_ignored(TERMINATING, raise_interrupt) if in_main_thread() else {}
    try:
        yield
    finally:
        _restore(saved)
