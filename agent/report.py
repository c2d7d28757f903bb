"""What a `dagent fix` / `dagent edit` run did: the boundary object the CLI prints and `dagent ci` writes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

VerdictName = Literal[
    "invalid",  # the op stream does not parse
    "apply_error",  # an anchor or path problem: nothing written
    "compile_error",  # a changed file no longer compiles
    "still_failing",  # the target tests still fail
    "regression",  # a test that passed before fails now
    "partial",  # some failing tests pass now and no passing test broke: built on in the next round
    "passes",  # the whole suite passes
    "duplicate",  # same edit as an earlier candidate
    "not_tried",  # the budget ran out first
]


class Attempt(BaseModel):
    round: int
    source: str  # "model", "delete", "structural"
    ops: str  # the candidate's op stream text
    score: float | None = None  # the model's own score (mean log-prob), when the model wrote it
    verdict: VerdictName
    reason: str = ""
    failing_after: list[str] = Field(default_factory=list)


class Timings(BaseModel):
    wall_s: float = 0.0
    model_s: float = 0.0  # encoder + denoising
    test_s: float = 0.0  # every pytest run, baseline included
    model_load_s: float = 0.0
    baseline_s: float = 0.0  # everything before the first candidate: plain run, traced run, worker start
    baseline_plain_s: float = 0.0  # the untraced suite
    baseline_traced_s: float = 0.0  # coverage of the tests that can localise the failure
    traced_tests: int = 0  # how many tests that traced run covered
    forwards: int = 0  # decoder forwards
    tokens_written: int = 0  # non-pad tokens the model wrote

    @property
    def tokens_per_forward(self) -> float:
        return self.tokens_written / self.forwards if self.forwards else 0.0


class RunReport(BaseModel):
    command: Literal["fix", "edit"]
    project: str  # the directory dagent ran on
    fixed: bool
    status: str  # one line for people
    instruction: str = ""
    failing_before: list[str] = Field(default_factory=list)
    failing_after: list[str] = Field(default_factory=list)
    rounds: int = 0
    candidates_tried: int = 0
    ops: str = ""  # the winning op stream (all rounds), paths relative to `project`
    diff: str = ""  # the winning unified diff, paths relative to the repo root
    attempts: list[Attempt] = Field(default_factory=list)
    timings: Timings = Field(default_factory=Timings)
    test_runner: Literal["worker", "subprocess"] = "worker"  # how candidates' tests ran (see loop.disagreements)
    lanes: int = 1  # candidates validated at once, each in its own sandbox
    applied: bool = False
    commit: str | None = None
    branch: str | None = None

    def summary_line(self) -> str:
        t = self.timings
        result = "fixed" if self.fixed else "not fixed"
        return (
            f"{result} in {t.wall_s:.1f}s: {self.rounds} round(s), {self.candidates_tried} candidate(s) tried; "
            f"model {t.model_s:.1f}s, tests {t.test_s:.1f}s, {t.tokens_per_forward:.1f} tokens/forward"
        )
