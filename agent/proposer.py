"""The model side of the loop: turn a plan into candidate op streams.

One context per edit target (the window around the suspect line first, as dagent-tiny was trained),
encoded once; the replace and insert_after skeletons of that target denoised together, k candidates
each, in one batch. The deletion of the line is a candidate that needs no model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dagent.agent.plan import EditTarget, Plan, deletion_candidate, skeleton_prefixes
from dagent.engine.canvas import close_slot
from dagent.engine.context import ContextBlock, focus_window, render_context, snippets_of
from dagent.engine.engine import Engine, EngineStats, SamplingCut
from dagent.engine.sampler import Candidate
from dagent.engine.skeleton import CanvasTooSmall, Skeleton
from dagent.ops.model import Op, changes_nothing
from dagent.ops.syntax import OpParseError, parse, replace_draft

DraftCallback = Callable[[str, str], None]  # (label, draft text)


@dataclass
class Proposal:
    """One candidate change: its op stream as written (what the report shows), parsed once here.

    A stream that does not parse is still a proposal (the model wrote it): `invalid` says why, and the
    loop rejects it without touching the sandbox."""

    source: str  # "model", "delete", "structural"
    text: str
    score: float | None = None
    target: int = 0  # rank of the edit target it is for
    ops: list[Op] = field(init=False, default_factory=list)
    invalid: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        try:
            self.ops = parse(self.text)
        except OpParseError as err:
            self.invalid = str(err)
            return
        if not self.ops:
            self.invalid = "no op in the stream"


@dataclass
class Proposer:
    """Holds the loaded engine for the whole run: later rounds reuse it (and its encoded contexts)."""

    model: str | None
    k: int = 4
    on_draft: DraftCallback | None = None

    def __post_init__(self) -> None:
        self.engine = Engine.load(self.model)

    @property
    def stats(self) -> EngineStats:
        return self.engine.stats

    def _sample(self, context: str, skeletons: list[Skeleton], seed: int, label: str,
                drafts: list[str | None] | None = None, deadline: float | None = None) -> list[Candidate]:
        show = self.on_draft
        on_draft = (lambda step, text: show(f"{label} step {step}", text)) if show is not None else None
        return self.engine.sample(context, skeletons, drafts, k=self.k, seed=seed, deadline=deadline, on_draft=on_draft)

    def for_targets(self, plan: Plan, sources: dict[str, str], max_targets: int, seed: int,
                    deadline: float | None = None) -> list[Proposal]:
        """Candidates for each target; with a `deadline` (perf_counter time) a target whose sampling
        would not finish in time, judged by the last one, is skipped."""
        proposals: list[Proposal] = []
        last_s = 0.0
        for rank, target in enumerate(plan.targets[:max_targets]):
            if deadline is not None and time.perf_counter() + last_s > deadline:
                break
            began = time.perf_counter()
            context = target_context(plan, target, sources)
            prefixes = skeleton_prefixes(target)
            heads = [prefixes["replace"], prefixes["insert_after"]]
            skeletons = [Skeleton.replace_line(head) for head in heads]
            label = f"{target.path}:{target.line}"
            try:  # the replace starts from the old line, the model's draft to edit; the insert from noise
                candidates = self._sample(render_context(context), skeletons, seed + rank, label,
                                          [replace_draft(head) for head in heads], deadline)
            except SamplingCut:
                break
            except CanvasTooSmall:  # a line too long for the canvas: only the deletion is left to try
                candidates = []
            proposals += [Proposal("model", close_slot(c.text, heads[c.skeleton]), c.score, rank) for c in candidates]
            proposals.append(Proposal("delete", deletion_candidate(target), None, rank))
            last_s = time.perf_counter() - began
        return proposals

    def for_instruction(self, context: ContextBlock, seed: int, deadline: float | None = None) -> list[Proposal]:
        """The model's free-form candidates for an instruction, each starting with a body op at a line the
        model sees in its context window; none when the deadline cuts the sampling."""
        text = render_context(context)
        skeleton = Skeleton.anchored(snippets_of(self.engine.visible(text)))
        try:
            candidates = self._sample(text, [skeleton], seed, "edit", deadline=deadline)
        except SamplingCut:
            return []
        return [Proposal("model", c.text, c.score) for c in candidates]


def target_context(plan: Plan, target: EditTarget, sources: dict[str, str]) -> ContextBlock:
    """The plan's block with the window around this target's line put first."""
    focus = focus_window(target.path, sources[target.path].splitlines(keepends=True), target.line)
    others = [s for s in plan.context.snippets if not (s.path == focus.path and s.start_line == focus.start_line)]
    return ContextBlock(task="fix", errors=plan.context.errors, snippets=[focus, *others])


def rank_proposals(proposals: Sequence[Proposal]) -> list[Proposal]:
    """Target by target (localisation matters most), the model's best first, the deletion last;
    exact duplicates and no-op replaces dropped."""
    seen: set[str] = set()
    ordered = sorted(proposals, key=lambda p: (p.target, p.source != "model", -(p.score or 0.0)))
    kept = []
    for proposal in ordered:
        key = proposal.text.strip()
        if key in seen or changes_nothing(proposal.ops):
            continue
        seen.add(key)
        kept.append(proposal)
    return kept
