"""The fix and edit loops on real git repos, real pytest and a tiny random DiffusionGemma."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dagent.agent.budget import Budget
from dagent.agent.loop import apply_to_tree, call_timeouts, disagreements, find_project, run_edit, run_fix
from dagent.agent.proposer import Proposal, Proposer, rank_proposals
from dagent.agent.run import Run, validate
from dagent.engine.canvas import build_canvas, slot_init
from dagent.engine.skeleton import Skeleton
from dagent.ops.syntax import replace_draft
from dagent.sandbox.results import TestOutcome, TestRun
from dagent.sandbox.worktree import Sandbox
from helpers import repos as sandbox_testing
from helpers.engine import tiny_tokenizer
from helpers.repos import fingerprint, worktree_paths

BUGGY = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "tally/__init__.py": "",
    "tally/counts.py": """
        def count_words(text):
            counts = {}
            for word in text.lower().split():
                counts[word] = counts.get(word, 0) + 1
                counts[word] = counts.get(word, 0) + 1
            return counts


        def total(counts):
            return sum(counts.values())
        """,
    "tests/test_counts.py": """
        from tally.counts import count_words, total

        def test_counts_each_word_once():
            assert count_words("a b a") == {"a": 2, "b": 1}

        def test_total():
            assert total({"a": 2}) == 2
        """,
}
DUPLICATE = "        counts[word] = counts.get(word, 0) + 1\n"


def make_repo(path: Path, files: dict[str, str]) -> Path:
    sandbox_testing.make_repo(path, {name: textwrap.dedent(text).lstrip("\n") for name, text in files.items()})
    return path


@pytest.fixture
def tiny_model(tiny_model_factory: Callable[[int, int], Path]) -> Path:
    return tiny_model_factory(64, 3)


def _run(sandbox: Sandbox) -> Run:
    return Run(sandbox, Budget(test_timeout_s=60), [], time.perf_counter())


def test_validate_gives_each_verdict(tmp_path: Path) -> None:
    make_repo(tmp_path, BUGGY)
    failing, passed = ["tests/test_counts.py::test_counts_each_word_once"], {"tests/test_counts.py::test_total"}
    delete = f"@@delete tally/counts.py:5\n{DUPLICATE}@@end\n"
    cases = {
        "invalid": "@@replace tally/counts.py\nno end\n",
        "apply_error": "@@delete tally/counts.py\n    nothing like this\n@@end\n",
        "compile_error": "@@replace tally/counts.py:8\ndef total(counts):\n@@with\ndef total(counts)\n@@end\n",
        "still_failing": "@@replace tally/counts.py:9\n    return sum(counts.values())\n@@with\n    return sum(counts.values()) + 0\n@@end\n",
        "regression": "@@replace tally/counts.py:9\n    return sum(counts.values())\n@@with\n    return 0\n@@end\n" + delete,
        "passes": delete,
    }
    with Sandbox(tmp_path) as sandbox:
        run = _run(sandbox)
        for expected, text in cases.items():
            proposal = Proposal("model", text)
            assert (proposal.invalid is not None) == (expected == "invalid"), expected
            verdict = "invalid" if proposal.invalid else validate(run, proposal.ops, failing, passed).name
            assert verdict == expected, expected
        assert validate(run, [], failing, passed).name == "invalid"  # an empty stream changes nothing


def test_rank_keeps_target_order_and_drops_noops_and_duplicates() -> None:
    same = "@@replace a.py:1\nx = 1\n@@with\nx = 1\n@@end\n"
    good = "@@replace a.py:1\nx = 1\n@@with\nx = 2\n@@end\n"
    ranked = rank_proposals([
        Proposal("delete", "@@delete a.py:1\nx = 1\n@@end\n", None, 0),
        Proposal("model", good, -2.0, 0),
        Proposal("model", good, -1.0, 0),
        Proposal("model", same, -0.1, 0),
        Proposal("model", "@@replace b.py:1\ny\n@@with\nz\n@@end\n", -0.1, 1),
    ])
    assert [p.text for p in ranked] == [good, "@@delete a.py:1\nx = 1\n@@end\n", "@@replace b.py:1\ny\n@@with\nz\n@@end\n"]
    assert ranked[0].score == -1.0


def test_replace_draft_starts_the_slot_from_the_old_line() -> None:
    tokenizer = tiny_tokenizer()
    head = "@@replace a.py:3\n    return x\n@@with\n"
    assert replace_draft(head) == "    return x\n@@end\n"
    assert replace_draft("@@insert_after a.py:3\n    return x\n@@with\n") is None
    canvas = build_canvas(tokenizer, [Skeleton.replace_line(head)], 48)
    init = slot_init(canvas, [replace_draft(head)])
    pinned = int(canvas.pinned[0].sum())
    assert (init[0, :pinned] == -1).all()
    drafted = [i for i in init[0, pinned:].tolist() if i != canvas.pad_id]
    assert tokenizer.decode(drafted) == "    return x\n@@end\n"


@pytest.mark.slow
def test_run_fix_lands_a_fix_and_leaves_the_tree_alone(tmp_path: Path, tiny_model: Path) -> None:
    make_repo(tmp_path, BUGGY)
    before = fingerprint(tmp_path)
    proposer = Proposer(str(tiny_model), k=1)
    report = run_fix(tmp_path, budget=Budget(max_rounds=1, k=1, max_targets=3, test_timeout_s=60), proposer=proposer)
    assert report.fixed, report.status
    assert report.failing_before == ["tests/test_counts.py::test_counts_each_word_once"]
    assert "-" + DUPLICATE in report.diff or "+ 0" in report.diff, report.diff
    # a grammar edit is the fix: the model is never asked to write a line
    winner = [a for a in report.attempts if a.verdict == "passes"][0]  # two lanes: one may finish after it
    assert winner.source.startswith("grammar:")
    assert report.timings.forwards == 0 and proposer.stats.encoder_calls == 0 and report.timings.test_s > 0
    assert fingerprint(tmp_path) == before
    apply_to_tree(report)
    assert (tmp_path / "tally/counts.py").read_text().count(DUPLICATE) == 1


@pytest.mark.slow
def test_run_fix_stops_at_the_time_budget(tmp_path: Path, tiny_model: Path) -> None:
    make_repo(tmp_path, BUGGY)
    report = run_fix(tmp_path, budget=Budget(max_rounds=3, k=1, time_s=0.0, test_timeout_s=60),
                     proposer=Proposer(str(tiny_model), k=1))
    assert not report.fixed and "time budget" in report.status


@pytest.mark.slow
def test_run_edit_structural_rename(tmp_path: Path) -> None:
    make_repo(tmp_path, {**BUGGY, "tally/counts.py": "def total(counts):\n    return sum(counts.values())\n",
                         "tests/test_counts.py": "from tally.counts import total\n\ndef test_total():\n    assert total({'a': 2}) == 2\n"})
    report = run_edit("rename total to grand_total", tmp_path / "tally/counts.py", find_project(tmp_path / "tally"))
    assert report.fixed, report.status
    assert report.attempts[0].source == "structural"
    assert "+def grand_total(counts):" in report.diff and "+from tally.counts import grand_total" in report.diff


TWO_BUGS = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "shop/__init__.py": "",
    "shop/pricing.py": """
        def discounted(cents, percent):
            return round(cents * (1 + percent / 100))
        """,
    "shop/cart.py": """
        from shop.pricing import discounted


        def total(lines):
            return sum(unit for unit, quantity in lines)


        def checkout(lines, percent):
            return discounted(total(lines), percent)
        """,
    "tests/test_shop.py": """
        from shop.cart import checkout, total
        from shop.pricing import discounted

        def test_discount():
            assert discounted(1000, 10) == 900

        def test_total_counts_quantities():
            assert total([(250, 2), (100, 1)]) == 600

        def test_empty_cart():
            assert total([]) == 0
        """,
}


@pytest.mark.slow
@pytest.mark.parametrize("lanes", [1, 2])
def test_run_fix_builds_a_two_file_fix_from_a_partial_one(tmp_path: Path, lanes: int) -> None:
    make_repo(tmp_path, TWO_BUGS)
    before = fingerprint(tmp_path)
    report = run_fix(tmp_path, budget=Budget(time_s=300, model_rewrites=False, lanes=lanes))
    assert report.fixed, report.status
    assert report.lanes == lanes and report.test_runner == "worker"
    assert report.rounds == 2 and "partial" in [a.verdict for a in report.attempts]
    assert "+    return round(cents * (1 - percent / 100))" in report.diff
    assert "+    return sum(unit * quantity for unit, quantity in lines)" in report.diff
    # every lane's sandbox is gone, and the user's tree, index and refs are as they were
    assert fingerprint(tmp_path) == before and worktree_paths(tmp_path) == [str(tmp_path)]


@pytest.mark.slow
def test_run_fix_falls_back_to_the_model_when_the_grammar_has_nothing(tmp_path: Path, tiny_model: Path) -> None:
    make_repo(tmp_path, {**BUGGY, "tally/counts.py": "def count_words(text):\n    return None\n\n\ndef total(counts):\n    return sum(counts.values())\n"})
    report = run_fix(tmp_path, budget=Budget(max_rounds=1, k=1, max_targets=1, time_s=120, test_timeout_s=60),
                     proposer=Proposer(str(tiny_model), k=1))
    sources = {a.source.split(":")[0] for a in report.attempts}
    assert "grammar" in sources and "model" in sources, sources


SHOP = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "shop/__init__.py": "",
    "shop/price.py": """
        def discount(cents, percent):
            if percent > 100:
                raise ValueError("percent")
            return cents + cents * percent // 100


        def tax(cents):
            return cents * 2 // 10
        """,
    "tests/test_discount.py": """
        import pytest
        from shop.price import discount

        def test_discount_half():
            assert discount(200, 50) == 100

        def test_discount_zero():
            assert discount(200, 0) == 200

        def test_discount_rejects_over_100():
            with pytest.raises(ValueError):
                discount(200, 101)
        """,
    "tests/test_tax.py": "from shop.price import tax\n\n" + "".join(
        f"def test_tax_{n}():\n    assert tax({n * 10}) == {n * 2}\n\n" for n in range(1, 7)),
}


@pytest.mark.slow
def test_a_candidate_runs_the_tests_that_cover_its_edit_before_the_suite(tmp_path: Path,
                                                                         test_runs: list[list[str] | None]) -> None:
    make_repo(tmp_path, SHOP)
    calls = test_runs
    # one lane: the calls of one candidate, in order (two lanes interleave two candidates')
    report = run_fix(tmp_path, budget=Budget(time_s=120, model_rewrites=False, lanes=1))
    assert report.fixed and "+    return cents - cents * percent // 100" in report.diff, report.status
    covering = ["tests/test_discount.py::test_discount_rejects_over_100", "tests/test_discount.py::test_discount_zero"]
    assert covering in calls  # the discount tests that passed, not the tax tests
    assert calls.index(covering) < len(calls) - 1 and calls[-1] is None  # ... and then the whole suite


def _outcomes(**by_id: str) -> TestRun:
    return TestRun([TestOutcome(test_id, outcome) for test_id, outcome in by_id.items()], 0, False, 0.0, "")  # type: ignore[arg-type]


def test_disagreements_compare_pass_or_fail_of_the_sampled_tests_only() -> None:
    baseline = _outcomes(a="passed", b="failed", c="error", d="skipped", e="passed")
    same = _outcomes(a="passed", b="error", c="failed", d="passed")
    assert disagreements(baseline, same, ["a", "b", "c", "d"]) == []  # failed/error alike; skips not compared
    assert disagreements(baseline, _outcomes(a="failed", b="passed"), ["a", "b"]) == ["a", "b"]
    assert disagreements(baseline, _outcomes(a="passed"), ["a", "e"]) == ["e"]  # missing from the check


@pytest.mark.slow
def test_isolated_tests_run_every_candidate_in_a_fresh_interpreter(tmp_path: Path) -> None:
    make_repo(tmp_path, BUGGY)
    report = run_fix(tmp_path, budget=Budget(time_s=120, model_rewrites=False, isolated_tests=True))
    assert report.fixed and report.test_runner == "subprocess" and report.lanes == 1, report.status
    warm = run_fix(tmp_path, budget=Budget(time_s=120, model_rewrites=False))
    assert warm.fixed and warm.test_runner == "worker" and warm.diff == report.diff


def test_each_passing_test_gets_its_own_limit_and_failing_ones_the_run_wide_one() -> None:
    baseline = TestRun([TestOutcome("fast", "passed", duration_s=0.01), TestOutcome("slow", "passed", duration_s=1.0),
                        TestOutcome("huge", "passed", duration_s=30.0), TestOutcome("bad", "failed", duration_s=0.01)],
                       0, False, 1.0, "")
    assert call_timeouts(baseline, Budget(per_test_timeout_s=12.0)) == {"fast": 1.0, "slow": 5.5, "huge": 12.0}


def test_an_instructions_free_streams_start_at_a_line_the_model_sees(tiny_model: Path) -> None:
    from dagent.engine.context import ContextBlock, Snippet, render_context, snippets_of
    from dagent.engine.stream_starts import stream_starts

    shown = Snippet("tally/counts.py", 3, "def total(counts):\n    return sum(counts) + 1\n")
    body = "".join(f"    step_{i} = compute_step(counts, {i})\n" for i in range(60))
    long = Snippet("tally/far.py", 1, "def later(counts):\n" + body)  # runs past the model's context window
    proposer = Proposer(str(tiny_model), k=3)
    context = ContextBlock(task="edit", instruction="stop adding one", snippets=[shown, long])
    seen = stream_starts(snippets_of(proposer.engine.visible(render_context(context))))
    assert "@@delete tally/far.py:61\n" not in "".join(seen)  # its last line is out of the model's sight
    assert "@@delete tally/far.py:61\n" in "".join(stream_starts([shown, long]))
    proposals = proposer.for_instruction(context, seed=0)
    assert len(proposals) == 3
    for proposal in proposals:  # a random model: what it writes after the start is its own
        assert any(proposal.text.startswith(start) for start in seen), proposal.text


def test_a_free_form_model_edit_must_make_a_failing_test_pass() -> None:
    from dagent.agent.loop import demand_progress
    from dagent.agent.run import Check

    delete = "@@delete m.py:1\nfrom __future__ import annotations\n@@end\n"
    model, structural = Proposal("model", delete), Proposal("structural", "@@static m.py A.f\n")
    unmoved = Check("passes", "1 failed", ["tests/test_m.py::test_a"])
    fixed = Check("passes", "all passed", [])
    failing = ["tests/test_m.py::test_a"]
    assert demand_progress(unmoved, model, failing).name == "still_failing"  # broke nothing, fixed nothing
    assert demand_progress(fixed, model, failing).name == "passes"
    assert demand_progress(unmoved, structural, failing).name == "passes"  # the instruction itself, as an op
    assert demand_progress(unmoved, model, []).name == "passes"  # nothing to ask: the status says so
    assert demand_progress(Check("regression", "broke 1"), model, failing).name == "regression"
