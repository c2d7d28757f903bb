"""Tune MODEL_WEIGHT (agent/search.py: nats of model score worth one nat of prior) on mutations of
*training* modules, never the held-out ones: for each weight, the mean reciprocal rank of the fix and
how often it is in the top 5 when the search orders the grammar's candidates by prior + weight x score.

    python scripts/tune_model_weight.py -n 200 [--model DIR] [--draws 2]

`--draws` scores each candidate under that many noise draws (Engine.draws: steadier, proportionally slower).
"""

from __future__ import annotations

import argparse

from dagent.agent.bench.rank import fix_position, heldout_cases
from dagent.agent.fix_check import parsed_ast
from dagent.agent.scoring import engine_for, score_candidates
from dagent.agent.search import Location, by_model, grammar_candidates, order
from dagent.engine.prompt import fitted_context

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 1000.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model")
    parser.add_argument("--draws", type=int, default=1)
    args = parser.parse_args()
    engine = engine_for(args.model)
    engine.draws = args.draws
    found: dict[float, list[int | None]] = {w: [] for w in WEIGHTS}
    for case in heldout_cases(args.n, args.seed, split="train"):
        pool = grammar_candidates([Location(case.path, case.line, 1.0)], {case.path: case.mutated})
        context, _ = fitted_context(engine.tokenizer, case.contexts, case.line_text, engine.context_tokens)
        scores = dict(zip(map(id, pool), score_candidates(engine, context, pool), strict=True))
        prior = order(pool, "grammar", cap=len(pool))
        original = parsed_ast(case.original)
        for w in WEIGHTS:
            ordered = by_model(prior, [scores[id(c)] for c in prior], w)
            found[w].append(fix_position(ordered, case.mutated, original))
    n = len(found[WEIGHTS[0]])
    print(f"{n} training-split mutations, {args.draws} noise draw(s), scoring in "
          f"{'bf16 autocast' if engine.score_dtype is not None else 'the model dtype'}; weight: MRR, fix in the top 5 (1000 = the model alone, prior breaks ties)")
    for w, positions in found.items():
        mrr = sum(1 / p for p in positions if p) / n
        top5 = sum(1 for p in positions if p and p <= 5)
        print(f"  {w:>7g}: MRR {mrr:.3f}, top5 {top5}/{n}")


if __name__ == "__main__":
    main()
