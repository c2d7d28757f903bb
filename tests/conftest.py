"""Shared test settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A run that collected no test must fail loudly, not pass as exit 5.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def test_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """Every test run the fix loop asks for, in order: the test ids, or None for the whole suite."""
    from dagent.agent.run import Run

    calls: list[list[str] | None] = []
    original = Run.tests

    def recording(self: Run, test_ids: list[str] | None = None, extra_args=(), lane=None):  # type: ignore[no-untyped-def]
        calls.append(None if test_ids is None else list(test_ids))
        return original(self, test_ids, extra_args, lane)

    monkeypatch.setattr(Run, "tests", recording)
    return calls


@pytest.fixture(scope="session")
def tiny_model_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, int], Path]:
    """`make(canvas, seed)`: the directory of a random tiny model of the real class (tests/helpers/engine.py),
    written once per session for each (canvas, seed)."""
    from helpers.engine import tiny_model_dir

    made: dict[tuple[int, int], Path] = {}

    def make(canvas: int, seed: int) -> Path:
        if (canvas, seed) not in made:
            made[canvas, seed] = tiny_model_dir(tmp_path_factory.mktemp("model") / "tiny", canvas, seed)
        return made[canvas, seed]

    return make
