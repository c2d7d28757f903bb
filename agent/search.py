"""The repair search's order: every grammar candidate at the suspect locations, one ranking over all.

A candidate's key is the log of the chance that it is the fix, as a product of three guesses:
the location's suspiciousness (relative to the top suspect), the family's prior (how often one
candidate of that family fixed a training-split mutation) and a decay over the candidate's index
within its family at that location (the grammar lists the likeliest edit of a family first). The
model, when it ranks, adds its score (log-probability of the candidate relative to the original).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from dagent.agent.budget import MAX_CANDIDATES
from dagent.agent.holes import HoleTemplate, fill_repairs, hole_templates
from dagent.agent.localize import Suspicion
from dagent.agent.repairs import Repair, find_statement, repairs_at
from dagent.ops.model import Op, Replace

RankMode = Literal["grammar", "model", "random"]

# One candidate's chance of fixing a training-split mutation, per family (oracle location), measured
# by `python scripts/family_priors.py -n 660 --seed 0`: literal .145, swap .149, operator .072,
# condition .049, off_by_one .010, attribute .009, statement .004, name .002, call .000. The mutator
# plants few ±1 and call bugs, so those two (and every family) get a floor: absent from the
# mutations is not absent from real code.
FAMILY_PRIOR: dict[str, float] = {
    "literal": 0.145, "swap": 0.149, "operator": 0.072, "condition": 0.049, "off_by_one": 0.04,
    "attribute": 0.02, "statement": 0.01, "name": 0.01, "call": 0.01, "combine": 0.01, "fill": 0.01,
}  # fmt: skip  (fill, the model's hole fillings, is not in the grammar-only measurement: the floor)
DECAY = 0.5  # each later alternative at the same site (the grammar lists the likeliest first)
SITE_DECAY = 0.85  # each later site of the same family in the same statement
LOCATION_POWER = 2.0  # how sharply a less suspicious location loses to the top one
# Nats of model score worth one nat of prior: tuned on 200 mutations of *training* modules
# (`python scripts/tune_model_weight.py -n 200`, the shipped dagent-tiny; docs/bench/rank/tune_model_weight.txt):
# MRR of the fix 0.429 at 0.5, 0.413 at 0.25, 0.416 at 1, 0.263 for the prior alone, 0.352 for the model alone.
MODEL_WEIGHT = 0.5
MAX_LOCATIONS = 12
FILL_LOCATIONS = 3  # the top suspects whose hole templates the model fills


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    weight: float  # suspiciousness relative to the top suspect, in (0, 1]


@dataclass(frozen=True)
class Candidate:
    repair: Repair
    location: Location
    index: int  # alternative number at its site (0: the grammar's likeliest edit there)
    prior_key: float  # log chance before the model: location x family x decay
    model_score: float | None = None

    @property
    def key(self) -> float:
        return self.prior_key + MODEL_WEIGHT * (self.model_score or 0.0)

    def ops(self) -> list[Op]:
        r = self.repair
        return [Replace(path=r.path, old=r.old, new=r.new, line=r.start)]

    def describe(self) -> str:
        return f"{self.repair.path}:{self.repair.start} {self.repair.family:10} {self.repair.note}"


def locations(suspicions: Sequence[Suspicion], sources: Mapping[str, str], limit: int = MAX_LOCATIONS) -> list[Location]:
    """The most suspicious statements, one location each (several lines of one statement are one)."""
    found: list[Location] = []
    seen: set[tuple[str, int]] = set()
    top = max((s.score for s in suspicions), default=0.0)
    for suspicion in suspicions:
        source = sources.get(suspicion.path)
        statement = find_statement(source, suspicion.line) if source is not None else None
        if statement is None or (suspicion.path, statement.start) in seen:
            continue
        seen.add((suspicion.path, statement.start))
        weight = max(suspicion.score / top, 0.05) if top > 0 else 1.0
        found.append(Location(suspicion.path, suspicion.line, weight))
        if len(found) >= limit:
            break
    return found


@lru_cache(maxsize=64)
def _repairs(source: str, path: str, line: int) -> tuple[Repair, ...]:
    # A level after a partial fix asks again for the locations whose file it did not change.
    return tuple(repairs_at(source, path, line))


def grammar_candidates(where: Sequence[Location], sources: Mapping[str, str], deadline: float | None = None) -> list[Candidate]:
    """Every repair at every location, keyed by location x family prior x in-family decay; at the
    `deadline` (a perf_counter time) the locations not reached yet are left out."""
    candidates: list[Candidate] = []
    seen: set[tuple[str, int, int, str]] = set()
    for location in where:
        if deadline is not None and time.perf_counter() > deadline:
            break
        per_site: Counter[tuple[str, str]] = Counter()
        sites: dict[str, dict[str, int]] = {}
        for repair in _repairs(sources[location.path], location.path, location.line):
            identity = (repair.path, repair.start, repair.end, repair.new)
            if identity in seen:
                continue
            seen.add(identity)
            index = per_site[(repair.family, repair.site)]
            per_site[(repair.family, repair.site)] += 1
            site_rank = sites.setdefault(repair.family, {}).setdefault(repair.site, len(sites[repair.family]))
            candidates.append(Candidate(repair, location, index, _prior_key(location, repair.family, index, site_rank)))
    return candidates


def _prior_key(location: Location, family: str, index: int, site_rank: int) -> float:
    return (LOCATION_POWER * math.log(location.weight) + math.log(FAMILY_PRIOR.get(family, 0.01))
            + index * math.log(DECAY) + site_rank * math.log(SITE_DECAY))  # fmt: skip


Scorer = Callable[[Sequence[Candidate]], Sequence[float]]
Filler = Callable[[Sequence[HoleTemplate]], Sequence[Sequence[str]]]  # each template's fillings, best first


@dataclass(frozen=True)
class ModelRanker:
    """What the model offers the search for one context: a score of candidates, fillings of holes."""

    score: Scorer
    fill: Filler | None = None


def fill_candidates(where: Sequence[Location], sources: Mapping[str, str], filler: Filler,
                    limit: int = FILL_LOCATIONS) -> list[Candidate]:
    """The model's fillings of the hole templates at the top `limit` locations, as `fill` candidates."""
    templates = [(location, t) for location in where[:limit]
                 for t in hole_templates(sources[location.path], location.path, location.line)]
    if not templates:
        return []
    fillings = filler([t for _, t in templates])
    candidates: list[Candidate] = []
    for site, ((location, template), texts) in enumerate(zip(templates, fillings, strict=True)):
        for index, repair in enumerate(fill_repairs(template, texts, sources[location.path])):
            candidates.append(Candidate(repair, location, index, _prior_key(location, "fill", index, site)))
    return candidates


def order(candidates: Sequence[Candidate], rank: RankMode = "grammar", scorer: Scorer | None = None,
          seed: int = 0, cap: int = MAX_CANDIDATES) -> list[Candidate]:
    """The order the validator tries candidates in, at most `cap` of them.

    grammar: the prior key alone; model: prior key plus the model's score (the top `cap` by prior are
    scored); random: a shuffle (the baseline a ranking must beat).
    """
    if rank == "random":
        shuffled = list(candidates)
        random.Random(seed).shuffle(shuffled)
        return shuffled[:cap]
    ranked = sorted(candidates, key=lambda c: -c.prior_key)[:cap]
    if rank == "model" and scorer is not None and ranked:
        return by_model(ranked, scorer(ranked))
    return ranked


def by_model(ranked: Sequence[Candidate], scores: Sequence[float], weight: float = MODEL_WEIGHT) -> list[Candidate]:
    """`ranked` (in prior order) with the model's `scores`, sorted by prior key plus `weight` x score;
    ties keep the prior order. The search's order, and the one its evaluation and tuning measure."""
    scored = [_with_score(c, s) for c, s in zip(ranked, scores, strict=True)]
    return sorted(scored, key=lambda c: -(c.prior_key + weight * (c.model_score or 0.0)))


# Mutation-based localisation, online: an edit at the faulty statement usually changes how the failing
# tests fail; edits at a statement they do not depend on leave every message as it was.
MOVED_BONUS = math.log(4.0)  # a location where some edit changed the failing tests' outcome
UNMOVED_PENALTY = math.log(0.7)  # per edit there that changed nothing


@dataclass
class Evidence:
    """What validation has shown about each location so far."""

    tried: Counter[tuple[str, int]] = field(default_factory=Counter)
    moved: Counter[tuple[str, int]] = field(default_factory=Counter)

    def note(self, candidate: Candidate, moved: bool) -> None:
        where = (candidate.location.path, candidate.location.line)
        self.tried[where] += 1
        self.moved[where] += moved

    def adjustment(self, candidate: Candidate) -> float:
        where = (candidate.location.path, candidate.location.line)
        if self.moved[where]:
            return MOVED_BONUS
        return self.tried[where] * UNMOVED_PENALTY


def next_candidate(remaining: list[Candidate], evidence: Evidence | None) -> Candidate:
    """Pop the best remaining candidate, its location re-weighted by the evidence (none: keep the order)."""
    if evidence is None:
        return remaining.pop(0)
    best = max(range(len(remaining)), key=lambda i: (remaining[i].key + evidence.adjustment(remaining[i]), -i))
    return remaining.pop(best)


def _with_score(candidate: Candidate, score: float) -> Candidate:
    finite = score if math.isfinite(score) else -20.0  # an unscorable candidate goes last, not away
    return Candidate(candidate.repair, candidate.location, candidate.index, candidate.prior_key, finite)
