"""The lineage of a trained model: every training run behind its weights, oldest first.

A run that starts from a model (`--init-from`) inherits that model's `lineage.json` when it begins (kept
in the run folder, so a resumed run still has it); its exported `final/` model gets the inherited runs
plus its own entry; shipping copies the file beside the weights and the model card lists it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

LINEAGE_FILE = "lineage.json"
INHERITED_FILE = "inherited_lineage.json"  # in a run folder: the lineage of the model the run started from
MODEL_FOLDERS = ("final", "checkpoint")  # a run's own model folders: the run is named by their parent


def model_name(path: Path) -> str:
    """A model directory's name in a lineage: a run's `final/` or `checkpoint/` is named after its run."""
    return path.parent.name if path.name in MODEL_FOLDERS else path.name


def read_lineage(model_dir: Path) -> list[dict] | None:
    """The model's lineage, or None when it has no lineage file (a model from before lineages)."""
    file = model_dir / LINEAGE_FILE
    return json.loads(file.read_text()) if file.is_file() else None


def inherit(init_from: Path, out_dir: Path) -> None:
    """Keep the starting model's lineage in the run folder; a model without one is one run of unknown history."""
    runs = read_lineage(init_from)
    if runs is None:
        runs = [{"run": model_name(init_from), "init_from": None, "unknown": True}]
    (out_dir / INHERITED_FILE).write_text(json.dumps(runs, indent=2) + "\n")


def run_entry(run_dir: Path, config: dict, rows: list[dict], day: str | None = None) -> dict:
    """One run: where it started, how long it trained, on what, and when it ended."""
    objectives = ["canvas diffusion", "encoder AR"]
    if config.get("rank_weight"):
        objectives.append(f"listwise rank loss (weight {config['rank_weight']:g})")
    if config.get("span_p"):
        objectives.append(f"short-span infill ({config['span_p']:.0%})")
    return {"run": run_dir.name, "init_from": model_name(Path(config["init_from"])) if config.get("init_from") else None,
            "data": f"repository {Path(config['repo']).name}" if config.get("repo") else "corpus",
            "steps": rows[-1]["step"] if rows else 0, "minutes": round(rows[-1]["seconds"] / 60) if rows else 0,
            "lr": config["lr"], "seed": config.get("seed"), "objectives": ", ".join(objectives),
            "finished": day or time.strftime("%Y-%m-%d")}


def lineage_of_run(run_dir: Path, config: dict, rows: list[dict], legacy_base: Path | None = None) -> list[dict]:
    """The runs behind `run_dir`'s final model: what it inherited, then itself. A run from before lineages
    has no inherited file; then `legacy_base`'s lineage (read now, not when the run began) stands in."""
    inherited = run_dir / INHERITED_FILE
    if inherited.is_file():
        before = json.loads(inherited.read_text())
    elif config.get("init_from"):
        before = read_lineage(legacy_base or Path(config["init_from"])) or []
    else:
        before = []
    entry = run_entry(run_dir, config, rows)
    if before and before[-1].get("run") == entry["run"]:  # the same run exported or shipped again
        before = before[:-1]
    return [*before, entry]


def describe(runs: list[dict]) -> str:
    """The lineage as a numbered markdown list."""
    lines = []
    for i, r in enumerate(runs, start=1):
        if r.get("unknown"):
            lines.append(f"{i}. `{r['run']}`: a model without a lineage file (its history is not recorded)")
            continue
        start = f"continued from {r['init_from']}" if r.get("init_from") else "from scratch"
        seed = "" if r.get("seed") is None else f", seed {r['seed']}"
        data = "" if r.get("data", "corpus") == "corpus" else f", on {r['data']}"
        lines.append(f"{i}. {start}: {r['steps']} steps, {r['minutes']} minutes, lr {r['lr']}{seed}{data}; "
                     f"{r['objectives']} (run `{r['run']}`, finished {r.get('finished', r.get('shipped', '?'))})")
    return "\n".join(lines)


__all__ = ["INHERITED_FILE", "LINEAGE_FILE", "describe", "inherit", "lineage_of_run", "model_name", "read_lineage",
           "run_entry"]
