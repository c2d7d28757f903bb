"""`dagent bench engine`'s scoring figure: candidates the engine scores per second, and its forwards
against their FLOP floor.

For each held-out repair example (a mutation of a held-out module, the bug line given) the repair
grammar's candidates at that line are scored in one `Engine.score` call, as the search does with its
ranker. A first pass, untimed, warms up and counts each call's FLOPs (the floor: those FLOPs at the
machine's matmul rate in the precision scoring runs in, bf16 under the engine's autocast, probed
before and after the passes, the best probe pricing them); then `ROUNDS` timed passes, the clock
around the calls only (tokenizing, building rows, the forwards, the projection at the scored
positions), and the median pass counts.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from dagent.agent.search import Location, grammar_candidates
from dagent.engine.engine import Engine, ScoreRequest
from dagent.engine.flops import count_flops, matmul_rate
from dagent.engine.precision import precision_name

ROUNDS = 3  # timed passes over every case: one pass swings by 20% on this machine; the median is steadier


@dataclass
class ScoringResult:
    examples: int = 0
    candidates: int = 0  # candidates the model scored (not those answered without it)
    seconds: float = 0.0  # the median pass's
    round_seconds: list[float] = field(default_factory=list)  # every pass's
    floor_s: float = 0.0
    flops: int = 0
    precision: str = "fp32"  # the matmuls' dtype: bf16 under the engine's scoring autocast
    matmul_gflops_probes: list[float] = field(default_factory=list)  # in that dtype, before and after the passes
    forwards: int = 0
    line_in_context: int = 0  # examples whose bug line the encoder saw (inside the context window)

    def figures(self) -> dict[str, float | None]:
        return {
            "candidates_per_s": self.candidates / self.seconds if self.seconds else None,
            "over_floor": self.seconds / self.floor_s if self.floor_s else None,
        }


def requests_for(example: Any) -> list[ScoreRequest]:
    """The grammar's candidates at the example's bug line, as score requests."""
    path, mutated = example.path, example.meta["mutated"]
    candidates = grammar_candidates([Location(path, example.meta["line"], 1.0)], {path: mutated})
    return [ScoreRequest(c.repair.path, c.repair.start, c.repair.old, c.repair.new) for c in candidates]


def scoring_cases(engine: Engine, examples: Iterable[Any]) -> Iterator[tuple[str, bool, list[ScoreRequest]]]:
    """(context, bug line inside it, the grammar's candidates) per example with a planted bug and candidates
    at its line; examples without one (a JSONL file) are skipped."""
    from dagent.engine.prompt import fitted_context

    for example in examples:
        meta = getattr(example, "meta", None) or {}
        if "mutated" not in meta or "contexts" not in meta:
            continue
        requests = requests_for(example)
        if requests:
            context, inside = fitted_context(engine.tokenizer, meta["contexts"], meta["line_text"], engine.context_tokens)
            yield context, inside, requests


def timed_pass(engine: Engine, cases: list[tuple[str, list[ScoreRequest]]]) -> tuple[float, list[list[float]]]:
    """One pass of `Engine.score` over every case: the seconds inside those calls (each context encoded
    outside the clock, as the search encodes a line's context once) and the scores per case."""
    seconds, found = 0.0, []
    for context, requests in cases:
        engine.encode(context)
        began = time.perf_counter()
        found.append(engine.score(context, requests))
        seconds += time.perf_counter() - began
    return seconds, found


def bench_scoring(engine: Engine, examples: Iterable[Any], rounds: int = ROUNDS,
                  rate_probe: Callable[[torch.dtype], float] = matmul_rate) -> dict[str, Any]:
    """Score every case's candidate list (`scoring_cases`), timed over `rounds` passes (the median pass
    counts), then priced at the FLOP floor: `rate_probe(dtype)` of the matmuls' dtype, best of two probes."""
    result = ScoringResult()
    dtype = engine.score_matmul_dtype
    result.precision = precision_name(dtype)
    probes = [rate_probe(dtype)]
    cases = list(scoring_cases(engine, examples))
    for context, inside, requests in cases:
        engine.encode(context)  # outside the clock: the search encodes a line's context once for all its candidates
        scored, forwards = engine.stats.scored, engine.stats.forwards
        engine.score(context, requests)
        result.candidates += engine.stats.scored - scored
        result.forwards += engine.stats.forwards - forwards
        result.flops += count_flops(lambda: engine.score(context, requests))
        result.examples += 1
        result.line_in_context += inside
    for _ in range(rounds):
        result.round_seconds.append(timed_pass(engine, [(context, requests) for context, _, requests in cases])[0])
    result.seconds = statistics.median(result.round_seconds) if result.round_seconds else 0.0
    probes.append(rate_probe(dtype))
    result.matmul_gflops_probes = [rate / 1e9 for rate in probes]
    result.floor_s = result.flops / max(probes)
    return {**asdict(result), **result.figures()}


@dataclass
class Comparison:
    """Scoring paths timed side by side: candidates/s per round, and the last round's scores per bug line."""

    rates: dict[str, list[float]]
    scores: dict[str, list[list[float]]]
    lines: int
    candidates: int

    def median(self, name: str) -> float:
        return statistics.median(self.rates[name])


def compare_scoring(engine: Engine, cases: list[tuple[str, list[ScoreRequest]]], variants: dict[str, Callable[[], None]],
                    rounds: int) -> Comparison:
    """Each variant (a callable that installs its scoring path on the engine) scores every case, in
    alternating rounds so that a slow moment of the machine falls on all of them alike; the clock runs
    around `Engine.score` only, as in `bench_scoring`."""
    rates: dict[str, list[float]] = {name: [] for name in variants}
    scores: dict[str, list[list[float]]] = {}
    count = sum(len(requests) for _, requests in cases)
    for _ in range(rounds):
        for name, install in variants.items():
            install()
            seconds, scores[name] = timed_pass(engine, cases)
            rates[name].append(count / seconds)
    return Comparison(rates, scores, len(cases), count)


def comparison_setup(description: str) -> tuple[int, Engine, list[tuple[str, list[ScoreRequest]]]]:
    """A side-by-side scoring script's start: `--rounds` and `--examples` parsed, the shipped model loaded,
    the grammar's candidates at the bug lines of `dagent bench engine`'s held-out examples."""
    import argparse

    from dagent.agent.bench.engine import load_examples

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=40)
    args = parser.parse_args()
    engine = Engine.load()
    cases = [(context, requests) for context, _, requests in scoring_cases(engine, load_examples(args.examples, None))]
    return args.rounds, engine, cases


def report_rates(comparison: Comparison, rounds: int) -> None:
    """Print each variant's median candidates/s and its rounds."""
    print(f"{comparison.lines} bug lines, {comparison.candidates} candidates, median of {rounds} alternating rounds")
    for name, values in comparison.rates.items():
        print(f"  {name:<14} {statistics.median(values):6.0f} candidates/s  ({', '.join(f'{v:.0f}' for v in values)})")


__all__ = ["ROUNDS", "Comparison", "ScoringResult", "compare_scoring", "comparison_setup", "report_rates", "bench_scoring", "requests_for", "scoring_cases", "timed_pass"]
