"""`dagent bench engine`: decoding methods side by side on one checkpoint, the same examples, one run,
interleaved example by example (each method warmed up first), so a slow moment of the machine falls on
every method alike.

Methods:
- `dagent-entropy`, `dagent-confidence`: dagent's sampler on the skeleton the planner would pin
  (`Skeleton.for_prefix`: e.g. `Pinned("@@replace path:LINE\n<old>\n@@with\n") + Slot(BODY, closes "@@end")`).
  `dagent-entropy` checks each finished canvas in one more forward (included in its forwards and time).
  `dagent-confidence` is the rule `dagent` samples with, run as it runs it: no check forward
  (engine/sampler.py DAGENT_REVISE), threshold PINNED_CONFIDENCE where the op is pinned, and on a free
  canvas (nothing pinned) CONFIDENCE, accepting only within `free_window` columns of a row's first
  undecided position (FREE_WINDOW);
- `hf-generate`: transformers' own `model.generate()` (DiffusionGemma checkpoints only). It cannot hold a
  skeleton, so it gets the context + pinned prefix as its prompt and writes one canvas after it;
- `one-per-forward`: dagent's sampler deciding exactly one position per forward, the most confident (the
  AR-like baseline; no check forward: each token was decided seeing every token decided before it);
- `left-to-right`: the same, deciding each row's first undecided position, as an autoregressive decoder
  does: the stronger baseline. It stops at a slot's `@@end`, while most-confident-first spends forwards
  deciding the canvas's trailing pads one at a time. On free canvases both baselines also get the forced
  writes of the stream starts (a start's rest once it is the only one left, its draft once settled)
  without a forward, as a constrained decoder's jump-forward would: generous to them.

Figures: tokens/s (non-pad tokens written, over all k candidates, per second of wall time, context
encoding included), forwards per token (decoder forwards / tokens written), valid-op rate (share of
outputs whose canvas text parses with `ops.syntax.parse` and changes something: a replace of a line by
itself parses, and `dagent` drops it unvalidated) and, where the examples carry a target,
exact-match rate of the top-ranked output.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import torch

from dagent.agent.bench.score import bench_scoring
from dagent.engine.canvas import Canvas, drafted_canvas
from dagent.engine.context import snippets_of
from dagent.engine.denoiser import Denoiser, describe, model_dtype
from dagent.engine.engine import Engine
from dagent.engine.flops import count_flops, matmul_rate
from dagent.engine.sampler import (
    CONFIDENCE,
    DAGENT_REVISE,
    ENTROPY_BOUND,
    FREE_WINDOW,
    PINNED_CONFIDENCE,
    REVISE,
    Candidate,
    one_token_per_forward,
    sample,
)
from dagent.engine.skeleton import Skeleton, op_kind
from dagent.engine.tokenizer import decode
from dagent.errors import DagentError
from dagent.ops.model import changes_nothing
from dagent.ops.syntax import OpParseError, parse, replace_draft

METHODS = ("dagent-entropy", "dagent-confidence", "hf-generate", "one-per-forward", "left-to-right")
SHOWN_SAMPLES = 3


class BenchExample(Protocol):
    context: str
    pinned_prefix: str
    target: str


@dataclass(frozen=True)
class JsonExample:
    """An example read from a JSONL file (keys: context, pinned_prefix, target)."""

    context: str
    pinned_prefix: str
    target: str = ""


@dataclass
class Output:
    text: str
    written: int


@dataclass
class MethodResult:
    method: str
    outputs: int = 0
    tokens: int = 0
    forwards: int = 0
    seconds: float = 0.0
    valid: int = 0
    exact: int = 0
    with_target: int = 0
    samples: list[dict[str, str]] = field(default_factory=list)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)  # op kind -> outputs, valid, tokens, seconds
    forward_s: float = 0.0  # time inside the decoder forwards (dagent's methods; 0: not measured)
    floor_s: float = 0.0  # those forwards' FLOPs at the machine's matmul rate

    def figures(self) -> dict[str, float | None]:
        timed = self.forward_s > 0 and self.floor_s > 0
        return {
            "tokens_per_s": self.tokens / self.seconds if self.seconds else None,
            # what a caller gets: a method that writes longer outputs earns more tok/s, not more edits
            "valid_per_s": self.valid / self.seconds if self.seconds else None,
            "forwards_per_token": self.forwards / self.tokens if self.tokens else None,
            "valid_op_rate": self.valid / self.outputs if self.outputs else None,
            "exact_match_rate": self.exact / self.with_target if self.with_target else None,
            "ms_per_forward": 1e3 * self.forward_s / self.forwards if timed and self.forwards else None,
            "forward_over_floor": self.forward_s / self.floor_s if timed else None,
            "call_over_floor": self.seconds / self.floor_s if timed else None,
        }


@dataclass
class BenchSettings:
    k: int = 1
    steps: int = 48
    seed: int = 0
    max_context: int = 768
    drafts: bool = True  # replaces start from the old line, as in `dagent fix` (both dagent methods)
    fixed_canvas: bool = False  # True: never grow the canvas past the trained length
    confidence: float = PINNED_CONFIDENCE  # the confidence rule's threshold (rows with their op pinned)
    free_confidence: float = CONFIDENCE  # ... and on free rows, as `dagent` runs it
    entropy_bound: float = ENTROPY_BOUND  # the entropy rule's bound
    free_window: int | None = FREE_WINDOW  # the confidence rule's window on free canvases (None: none)
    revise: float = DAGENT_REVISE  # the confidence rule's check forward (0: none, as `dagent` runs it)


def valid_edit(text: str) -> bool:
    """The text parses as an op stream of at least one op (an empty one is a rejected proposal in
    `dagent`, agent/proposer.py), and the stream changes something."""
    try:
        ops = parse(text)
    except OpParseError:
        return False
    return bool(ops) and not changes_nothing(ops)


def same_text(output: str, target: str) -> bool:
    """Exact match up to trailing whitespace (the closing newline after @@end is optional)."""
    return output.rstrip() == target.rstrip()


# ---------------------------------------------------------------- the methods


@dataclass
class PreparedExample:
    """An example ready to sample, built before any clock starts: every method gets the same one."""

    context: torch.LongTensor
    canvas: Canvas
    init: torch.LongTensor | None  # the replace draft (the old line), as `dagent fix` starts a replace
    target: str
    kind: str  # what the skeleton pins: an op marker, or "free"


Method = Callable[[Denoiser, Any, PreparedExample, BenchSettings], tuple[list[Output], int]]


def _dagent(rule: str) -> Method:
    def run(denoiser: Denoiser, tokenizer: Any, ex: PreparedExample, s: BenchSettings) -> tuple[list[Output], int]:
        before = denoiser.decoder_calls
        prefix = denoiser.encode(ex.context)
        init = ex.init if s.drafts else None
        if rule in ("one", "first"):
            found = one_token_per_forward(denoiser, prefix, ex.canvas, k=s.k, seed=s.seed, init=init,
                                          left_to_right=rule == "first")
        else:
            product = rule == "confidence"  # the product's rule, as `dagent` runs it
            found = sample(denoiser, prefix, ex.canvas, k=s.k, steps=s.steps, rule=rule, seed=s.seed,  # type: ignore[arg-type]
                           confidence=s.confidence, free_confidence=s.free_confidence, entropy_bound=s.entropy_bound,
                           init=init, free_window=s.free_window if product else None,
                           revise=s.revise if product else REVISE)
        return [_output(c) for c in found], denoiser.decoder_calls - before

    return run


def _output(candidate: Candidate) -> Output:
    return Output(text=candidate.text, written=candidate.written)


def _hf_generate(denoiser: Denoiser, tokenizer: Any, ex: PreparedExample, s: BenchSettings) -> tuple[list[Output], int]:
    """transformers' generate on the prompt `context + pinned prefix`, one canvas (of the example's
    length), k rows."""
    model = denoiser.model  # type: ignore[attr-defined]
    context, canvas = ex.context, ex.canvas
    free = (~canvas.pinned[0]).nonzero()
    pinned = canvas.ids[0, : int(free[0]) if len(free) else canvas.ids.shape[1]]  # the skeleton's pinned prefix
    prompt = torch.cat([context, pinned.unsqueeze(0)], dim=1).to(denoiser.device)
    counter = _CallCounter(model.model.decoder)
    torch.manual_seed(s.seed)
    try:
        out = model.generate(
            input_ids=prompt.expand(s.k, -1), max_new_tokens=canvas.shape[1], max_denoising_steps=s.steps,
            pad_token_id=denoiser.pad_id, eos_token_id=tokenizer.eos_token_id,
        )
    finally:
        counter.remove()
    prefix_text = tokenizer.decode(pinned.tolist(), skip_special_tokens=False, clean_up_tokenization_spaces=False)
    outputs = [_generated(tokenizer, row[prompt.shape[1]:].tolist(), denoiser.pad_id, prefix_text) for row in out.sequences]
    return outputs, counter.calls


def _generated(tokenizer: Any, ids: list[int], pad: int, prefix_text: str) -> Output:
    eos = tokenizer.eos_token_id
    kept = ids[: ids.index(eos)] if eos in ids else ids
    kept = [i for i in kept if i != pad]
    text = tokenizer.decode(kept, skip_special_tokens=False, clean_up_tokenization_spaces=False)
    return Output(text=prefix_text + text, written=len(kept))


class _CallCounter:
    def __init__(self, module: torch.nn.Module) -> None:
        self.calls = 0
        self.handle = module.register_forward_hook(self._hook)

    def _hook(self, *_: object) -> None:
        self.calls += 1

    def remove(self) -> None:
        self.handle.remove()


def methods_for(denoiser: Denoiser) -> dict[str, Method]:
    """All five where transformers' generate applies (DiffusionGemma), else the four of dagent's."""
    chosen: dict[str, Method] = {"dagent-entropy": _dagent("entropy"), "dagent-confidence": _dagent("confidence")}
    if hasattr(getattr(denoiser, "model", None), "generate") and denoiser.mask_id is None:
        chosen["hf-generate"] = _hf_generate
    chosen["one-per-forward"] = _dagent("one")
    chosen["left-to-right"] = _dagent("first")
    return chosen


# ---------------------------------------------------------------- the forward against its floor


class ForwardClock:
    """Times every decoder forward of a denoiser and prices it at the FLOP floor: the FLOPs of a
    forward of that shape (counted once per shape, on an untimed forward) at `rate` FLOP/s."""

    def __init__(self, denoiser: Denoiser, rate: float) -> None:
        self.denoiser, self.rate = denoiser, rate
        self.calls: list[tuple[tuple[int, int, int, bool], float]] = []
        self._flops: dict[tuple[int, int, int, bool], int] = {}
        self._prefixes: dict[tuple[int, int, int, bool], Any] = {}  # one prefix of each shape, to price it
        self._inner = denoiser.denoise

    def __enter__(self) -> ForwardClock:
        def timed(prefix: Any, canvas: torch.LongTensor, self_cond: torch.Tensor | None) -> Any:
            began = time.perf_counter()
            out = self._inner(prefix, canvas, self_cond)
            key = (*canvas.shape, prefix.length, self_cond is not None)
            self.calls.append((key, time.perf_counter() - began))  # type: ignore[arg-type]
            self._prefixes.setdefault(key, prefix)  # type: ignore[arg-type]
            return out

        self.denoiser.denoise = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        del self.denoiser.denoise  # the class's method again

    def take(self) -> tuple[float, float]:
        """(seconds inside forwards, their floor in seconds) since the last take."""
        seconds = sum(s for _, s in self.calls)
        floor = sum(self._floor(key) for key, _ in self.calls)
        self.calls = []
        return seconds, floor

    def _floor(self, key: tuple[int, int, int, bool]) -> float:
        if key not in self._flops:
            prefix = self._prefixes[key]  # the cost depends on the prefix's length, not its content
            batch, length, _, conditioned = key
            canvas = torch.zeros(batch, length, dtype=torch.long)
            cond = torch.zeros(batch, length, self.denoiser.vocab_size) if conditioned else None
            self._flops[key] = count_flops(lambda: self._inner(prefix, canvas, cond))
            self.denoiser.decoder_calls -= 1  # the pricing forward is not the method's
        return self._flops[key] / self.rate


# ---------------------------------------------------------------- the run


def prepare_examples(denoiser: Denoiser, tokenizer: Any, examples: Iterable[BenchExample],
                     s: BenchSettings) -> tuple[list[PreparedExample], int]:
    """Token ids, canvases and drafts, built before any clock starts, as `dagent fix` builds them (the
    canvas grows to fit a long line's draft) and `dagent edit` anchors a free canvas (at the snippets
    the model sees); examples whose pinned prefix does not fit even a grown canvas are skipped (and
    counted)."""
    prepared, skipped = [], 0
    for ex in examples:
        ids = tokenizer.encode(ex.context, add_special_tokens=False)[: s.max_context] or [denoiser.pad_id]
        seen = snippets_of(decode(tokenizer, ids))  # what the model sees of the context: its first ids
        try:
            canvas, init = drafted_canvas(tokenizer, [Skeleton.for_prefix(ex.pinned_prefix, seen)],
                                          [replace_draft(ex.pinned_prefix)], denoiser.canvas_length, denoiser.vocab_size,
                                          max_length=denoiser.canvas_length if s.fixed_canvas else None)
        except ValueError:
            skipped += 1
            continue
        prepared.append(PreparedExample(torch.tensor([ids], dtype=torch.long), canvas, init, getattr(ex, "target", "") or "",
                                  op_kind(ex.pinned_prefix)))
    if not prepared:
        raise DagentError(f"no examples to benchmark ({skipped} skipped: pinned prefix longer than the canvas)")
    return prepared, skipped


def run_bench(denoiser: Denoiser, tokenizer: Any, examples: Iterable[BenchExample], settings: BenchSettings | None = None,
              model_name: str = "", only: Iterable[str] | None = None) -> dict[str, Any]:
    """Every method (or those named in `only`) on every example; returns the report (also what `--json` writes)."""
    s = settings or BenchSettings()
    prepared, skipped = prepare_examples(denoiser, tokenizer, examples, s)
    rate = machine_rate(denoiser)
    results: dict[str, MethodResult] = {}
    wanted = None if only is None else set(only)
    chosen = {name: method for name, method in methods_for(denoiser).items() if wanted is None or name in wanted}
    with ForwardClock(denoiser, rate) as clock:
        for name, method in chosen.items():
            method(denoiser, tokenizer, prepared[0], s)  # warm-up, not timed
            clock.take()
            results[name] = MethodResult(method=name)
        # Example by example, every method in turn: this machine's speed drifts by 20-30% over minutes, and
        # methods run one after another would each meet a different moment; interleaved, they share it.
        for ex in prepared:
            for name, method in chosen.items():
                _measure(results[name], method, denoiser, tokenizer, ex, s, clock)
    # The machine's rate is its best moment: one short probe can land in a slow one (103 against 200 GFLOP/s
    # seen on this machine), which would make every floor look closer. Probe again at the end, keep the best.
    measured = [rate, machine_rate(denoiser)]
    for result in results.values():
        result.floor_s *= rate / max(measured)
    rate = max(measured)
    return {
        "model": model_name,
        "denoiser": describe(denoiser),
        "settings": asdict(s),
        "examples": len(prepared),
        "skipped": skipped,
        "grown": sum(ex.canvas.shape[1] > denoiser.canvas_length for ex in prepared),
        "methods": {name: {**r.figures(), **asdict(r)} for name, r in results.items()},
        "by_canvas": {name: by_canvas(r) for name, r in results.items()},
        "matmul_gflops": rate / 1e9,
        "matmul_gflops_probes": [r / 1e9 for r in measured],  # at the start and at the end of the run
        "threads": torch.get_num_threads(),
    }


def by_canvas(result: MethodResult) -> dict[str, dict[str, float | None]]:
    """Tokens/s and valid rate on pinned canvases (an op's head pinned, what `dagent fix` and `dagent edit`
    sample) and on free ones (no op pinned: the whole stream the model's own), apart."""
    groups: dict[str, dict[str, float]] = {}
    for kind, tally in result.by_kind.items():
        group = groups.setdefault("free" if kind == "free" else "pinned", _empty_tally())
        for key in group:
            group[key] += tally[key]
    return {name: {"outputs": g["outputs"], "tokens_per_s": g["tokens"] / g["seconds"] if g["seconds"] else None,
                   "valid_op_rate": g["valid"] / g["outputs"] if g["outputs"] else None} for name, g in groups.items()}


def machine_rate(denoiser: Denoiser) -> float:
    """This machine's matmul FLOP/s in the model's dtype, on torch's threads, measured now."""
    return matmul_rate(model_dtype(denoiser))


def _measure(result: MethodResult, method: Method, denoiser: Denoiser, tokenizer: Any, ex: PreparedExample,
             s: BenchSettings, clock: ForwardClock) -> None:
    start = time.perf_counter()
    outputs, forwards = method(denoiser, tokenizer, ex, s)
    elapsed = time.perf_counter() - start
    result.seconds += elapsed
    result.forwards += forwards
    inside, floor = clock.take()  # prices new shapes after the clock stopped
    result.forward_s += inside
    result.floor_s += floor
    _score(result, outputs, ex.target, ex.kind)
    result.by_kind[ex.kind]["seconds"] += elapsed


def _empty_tally() -> dict[str, float]:
    return {"outputs": 0, "valid": 0, "tokens": 0, "seconds": 0.0}


def _score(result: MethodResult, outputs: list[Output], target: str, kind: str) -> None:
    tally = result.by_kind.setdefault(kind, _empty_tally())
    for out in outputs:
        valid = valid_edit(out.text)
        result.outputs += 1
        result.tokens += out.written
        result.valid += valid
        tally["outputs"] += 1
        tally["valid"] += valid
        tally["tokens"] += out.written
    if target:
        result.with_target += 1
        result.exact += same_text(outputs[0].text, target)
    if len(result.samples) < SHOWN_SAMPLES:
        result.samples.append({"output": outputs[0].text, "target": target})


# ---------------------------------------------------------------- output


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def _pass_rates(scoring: dict[str, Any]) -> str:
    return ", ".join(f"{scoring['candidates'] / s:.0f}" for s in scoring["round_seconds"] if s > 0)


def print_report(report: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    d = report["denoiser"]
    skipped = f", {report['skipped']} skipped" if report["skipped"] else ""
    grown = f", grown for {report['grown']}" if report.get("grown") else ""
    table = Table(title=f"engine bench: {report['model'] or d['backend']} ({report['examples']} examples{skipped}, "
                        f"k={report['settings']['k']}, canvas {d['canvas_length']}{grown})")
    for column in ("method", "tok/s", "valid/s", "fwd/tok", "valid", "exact", "fwds", "tokens", "secs"):
        table.add_column(column, justify="left" if column == "method" else "right", no_wrap=True)
    for name, m in report["methods"].items():
        table.add_row(
            name, _fmt(m["tokens_per_s"], "{:.1f}"), _fmt(m.get("valid_per_s"), "{:.1f}"), _fmt(m["forwards_per_token"], "{:.2f}"),
            _fmt(m["valid_op_rate"], "{:.0%}"), _fmt(m["exact_match_rate"], "{:.0%}"),
            str(m["forwards"]), str(m["tokens"]), f"{m['seconds']:.1f}",
        )
    console.print(table)
    console.print(_floor_table(report))
    console.print(_kinds_table(report))
    if report.get("by_canvas"):
        console.print(_canvas_table(report))
    scoring = report.get("scoring")
    if scoring and scoring["candidates"]:
        console.print(f"scoring: {scoring['candidates']} grammar candidates at the bug lines of {scoring['examples']} "
                      f"examples, {scoring['candidates_per_s']:.0f} candidates/s (median of {len(scoring['round_seconds'])} "
                      f"passes: {_pass_rates(scoring)}), {scoring['over_floor']:.2f}x its FLOP floor (matmuls in "
                      f"{scoring['precision']}, priced at {max(scoring['matmul_gflops_probes']):.0f} GFLOP/s); the bug line inside "
                      f"the model's context for {scoring['line_in_context']}/{scoring['examples']}")
    console.print("tok/s: non-pad tokens written per second (all k candidates, context encoding included); "
                  "valid/s: valid outputs per second; fwd/tok: decoder forwards per token; valid: outputs that parse as op streams and change something; "
                  "exact: top output equals the target; fwd/floor: time inside the decoder forwards over their "
                  f"matmul FLOPs at this machine's measured rate ({report['matmul_gflops']:.0f} GFLOP/s on "
                  f"{report['threads']} thread(s)); call/floor: the whole sampling call (sampler work, context "
                  "encoding) over the same floor", style="dim")


def _floor_table(report: dict[str, Any]) -> Any:
    """Each method's decoder forwards, and its whole calls, against the FLOP floor of those forwards."""
    from rich.table import Table

    table = Table(title=f"against the FLOP floor ({report['matmul_gflops']:.0f} GFLOP/s matmul, {report['threads']} thread(s))")
    for column in ("method", "ms/fwd", "fwd/floor", "call/floor"):
        table.add_column(column, justify="left" if column == "method" else "right", no_wrap=True)
    for name, m in report["methods"].items():
        table.add_row(name, _fmt(m.get("ms_per_forward"), "{:.1f}"), _fmt(m.get("forward_over_floor"), "{:.2f}x"),
                      _fmt(m.get("call_over_floor"), "{:.2f}x"))
    return table


def _canvas_table(report: dict[str, Any]) -> Any:
    """Each method's tokens/s and valid rate on pinned and on free canvases, apart."""
    from rich.table import Table

    table = Table(title="pinned canvases (what dagent fix and edit sample) and free ones (no op pinned)")
    groups = [g for g in ("pinned", "free") if any(g in m for m in report["by_canvas"].values())]
    table.add_column("method")
    for group in groups:
        table.add_column(f"{group} n", justify="right")
        table.add_column(f"{group} tok/s", justify="right")
        table.add_column(f"{group} valid", justify="right")
    for name, canvases in report["by_canvas"].items():
        cells = []
        for group in groups:
            g = canvases.get(group, {"outputs": 0, "tokens_per_s": None, "valid_op_rate": None})
            cells += [str(g["outputs"]), _fmt(g["tokens_per_s"], "{:.1f}"), _fmt(g["valid_op_rate"], "{:.0%}")]
        table.add_row(name, *cells)
    return table


def _kinds_table(report: dict[str, Any]) -> Any:
    """Valid outputs per op kind of the pinned skeleton (rows), per method (columns)."""
    from rich.table import Table

    methods = report["methods"]
    kinds = sorted({kind for m in methods.values() for kind in m["by_kind"]})
    table = Table(title="valid edits (parse, change something) by what the skeleton pins")
    table.add_column("pinned op")
    for name in methods:
        table.add_column(name, justify="right")
    for kind in kinds:
        cells = [m["by_kind"].get(kind, {"valid": 0, "outputs": 0}) for m in methods.values()]
        table.add_row(kind, *(f"{c['valid']}/{c['outputs']}" for c in cells))
    return table


def load_examples(n: int, examples_file: Path | None) -> list[BenchExample]:
    """From a JSONL file, or the held-out split of dagent's own training data."""
    if examples_file is not None:
        rows = [json.loads(line) for line in examples_file.read_text().splitlines() if line.strip()]
        return [JsonExample(r["context"], r["pinned_prefix"], r.get("target", "")) for r in rows[:n]]
    try:
        from dagent.engine.train.data import make_examples
    except ImportError as err:
        raise DagentError(f"dagent's training data module is not available ({err}): pass --examples-file FILE.jsonl") from err
    return list(make_examples(split="heldout", n=n, seed=0))


def bench_engine(model: str | None, n: int, settings: BenchSettings, json_out: Path | None, examples_file: Path | None,
                 device: str, dtype: str, console: Any, score_precision: str = "auto") -> dict[str, Any]:
    """The CLI command's body: load, run, print, write."""
    from transformers.utils import logging as hf_logging

    from dagent.engine.load import load_denoiser, resolve_model_dir
    from dagent.engine.prompt import context_limit

    hf_logging.disable_progress_bar()
    denoiser, tokenizer = load_denoiser(model, device=device, dtype=dtype)
    settings = replace(settings, max_context=min(settings.max_context, context_limit(resolve_model_dir(model))))
    examples = load_examples(n, examples_file)
    report = run_bench(denoiser, tokenizer, examples, settings, model_name=model or "dagent-tiny")
    engine = Engine(denoiser, tokenizer, context_limit(resolve_model_dir(model)), score_precision=score_precision)
    report["scoring"] = bench_scoring(engine, examples)
    print_report(report, console)
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=2))
    return report
