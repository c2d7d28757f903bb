"""What a `dagent fix` / `dagent edit` / `dagent test` run did: the boundary objects the CLI prints,
`--json` writes on stdout (schema: docs/report.schema.json) and `dagent ci` writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

if TYPE_CHECKING:
    from dagent.sandbox.results import TestRun

SCHEMA_VERSION = 1  # of the --json document; raise it when a field changes meaning or goes away



class _Model(BaseModel):
    # every field is always written, so the --json schema lists them all as required
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


VerdictName = Literal[
    "invalid",  # the op stream does not parse
    "apply_error",  # an anchor or path problem: nothing written
    "compile_error",  # a changed file no longer compiles
    "still_failing",  # the target tests still fail
    "regression",  # a test that passed before fails now
    "partial",  # some failing tests pass now and no passing test broke: built on in the next round
    "passes",  # the whole suite passes
]


class Attempt(_Model):
    round: int
    source: str  # "model", "delete", "structural"
    ops: str  # the candidate's op stream text
    score: float | None = None  # the model's own score (mean log-prob), when the model wrote it
    verdict: VerdictName
    reason: str = ""
    failing_after: list[str] = Field(default_factory=list)
    # grammar candidates: where and what (the repair's family and its note, e.g. "`<` → `<=`")
    path: str = ""
    line: int | None = None
    family: str = ""
    note: str = ""
    rank: int | None = None  # its place in the search's order at its level (1: first)
    of: int | None = None  # how many candidates that level's order held
    # the order the search took it up in at its level (1: first): its rank unless the evidence of earlier
    # verdicts moved it; a fixed order, unlike when its verdict came back (two lanes race)
    taken: int | None = None
    kept: bool = False  # part of the winning change (the winner, and the partial fixes it was built on)


class Timings(_Model):
    wall_s: float = 0.0
    model_s: float = 0.0  # encoder + denoising
    test_s: float = 0.0  # every pytest run, baseline included
    model_load_s: float = 0.0
    baseline_s: float = 0.0  # everything before the first candidate: plain run, traced run, worker start
    baseline_plain_s: float = 0.0  # the untraced suite
    baseline_traced_s: float = 0.0  # coverage of the tests that can localise the failure
    baseline_test_s: float = 0.0  # test time before the first candidate: both runs and the worker's cross-check
    traced_tests: int = 0  # how many tests that traced run covered
    screened: int = 0  # candidates judged in a screening session (their function's code swapped, agent/screen.py)
    screen_s: float = 0.0  # test time in screening sessions (part of test_s)
    confirm_s: float = 0.0  # test time in whole-suite runs confirming would-be winners (part of test_s)
    forwards: int = 0  # decoder forwards
    tokens_written: int = 0  # non-pad tokens the model wrote

    @property
    def tokens_per_forward(self) -> float:
        return self.tokens_written / self.forwards if self.forwards else 0.0


class RunReport(_Model):
    schema_version: int = SCHEMA_VERSION
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
    explanation: str = ""  # one sentence on what was wrong, from the winning attempt(s)

    def winning(self) -> list[Attempt]:
        """The attempts the change is made of, first built on first (empty when not fixed)."""
        return [a for a in self.attempts if a.kept] if self.fixed else []

    def summary_line(self) -> str:
        t = self.timings
        result = "fixed" if self.fixed else "not fixed"
        return (
            f"{result} in {t.wall_s:.1f}s: {self.rounds} round(s), {self.candidates_tried} candidate(s) tried; "
            f"model {t.model_s:.1f}s, tests {t.test_s:.1f}s, {t.tokens_per_forward:.1f} tokens/forward"
        )


class TestOutcomeReport(_Model):
    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    test_id: str
    outcome: Literal["passed", "failed", "error", "skipped"]
    message: str = ""
    duration_s: float = 0.0
    timed_out: bool = False


class TestReport(_Model):
    """What `dagent test` found."""

    __test__: ClassVar[bool] = False

    schema_version: int = SCHEMA_VERSION
    command: Literal["test"] = "test"
    project: str
    interpreter: str  # which Python ran the tests, and why that one
    ok: bool
    summary: str
    timed_out: bool = False
    duration_s: float = 0.0
    outcomes: list[TestOutcomeReport] = Field(default_factory=list)
    collection_errors: list[str] = Field(default_factory=list)

    @classmethod
    def from_run(cls, run: TestRun, project: str, interpreter: str) -> TestReport:
        return cls(project=project, interpreter=interpreter, ok=run.ok, summary=run.summary(), timed_out=run.timed_out,
                   duration_s=run.duration_s, collection_errors=list(run.collection_errors),
                   outcomes=[TestOutcomeReport(test_id=o.test_id, outcome=o.outcome, message=o.message,
                                               duration_s=o.duration_s, timed_out=o.timed_out) for o in run.outcomes])


Report = Annotated[Union[RunReport, TestReport], Field(discriminator="command")]
REPORT = TypeAdapter(Report)


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the --json document (committed as docs/report.schema.json)."""
    schema = REPORT.json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "dagent report", **schema}


if __name__ == "__main__":  # regenerate the committed schema: python -m dagent.agent.report > docs/report.schema.json
    import json

    print(json.dumps(report_schema(), indent=2, ensure_ascii=False))
