"""`dagent bench engine` (agent/bench/engine.py): end to end on a tiny random model, and its figures on a
scripted model whose outputs are known."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from dagent.agent.app.cli import app
from dagent.agent.bench.engine import METHODS, BenchSettings, run_bench, valid_edit
from dagent.engine.sampler import CONFIDENCE, DAGENT_REVISE, FREE_WINDOW, PINNED_CONFIDENCE
from helpers.engine import CANVAS, ScriptedDenoiser, tiny_denoiser, tiny_tokenizer, token_id

REPLACE = "@@replace m.py:2\n    return x - 1\n@@with\n"
LONG = "@@replace m.py:2\n    return x - one_more_argument_of_many\n@@with\n"
CONTEXT = "<|fix|>\n<|file|> m.py:1\ndef f(x):\n    return x - 1\n"


@dataclass(frozen=True)
class Example:
    context: str
    pinned_prefix: str
    target: str


EXAMPLES = [
    Example(CONTEXT, REPLACE, REPLACE + "    return x\n@@end\n"),
    Example("<|edit|> add import os to m.py\n" + CONTEXT[8:], "@@import m.py ", "@@import m.py import os\n"),
    Example(CONTEXT, "", "@@delete m.py:2\n    return x - 1\n@@end\n"),
    Example(CONTEXT, "@@replace m.py:2\n" + "    y = 1\n" * 40 + "@@with\n", ""),  # longer than any canvas
    Example(CONTEXT, LONG, LONG + "    return x + one_more_argument_of_many\n@@end\n"),  # grows the canvas
]


def test_bench_runs_end_to_end_and_prints_the_methods(tmp_path: Path) -> None:
    model_dir = tmp_path / "tiny"
    tiny_denoiser(seed=2).model.save_pretrained(model_dir)
    tiny_tokenizer().save_pretrained(model_dir)
    examples = tmp_path / "examples.jsonl"
    examples.write_text("".join(json.dumps(e.__dict__) + "\n" for e in EXAMPLES))
    out = tmp_path / "engine.json"
    args = ["bench", "engine", "--model", str(model_dir), "--examples", "5", "--k", "2", "--steps", "6",
            "--examples-file", str(examples), "--json", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for method in METHODS:
        assert method in result.output
    report = json.loads(out.read_text())
    assert report["examples"] == 4 and report["skipped"] == 1 and report["grown"] >= 1
    assert report["settings"]["free_window"] == FREE_WINDOW  # the confidence rule as dagent runs it
    assert report["settings"]["revise"] == DAGENT_REVISE
    assert (report["settings"]["confidence"], report["settings"]["free_confidence"]) == (PINNED_CONFIDENCE, CONFIDENCE)
    assert list(report["methods"]) == list(METHODS)
    for name, m in report["methods"].items():
        assert m["outputs"] == 8 and m["forwards"] > 0 and m["tokens"] > 0 and m["seconds"] > 0, name
        assert m["tokens_per_s"] > 0 and 0 <= m["valid_op_rate"] <= 1 and m["with_target"] == 4
        assert set(m["by_kind"]) == {"@@replace", "@@import", "free"}
        assert sum(k["outputs"] for k in m["by_kind"].values()) == 8
        assert sum(k["valid"] for k in m["by_kind"].values()) == m["valid"]
        assert sum(k["tokens"] for k in m["by_kind"].values()) == m["tokens"]
        assert sum(k["seconds"] for k in m["by_kind"].values()) == pytest.approx(m["seconds"])
        canvases = report["by_canvas"][name]  # the free example apart from the three pinned ones
        assert canvases["free"]["outputs"] == 2 and canvases["pinned"]["outputs"] == 6
        assert all(c["tokens_per_s"] > 0 and 0 <= c["valid_op_rate"] <= 1 for c in canvases.values())
    assert "valid edits (parse, change something) by what the skeleton pins" in result.output
    assert "pinned canvases" in result.output
    assert "fwd/floor" in result.output and report["matmul_gflops"] > 0
    for name in ("dagent-entropy", "dagent-confidence", "one-per-forward"):  # every forward timed and priced
        m = report["methods"][name]
        assert m["forward_over_floor"] > 0 and m["call_over_floor"] >= m["forward_over_floor"] > 0, name
        assert m["ms_per_forward"] > 0
    assert report["methods"]["hf-generate"]["forward_over_floor"] is None  # its forwards are transformers' own
    # at most the step budget per block; a canvas grown to twice the trained length is two blocks
    assert report["methods"]["hf-generate"]["forwards"] <= 2 * 4 * 6


@pytest.mark.parametrize(("given", "window"), [("0", None), ("3", 3)])
def test_free_window_option_sets_the_benchs_window(tmp_path: Path, monkeypatch, given: str, window: int | None) -> None:  # type: ignore[no-untyped-def]
    import dagent.agent.bench.engine as bench

    seen = []
    monkeypatch.setattr(bench, "bench_engine", lambda model, n, settings, *a, **kw: seen.append(settings))
    result = CliRunner().invoke(app, ["bench", "engine", "--free-window", given])
    assert result.exit_code == 0, result.output
    assert seen[0].free_window == window


def test_figures_on_a_model_whose_outputs_are_known() -> None:
    tok = tiny_tokenizer()
    den = ScriptedDenoiser(len(tok), CANVAS, tok.pad_token_id, token_id("@@end"))  # always closes at once
    report = run_bench(den, tok, EXAMPLES[:1], BenchSettings(k=3, steps=8))
    assert list(report["methods"]) == ["dagent-entropy", "dagent-confidence", "one-per-forward", "left-to-right"]  # no generate()
    for name, m in report["methods"].items():
        # "@@end" and its newline, written in one forward (the entropy rule then checks the canvas in one
        # more; dagent's confidence rule does not); the op parses but is not the target
        forwards = 2 if name == "dagent-entropy" else 1
        assert m["outputs"] == 3 and m["tokens"] == 6 and m["forwards"] == forwards
        assert m["forwards_per_token"] == forwards / 6
        assert m["by_kind"] == {"@@replace": {"outputs": 3, "valid": 3, "tokens": 6, "seconds": pytest.approx(m["seconds"])}}
        assert report["by_canvas"][name] == {"pinned": {"outputs": 3, "tokens_per_s": pytest.approx(m["tokens_per_s"]),
                                                        "valid_op_rate": 1.0}}
        assert m["valid_op_rate"] == 1.0 and m["exact_match_rate"] == 0.0
        assert m["valid_per_s"] == pytest.approx(3 / m["seconds"])  # three valid outputs in the method's time
        assert m["samples"][0]["output"] == REPLACE + "@@end\n"


def test_only_the_named_methods_run() -> None:
    tok = tiny_tokenizer()
    den = ScriptedDenoiser(len(tok), CANVAS, tok.pad_token_id, token_id("@@end"))
    report = run_bench(den, tok, EXAMPLES[:1], BenchSettings(k=2, steps=8), only=["one-per-forward"])
    assert list(report["methods"]) == ["one-per-forward"] and report["methods"]["one-per-forward"]["outputs"] == 2


def test_the_forward_clock_prices_each_shape_once_without_counting_the_pricing_forward() -> None:
    from dagent.agent.bench.engine import ForwardClock
    from dagent.engine.flops import count_flops
    from helpers.engine import context_ids

    den = tiny_denoiser(seed=3)
    prefix = den.encode(context_ids())
    canvas = torch.zeros(2, CANVAS, dtype=torch.long)
    with ForwardClock(den, rate=1e9) as clock:
        den.denoise(prefix, canvas, None)
        den.denoise(prefix, canvas, None)
        calls = den.decoder_calls
        seconds, floor = clock.take()
        assert den.decoder_calls == calls  # the pricing forward is not counted as the method's
    assert seconds > 0 and clock.take() == (0, 0)
    flops = count_flops(lambda: den.denoise(prefix, canvas, None))
    assert floor == 2 * flops / 1e9
    assert "denoise" not in vars(den)  # the clock is gone after the block


def test_the_scoring_figure_counts_the_grammars_candidates_at_each_bug_line() -> None:
    from dagent.agent.bench.score import bench_scoring, requests_for
    from dagent.engine.engine import Engine
    from dagent.engine.train.data import make_examples

    engine = Engine(tiny_denoiser(seed=4), tiny_tokenizer(), context_tokens=128)
    examples = [e for e in make_examples("heldout", 6, seed=2, edit_share=0.0) if "contexts" in e.meta]
    probes = iter([1e10, 2e10])  # the matmul rate before and after the passes: the best prices the floor
    report = bench_scoring(engine, [*examples, EXAMPLES[0]], rate_probe=lambda dtype: next(probes))  # a JSONL-style example is skipped
    assert report["examples"] == sum(1 for e in examples if requests_for(e))
    assert 0 < report["candidates"] <= sum(len(requests_for(e)) for e in examples)
    assert report["candidates_per_s"] > 0 and report["over_floor"] > 0 and report["forwards"] > 0
    assert 0 <= report["line_in_context"] <= report["examples"]
    rounds = report["round_seconds"]  # the median of ROUNDS timed passes is the figure
    assert len(rounds) == 3 and report["seconds"] == sorted(rounds)[1]
    assert report["matmul_gflops_probes"] == [10.0, 20.0] and report["floor_s"] == report["flops"] / 2e10 > 0
    assert report["precision"] == ("bf16" if engine.score_dtype == torch.bfloat16 else "fp32")


def test_the_floor_is_priced_at_the_best_of_the_rate_probes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dagent.agent.bench.engine as bench

    denoiser = tiny_denoiser(seed=2)
    settings = BenchSettings(k=1, steps=4)
    probes = iter([1e9, 2e9, 1e9, 1e9])  # slow at the start of the first run, not at its end
    monkeypatch.setattr(bench, "machine_rate", lambda _: next(probes))
    slow_start = run_bench(denoiser, tiny_tokenizer(), EXAMPLES[:1], settings, only=["one-per-forward"])
    steady = run_bench(denoiser, tiny_tokenizer(), EXAMPLES[:1], settings, only=["one-per-forward"])
    assert slow_start["matmul_gflops_probes"] == [1.0, 2.0] and slow_start["matmul_gflops"] == 2.0
    floor = {run["matmul_gflops"]: run["methods"]["one-per-forward"]["floor_s"] for run in (slow_start, steady)}
    assert abs(floor[2.0] * 2 - floor[1.0]) < 1e-12  # the same forwards' FLOPs at twice the rate


def test_a_valid_output_parses_and_changes_something() -> None:
    assert valid_edit("@@replace m.py:2\n    return x - 1\n@@with\n    return x + 1\n@@end\n")
    assert valid_edit("@@delete m.py:2\n    return x - 1\n@@end\n")
    assert not valid_edit("@@replace m.py:2\n    return x - 1\n@@with\n    return x - 1\n@@end\n")  # itself: no edit
    assert not valid_edit("@@replace m.py:2\n    return x - 1\n@@with\n    return x + 1\n")  # no @@end
    assert not valid_edit("") and not valid_edit("\n\n")  # an all-pad canvas: no op (dagent rejects it too)
