"""Choose the confidence rule's window on free canvases (engine/sampler.py FREE_WINDOW) on *training-split*
examples, never the held-out ones `dagent bench engine` reports: only the examples with nothing pinned (the
model writes the whole op stream, its start anchored at the context: engine/stream_starts.py), and for each window
tokens/s and valid edits (parse, change something) against one-token-per-forward (most confident first, and left to right) and the
entropy rule, measured in the same run.

    python scripts/tune_free_window.py -n 400 --k 4 [--model DIR] [--windows 0,4,6,8,12]

Window 0 means none (accept anywhere). Run it alone: its speeds are timings.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from dagent.agent.bench.engine import BenchSettings, run_bench
from dagent.engine.load import load_denoiser, resolve_model_dir
from dagent.engine.prompt import context_limit
from dagent.engine.train.data import make_examples


def _row(name: str, m: dict, base: dict) -> str:
    return (f"{name:>16}  {m['tokens_per_s']:5.1f}  {m['tokens_per_s'] / base['tokens_per_s']:4.2f}x  "
            f"{m['forwards_per_token']:7.3f}  {m['valid_op_rate']:5.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=400, help="training-split examples drawn (about 1 in 12 is free)")
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model")
    parser.add_argument("--windows", default="0,4,6,8,12")
    args = parser.parse_args()
    denoiser, tokenizer = load_denoiser(args.model)
    settings = BenchSettings(k=args.k, max_context=context_limit(resolve_model_dir(args.model)))
    examples = [e for e in make_examples(split="train", n=args.n, seed=args.seed) if not e.pinned_prefix]
    base = run_bench(denoiser, tokenizer, examples, settings, only=["one-per-forward", "left-to-right", "dagent-entropy"])["methods"]
    print(f"{len(examples)} free training-split examples, k={args.k}")
    print("          method  tok/s  x one  fwd/tok  valid")
    one = base["one-per-forward"]
    print(_row("one-per-forward", one, one))
    print(_row("left-to-right", base["left-to-right"], one))
    print(_row("entropy", base["dagent-entropy"], one))
    for window in (int(w) for w in args.windows.split(",")):
        run = run_bench(denoiser, tokenizer, examples, replace(settings, free_window=window or None),
                        only=["dagent-confidence"])
        print(_row(f"confidence w={window or 'none'}", run["methods"]["dagent-confidence"], one))


if __name__ == "__main__":
    main()
