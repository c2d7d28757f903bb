"""Fingerprint of the sampler's candidates on fixed inputs (embedded model, fixed seeds): run it before
and after a change that should be exact, and compare the two JSON files (`--compare OLD NEW`).

    python scripts/sampler_fingerprint.py --out before.json
    python scripts/sampler_fingerprint.py --out after.json
    python scripts/sampler_fingerprint.py --compare before.json after.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import torch


def _cases():  # type: ignore[no-untyped-def]
    from dagent.engine.train.data import make_examples
    from dagent.ops.syntax import replace_draft

    examples = [e for e in make_examples("heldout", 12, seed=3, edit_share=0.0) if e.pinned_prefix][:6]
    for i, example in enumerate(examples):
        yield f"draft-{i}", example.context, example.pinned_prefix, replace_draft(example.pinned_prefix)
        if i < 3:
            yield f"noise-{i}", example.context, example.pinned_prefix, None


def fingerprint() -> dict[str, list]:
    from dagent.engine.canvas import drafted_canvas
    from dagent.engine.engine import Engine
    from dagent.engine.sampler import one_token_per_forward, sample
    from dagent.engine.skeleton import Skeleton

    engine = Engine.load()
    out: dict[str, list] = {}
    began = time.perf_counter()
    for name, context, head, draft in _cases():
        prefix = engine.encode(context).prefix
        skeleton = Skeleton.for_prefix(head)
        canvas, init = drafted_canvas(engine.tokenizer, [skeleton], [draft], engine.denoiser.canvas_length,
                                      engine.denoiser.vocab_size)
        with torch.inference_mode():
            for rule in ("entropy", "confidence"):
                found = sample(engine.denoiser, prefix, canvas, k=4, seed=7, init=init, rule=rule)
                out[f"{name}/{rule}"] = [[c.ids, c.score, c.steps] for c in found]
                # the argmax path: no draw, so an exact change leaves it identical whatever the draw method
                found = sample(engine.denoiser, prefix, canvas, k=4, seed=7, init=init, rule=rule, temperature=0.0)
                out[f"{name}/{rule}/argmax"] = [[c.ids, c.score, c.steps] for c in found]
            found = one_token_per_forward(engine.denoiser, prefix, canvas, k=2, seed=7, init=init)
            out[f"{name}/one"] = [[c.ids, c.score, c.steps] for c in found]
    print(f"{len(out)} calls in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return out


def compare(old: dict[str, list], new: dict[str, list], only: str = "") -> int:
    differ = 0
    keys = [k for k in old if only in k]
    for key in keys:
        a, b = old[key], new.get(key)
        same = b is not None and [x[0] for x in a] == [x[0] for x in b] and all(
            math.isclose(x[1], y[1], rel_tol=1e-4, abs_tol=1e-4) for x, y in zip(a, b))
        if not same:
            differ += 1
            print("differs:", key)
    print(f"{len(keys) - differ}/{len(keys)} calls identical")
    return 1 if differ else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    parser.add_argument("--compare", nargs=2)
    parser.add_argument("--only", default="", help="compare only the calls whose name holds this (e.g. argmax)")
    args = parser.parse_args()
    if args.compare:
        sys.exit(compare(*(json.load(open(p)) for p in args.compare), only=args.only))
    torch.set_num_threads(1)
    json.dump(fingerprint(), open(args.out, "w"))
