"""Measure each repair family's prior: how often it holds the fix of a training-split mutation,
and at which index within the family (the grammar's own order).

    python scripts/family_priors.py -n 600 --seed 0

Mutations come from `dagent.engine.train.mutate` over the *training* split of the corpus (the held-out
split and the task sets are not used), one kind drawn uniformly per mutation; the bug line is given
(oracle localisation). Prints per family: share of mutations it fixes, median index of the fix inside
the family, mean number of candidates the family yields at a location, and the suggested prior
(share / mean candidates: the chance that one candidate of the family is the fix).
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections import Counter, defaultdict

from dagent.agent.repairs import FAMILIES, repairs_at
from dagent.engine.train.data import corpus_modules, read_source, split_modules
from dagent.engine.train.mutate import KINDS, mutate_line


def _normal(text: str) -> str:
    return " ".join(text.split())


def _plant(rng: random.Random, sources: list, kind: str, tries: int = 200):  # type: ignore[no-untyped-def]
    for _ in range(tries):
        source = rng.choice(sources)
        function = rng.choice(source.functions)
        index = rng.randrange(function.body_start - 1, function.end)
        mutation = mutate_line(source.lines, index, kind, source.module.path, rng, (function.start, function.end))
        if mutation is not None:
            return source, mutation
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sources = [s for s in (read_source(m) for m in split_modules(corpus_modules(), "train")[:400]) if s]
    fixed_by: Counter[str] = Counter()
    index_in: dict[str, list[int]] = defaultdict(list)
    yielded: dict[str, list[int]] = defaultdict(list)
    by_kind: Counter[tuple[str, bool]] = Counter()
    done = 0
    while done < args.n:
        kind = KINDS[done % len(KINDS)]  # balanced kinds: retry until this kind fits somewhere
        found = _plant(rng, sources, kind)
        if found is None:
            continue
        source, mutation = found
        done += 1
        want = _normal(source.text)
        lines = mutation.mutated.splitlines(keepends=True)
        hit = None
        for line in ([mutation.line, mutation.line + 1] if kind == "missing_line" else [mutation.line]):
            candidates = repairs_at(mutation.mutated, source.module.path, line)
            counts = Counter(r.family for r in candidates)
            for family in FAMILIES:
                yielded[family].append(counts[family])
            position: Counter[str] = Counter()
            for repair in candidates:
                text = "".join([*lines[: repair.start - 1], repair.new, *lines[repair.end :]])
                if _normal(text) == want:
                    hit = (repair.family, position[repair.family])
                    break
                position[repair.family] += 1
            if hit:
                break
        by_kind[(kind, hit is not None)] += 1
        if hit:
            fixed_by[hit[0]] += 1
            index_in[hit[0]].append(hit[1])
    print(f"{done} training-split mutations, fix in the grammar for {sum(fixed_by.values())}")
    print(f"{'family':12} {'share':>6} {'median idx':>10} {'mean cands':>10} {'prior':>8}")
    for family in FAMILIES:
        share = fixed_by[family] / done
        mean = statistics.mean(yielded[family]) if yielded[family] else 0.0
        median = statistics.median(index_in[family]) if index_in[family] else float("nan")
        prior = share / mean if mean else 0.0
        print(f"{family:12} {share:6.3f} {median:10.1f} {mean:10.1f} {prior:8.4f}")
    for kind in KINDS:
        print(f"  {kind:16} fixed {by_kind[(kind, True)]}/{by_kind[(kind, True)] + by_kind[(kind, False)]}")


if __name__ == "__main__":
    main()
