"""Ship a trained run as the embedded model: copy its final weights into the package, score it on the
held-out modules, and write the model card.

    python -m dagent.engine.train.ship runs/tiny-v1 --examples 200 -k 8
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from dagent.engine.load import EMBEDDED_MODEL
from dagent.engine.prompt import LIMITS_FILE, write_limits
from dagent.engine.train.card import write_card
from dagent.engine.train.evaluate import evaluate_mutations

SHIPPED_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
SCORES_FILE = "heldout_scores.json"


def ship(run_dir: Path, examples: int, k: int, seed: int, dest: Path = EMBEDDED_MODEL,
         rank_reports: list[tuple[Path, str]] | None = None) -> Path:
    """Copy the run's final model to `dest`, score it, and write its card; `rank_reports`: JSON files of
    `dagent eval mutations --rank` (measured on the run's model) with the command that wrote each."""
    final = run_dir / "final"
    dest.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES:
        shutil.copy2(final / name, dest / name)
    config = json.loads((run_dir / "train_config.json").read_text())
    if (final / LIMITS_FILE).is_file():
        shutil.copy2(final / LIMITS_FILE, dest / LIMITS_FILE)
    else:
        write_limits(dest, config["context_length"], config["canvas_length"])
    command = f"dagent eval mutations -n {examples} -k {k} --seed {seed}"
    report = evaluate_mutations(str(dest), n=examples, k=k, seed=seed)
    (dest / SCORES_FILE).write_text(report.model_dump_json(indent=2))
    ranks = [(json.loads(path.read_text()), cmd) for path, cmd in rank_reports or []]
    write_card(dest, run_dir, report.model_dump(), command, ranks)
    return dest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("-k", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rank-report", nargs=2, action="append", metavar=("JSON", "COMMAND"), default=[],
                        help="a `dagent eval mutations --rank --json` report of this model, and the command that wrote it")
    args = parser.parse_args(argv)
    print(ship(args.run_dir, args.examples, args.k, args.seed, rank_reports=[(Path(j), c) for j, c in args.rank_report]))


if __name__ == "__main__":
    main()
