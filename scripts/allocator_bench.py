"""Side by side: the engine with glibc's default allocator thresholds and with dagent's
(engine/allocator.py), in alternating fresh processes of one run. Each process loads dagent-tiny and
times the scoring pass of `dagent bench engine` (the grammar's candidates at 32 held-out bug lines) and
the confidence sampler on 20 held-out examples (k=4), and counts its minor page faults.

    python scripts/allocator_bench.py [--rounds 3]

Run it alone: its figures are timings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

ARM = r'''
import json, resource, sys, time
import torch
import dagent.engine.load as load
if sys.argv[1] == "default":
    load.keep_freed_memory = lambda: False
from dagent.agent.bench.engine import BenchSettings, load_examples, run_bench
from dagent.agent.bench.score import bench_scoring
from dagent.engine.engine import Engine
engine = Engine.load()
examples = load_examples(40, None)
bench_scoring(engine, examples[:4])
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
scoring = bench_scoring(engine, examples, rounds=1)["candidates_per_s"]
sampling = run_bench(engine.denoiser, engine.tokenizer, examples[:20], BenchSettings(k=4, max_context=engine.context_tokens),
                     only=["dagent-confidence"])["methods"]["dagent-confidence"]["tokens_per_s"]
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
print(json.dumps({"scoring": scoring, "sampling": sampling, "faults": faults}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"default": [], "kept": []}
    for _ in range(args.rounds):
        for arm in runs:
            out = subprocess.run([sys.executable, "-c", ARM, arm], capture_output=True, text=True, check=True).stdout
            runs[arm].append(json.loads(out.strip().splitlines()[-1]))
    print(f"median of {args.rounds} alternating runs each")
    print(f"{'allocator':<10} {'scored/s':>9} {'sampled tok/s':>14} {'minor faults':>13}")
    for arm, results in runs.items():
        med = {key: statistics.median(r[key] for r in results) for key in ("scoring", "sampling", "faults")}
        print(f"{arm:<10} {med['scoring']:>9.0f} {med['sampling']:>14.1f} {med['faults']:>13.0f}")
    ratio = {key: statistics.median(r[key] for r in runs["kept"]) / statistics.median(r[key] for r in runs["default"])
             for key in ("scoring", "sampling")}
    print(f"kept / default: scoring {ratio['scoring']:.2f}x, sampling {ratio['sampling']:.2f}x")


if __name__ == "__main__":
    main()
