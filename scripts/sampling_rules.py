"""Does `dagent`'s sampling rule lose fixes? Sampling rules side by side on the same examples, interleaved
example by example, per seed: on pinned canvases (what `dagent fix` samples) how often the top candidate,
and any of the k, is exactly the target; on free canvases how often a candidate is a valid edit (it parses
and changes something); and each rule's sampling seconds. The rules: `entropy` (the entropy bound, with the check forward),
`confidence-check` (the confidence rule at CONFIDENCE, free canvases within FREE_WINDOW, with the check
forward), `confidence` (the same without the check) and `dagent` (that, with rows whose op is pinned at
PINNED_CONFIDENCE, as `Engine.sample` runs it).

    python scripts/sampling_rules.py -n 200 --k 4 --seeds 0,1 [--split heldout|train] [--rules a,b] [--model DIR]

Choose on `--split train`; the held-out split (the default) is for reporting. Run it alone: the seconds
are timings.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import torch

from dagent.agent.bench.engine import BenchSettings, prepare_examples, same_text, valid_edit
from dagent.engine.load import load_denoiser, resolve_model_dir
from dagent.engine.prompt import context_limit
from dagent.engine.sampler import CONFIDENCE, DAGENT_REVISE, FREE_WINDOW, PINNED_CONFIDENCE, REVISE, sample
from dagent.engine.train.data import make_examples

RULES: dict[str, dict[str, object]] = {
    "entropy": {"rule": "entropy", "revise": REVISE},
    "confidence-check": {"rule": "confidence", "free_window": FREE_WINDOW, "revise": REVISE},
    "confidence": {"rule": "confidence", "free_window": FREE_WINDOW, "revise": DAGENT_REVISE},
    "dagent": {"rule": "confidence", "free_window": FREE_WINDOW, "revise": DAGENT_REVISE,
               "confidence": PINNED_CONFIDENCE, "free_confidence": CONFIDENCE},
}


@dataclass
class Tally:
    pinned: int = 0
    top: int = 0
    any_of_k: int = 0
    free: int = 0
    valid: int = 0
    seconds: float = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--split", choices=("heldout", "train"), default="heldout")
    parser.add_argument("--rules", default=",".join(RULES))
    parser.add_argument("--model")
    args = parser.parse_args()
    denoiser, tokenizer = load_denoiser(args.model)
    settings = BenchSettings(k=args.k, max_context=context_limit(resolve_model_dir(args.model)))
    prepared, _ = prepare_examples(denoiser, tokenizer, make_examples(split=args.split, n=args.n, seed=0), settings)
    rules = {name: RULES[name] for name in args.rules.split(",")}
    tallies = {name: Tally() for name in rules}
    with torch.inference_mode():
        for seed in (int(s) for s in args.seeds.split(",")):
            for ex in prepared:
                prefix = denoiser.encode(ex.context)
                for name, options in rules.items():
                    began = time.perf_counter()
                    found = sample(denoiser, prefix, ex.canvas, k=args.k, seed=seed, init=ex.init, **options)
                    t = tallies[name]
                    t.seconds += time.perf_counter() - began
                    if ex.kind == "free":
                        t.free += len(found)
                        t.valid += sum(valid_edit(c.text) for c in found)
                    else:
                        t.pinned += 1
                        t.top += same_text(found[0].text, ex.target)
                        t.any_of_k += any(same_text(c.text, ex.target) for c in found)
    print(f"{len(prepared)} {args.split} examples, k={args.k}, seeds {args.seeds}")
    print("            rule  pinned: top exact   any of k exact   free: valid   sampling s")
    for name, t in tallies.items():
        print(f"{name:>16}  {t.top:4d}/{t.pinned} {t.top / max(t.pinned, 1):5.1%}  {t.any_of_k:4d}/{t.pinned} "
              f"{t.any_of_k / max(t.pinned, 1):5.1%}   {t.valid:3d}/{t.free} {t.valid / max(t.free, 1):4.0%}  {t.seconds:9.1f}")


if __name__ == "__main__":
    main()
