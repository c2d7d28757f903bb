"""Candidates scored per second by the engine (engine/engine.py) on the embedded dagent-tiny.

    .venv/bin/python scripts/score_bench.py [--threads 2] [--seconds 3] [--draws 1] [--dtype auto]

One context, candidates at one line (a ±1 family, as the repair grammar writes them), batch sizes 1,
16 and 64; each size is timed over repeated calls for `--seconds` after one warm-up call.
"""

from __future__ import annotations

import argparse
import time

import torch

from dagent.engine.engine import Engine

CONTEXT = ("<|fix|>\n<|error|> tests/test_stats.py::test_last: IndexError: list index out of range\n"
           "<|file|> pkg/stats.py:1\ndef last(xs):\n    if not xs:\n        return None\n    return xs[len(xs)]\n")
OLD = "    return xs[len(xs)]\n"


def candidates(n: int) -> list[str]:
    return [f"    return xs[len(xs) - {i + 1}]\n" if i % 2 else f"    return xs[len(xs) + {i}]\n" for i in range(n)]


def rate(engine: Engine, batch: int, seconds: float) -> float:
    news = candidates(batch)
    engine.score_repairs(CONTEXT, "pkg/stats.py", 4, OLD, news)  # warm-up (and the context's encoding)
    began, done = time.perf_counter(), 0
    while time.perf_counter() - began < seconds:
        engine.score_repairs(CONTEXT, "pkg/stats.py", 4, OLD, news)
        done += batch
    return done / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--draws", type=int, default=1)
    parser.add_argument("--dtype", default="auto")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    engine = Engine.load(dtype=args.dtype, draws=args.draws)
    print(f"threads {args.threads}, draws {args.draws}, dtype {args.dtype}, canvas {engine.canvas_length}")
    for batch in (1, 16, 64):
        print(f"batch {batch:>3}: {rate(engine, batch, args.seconds):7.1f} candidates/s")


if __name__ == "__main__":
    main()
