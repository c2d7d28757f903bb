"""Choose the confidence rule's threshold (engine/sampler.py CONFIDENCE; `dagent` now runs rows with their op
pinned at PINNED_CONFIDENCE, chosen with scripts/sampling_rules.py, and this sweep sets the pinned rows' threshold,
free rows staying at CONFIDENCE) on *training-split* examples,
never the held-out ones `dagent bench engine` reports: for each threshold, tokens/s against
one-token-per-forward measured in the same run, forwards per token, valid op streams and exact matches.

    python scripts/tune_confidence.py -n 40 --k 4 [--model DIR] [--thresholds 0.7,0.5,0.4,0.3,0.2]

Run it alone: its speeds are timings (two torch processes on two cores thrash).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from dagent.agent.bench.engine import BenchSettings, run_bench
from dagent.engine.load import load_denoiser, resolve_model_dir
from dagent.engine.prompt import context_limit
from dagent.engine.train.data import make_examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=40)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model")
    parser.add_argument("--thresholds", default="0.7,0.5,0.4,0.3,0.2")
    args = parser.parse_args()
    denoiser, tokenizer = load_denoiser(args.model)
    settings = BenchSettings(k=args.k, max_context=context_limit(resolve_model_dir(args.model)))
    examples = make_examples(split="train", n=args.n, seed=args.seed)
    base = run_bench(denoiser, tokenizer, examples, settings, only=["one-per-forward"])["methods"]["one-per-forward"]
    print(f"{len(examples)} training-split examples, k={args.k}; one-per-forward: {base['tokens_per_s']:.1f} tok/s, "
          f"{base['forwards_per_token']:.3f} fwd/tok, {1e3 * base['seconds'] / base['forwards']:.1f} ms/fwd (call), "
          f"valid {base['valid_op_rate']:.0%}, exact {base['exact_match_rate']:.0%}")
    print("threshold  tok/s  x one  fwd/tok  ms/fwd  valid  exact")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        run = run_bench(denoiser, tokenizer, examples, replace(settings, confidence=threshold), only=["dagent-confidence"])
        m = run["methods"]["dagent-confidence"]
        print(f"{threshold:>9g}  {m['tokens_per_s']:5.1f}  {m['tokens_per_s'] / base['tokens_per_s']:4.2f}x  "
              f"{m['forwards_per_token']:7.3f}  {1e3 * m['seconds'] / m['forwards']:6.1f}  {m['valid_op_rate']:4.0%}  {m['exact_match_rate']:4.0%}")


if __name__ == "__main__":
    main()
