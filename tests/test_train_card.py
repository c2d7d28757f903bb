"""The model card's lineage (engine/train/card.py): every run behind the shipped weights, oldest first."""

from __future__ import annotations

import json
from pathlib import Path

from dagent.engine.train.card import LINEAGE_FILE, lineage

ROWS = [{"step": 1, "seconds": 2.0}, {"step": 300, "seconds": 610.0}]


def _config(init_from: str | None = None, **extra: object) -> dict:
    return {"lr": 3e-4, "seed": 2, "init_from": init_from, **extra}


def test_a_run_from_scratch_starts_the_lineage(tmp_path: Path) -> None:
    runs = lineage(tmp_path / "model", tmp_path / "runs" / "tiny", _config(), ROWS)
    assert runs == [{**runs[0], "run": "tiny", "init_from": None, "steps": 300, "minutes": 10, "seed": 2,
                     "objectives": "canvas diffusion, encoder AR"}]


def test_a_continued_run_carries_the_lineage_of_the_weights_it_started_from(tmp_path: Path) -> None:
    shipped = tmp_path / "models" / "dagent-tiny"
    shipped.mkdir(parents=True)
    earlier = [{"run": "tiny", "init_from": None, "steps": 1236}]
    (shipped / LINEAGE_FILE).write_text(json.dumps(earlier))
    config = _config(str(shipped), rank_weight=1.0, span_p=0.3)
    runs = lineage(shipped, tmp_path / "runs" / "rank3", config, ROWS)
    assert [r["run"] for r in runs] == ["tiny", "rank3"]
    assert runs[1]["init_from"] == "dagent-tiny"
    assert runs[1]["objectives"] == "canvas diffusion, encoder AR, listwise rank loss (weight 1), short-span infill (30%)"
    (shipped / LINEAGE_FILE).write_text(json.dumps(runs))  # shipped once; shipping the same run again replaces it
    assert [r["run"] for r in lineage(shipped, tmp_path / "runs" / "rank3", config, ROWS)] == ["tiny", "rank3"]
