"""Reliability attack: a budget the user sets is a deadline that holds, model work included.

`--budget 40` once ended after 164 s because the model's scoring and filling never looked at the clock.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagent.agent.bench.tasks import load_tasks, materialize

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
SLACK_S = 6.0  # interpreter start-up, loading torch for the report, the sandbox's removal


def _timed(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dagent.agent.app.cli", *args], capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    return result, time.perf_counter() - began


def test_a_budget_holds_while_the_model_ranks_and_fills(tmp_path: Path) -> None:
    """Attack: `--rank model` on a bug no edit reaches, so the model scores and fills every level."""
    task = next(t for t in load_tasks(ROOT / "examples/tasks") if t.name == "33-geo-route")
    repo = materialize(task, tmp_path / "repo")
    result, wall = _timed("fix", str(repo), "--budget", "25", "--rank", "model")
    assert result.returncode == 1, result.stderr[-2000:]
    assert wall < 25 + SLACK_S, f"a 25 s budget took {wall:.1f}s"


def test_a_budget_holds_for_an_edit_the_model_must_write(tmp_path: Path) -> None:
    """Attack: an instruction no structural op carries out, so the model drafts candidates."""
    task = next(t for t in load_tasks(ROOT / "examples/tasks") if t.name == "49-cache-edit-distance")
    repo = materialize(task, tmp_path / "repo")
    result, wall = _timed("edit", task.instruction, str(repo / "fuzzy/distance.py"), "--budget", "15")
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert wall < 15 + SLACK_S, f"a 15 s budget took {wall:.1f}s"
