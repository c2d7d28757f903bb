"""The lineage of a trained model (engine/train/lineage.py): every run behind its weights, oldest first."""

from __future__ import annotations

import json
from pathlib import Path

from dagent.engine.train.lineage import LINEAGE_FILE, describe, inherit, lineage_of_run, run_entry

ROWS = [{"step": 1, "seconds": 2.0}, {"step": 300, "seconds": 610.0}]


def _config(init_from: Path | None = None, **extra: object) -> dict:
    return {"lr": 3e-4, "seed": 2, "init_from": str(init_from) if init_from else None, **extra}


def _model(path: Path, runs: list[dict] | None) -> Path:
    path.mkdir(parents=True)
    if runs is not None:
        (path / LINEAGE_FILE).write_text(json.dumps(runs))
    return path


def test_a_run_from_scratch_starts_the_lineage(tmp_path: Path) -> None:
    entry = run_entry(tmp_path / "tiny", _config(), ROWS, day="2026-12-06")
    assert entry == {"run": "tiny", "init_from": None, "data": "corpus", "steps": 300, "minutes": 10, "lr": 3e-4,
                     "seed": 2, "objectives": "canvas diffusion, encoder AR", "finished": "2026-12-06"}
    (only,) = lineage_of_run(tmp_path / "tiny", _config(), ROWS)
    assert {**only, "finished": "2026-12-06"} == entry


def test_a_continued_run_inherits_when_it_starts_not_when_it_ships(tmp_path: Path) -> None:
    base = _model(tmp_path / "runs" / "rank1" / "final", [{"run": "tiny", "init_from": None}, {"run": "rank1"}])
    run = tmp_path / "runs" / "rank2"
    run.mkdir()
    inherit(base, run)
    (base / LINEAGE_FILE).write_text(json.dumps([{"run": "something later"}]))  # the base changes after the start
    config = _config(base, rank_weight=1.0, span_p=0.3)
    runs = lineage_of_run(run, config, ROWS)
    assert [r["run"] for r in runs] == ["tiny", "rank1", "rank2"]
    assert runs[-1]["init_from"] == "rank1"  # a run's final/ is named after its run
    assert runs[-1]["objectives"] == "canvas diffusion, encoder AR, listwise rank loss (weight 1), short-span infill (30%)"
    more = [{"step": 400, "seconds": 900.0}]  # resumed and exported again: its entry is replaced, not repeated
    (run / "inherited_lineage.json").write_text(json.dumps(runs))
    again = lineage_of_run(run, config, more)
    assert [r["run"] for r in again] == ["tiny", "rank1", "rank2"] and again[-1]["steps"] == 400


def test_a_start_without_a_lineage_is_said_to_be_unknown(tmp_path: Path) -> None:
    base = _model(tmp_path / "someone" / "model", None)
    run = tmp_path / "mine"
    run.mkdir()
    inherit(base, run)
    runs = lineage_of_run(run, _config(base, repo="/src/proj"), ROWS)
    assert runs[0] == {"run": "model", "init_from": None, "unknown": True}
    assert runs[1]["data"] == "repository proj"
    text = describe(runs)
    assert "history is not recorded" in text.splitlines()[0] and "on repository proj" in text.splitlines()[1]


def test_a_run_from_before_lineages_reads_its_base_at_ship_time(tmp_path: Path) -> None:
    shipped = _model(tmp_path / "models" / "dagent-tiny", [{"run": "tiny", "init_from": None}])
    runs = lineage_of_run(tmp_path / "rank3", _config(Path("engine/models/dagent-tiny")), ROWS, legacy_base=shipped)
    assert [r["run"] for r in runs] == ["tiny", "rank3"] and runs[-1]["init_from"] == "dagent-tiny"
