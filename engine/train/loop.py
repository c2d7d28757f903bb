"""`dagent train`: DiffusionGemma's recipe on dagent's repair and edit examples.

Per step: corruption level t ~ U(0.001, 1) per example; each canvas position that is not pinned
is replaced by a uniform-random token with probability t; cross-entropy over those positions;
plus an autoregressive loss on the encoder (weight 1); two-pass self-conditioning on half the
examples. AdamW with linear warm-up and cosine decay; resumable checkpoints; a rich progress bar.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import BaseModel, Field
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dagent.engine.engine import softcap
from dagent.engine.prompt import context_ids, fitted_context, write_limits
from dagent.engine.tiny import TinySize, build_tiny_model
from dagent.engine.tokenizer import encode, load_tokenizer, train_tokenizer
from dagent.engine.train.data import Example, Module, corpus_modules, iter_examples, read_source, split_modules
from dagent.engine.train.lineage import LINEAGE_FILE, inherit, lineage_of_run
from dagent.engine.train.rank import RankExample, rank_loss
from dagent.ops.syntax import replace_draft

STATE_FILE = "trainer_state.pt"
LOG_FILE = "train_log.jsonl"


class TrainConfig(BaseModel):
    out_dir: Path
    steps: int = Field(default=2000, ge=1)
    batch_size: int = Field(default=16, ge=1)
    lr: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.01
    context_length: int = 128
    canvas_length: int = 48
    vocab_size: int = 8192
    size: dict = Field(default_factory=lambda: TinySize().__dict__.copy())
    seed: int = 0
    device: str = "cpu"
    self_cond_p: float = 0.5
    free_canvas_p: float = 0.15  # share of examples with nothing pinned: the model writes the whole op
    draft_p: float = 0.5  # share of replace examples whose slot starts from the old line (the run-time draft)
    draft_noise: float = 0.5  # corruption level of drafts: t ~ U(0.001, draft_noise)
    ar_weight: float = 1.0
    save_every: int = 200
    max_minutes: float | None = None  # a wall-time budget: the schedule decays over whichever ends first
    init_from: Path | None = None  # fine-tune from this model directory (keeps its tokenizer)
    repo: Path | None = None  # train on this repository's code instead of the corpus
    threads: int | None = None
    span_p: float = 0.0  # share of examples whose corruption is one span of 1-8 tokens (infill, as scoring asks)
    rank_weight: float = 0.0  # weight of the listwise ranking loss (engine/train/rank.py); 0: off
    rank_batch: int = 8  # candidate lists per step


@dataclass
class Batch:
    context: torch.Tensor  # (B, T) left-padded so the canvas always follows the context directly
    context_mask: torch.Tensor  # (B, T)
    canvas: torch.Tensor  # (B, L) clean target
    noisable: torch.Tensor  # (B, L) bool: positions the model writes
    source: torch.Tensor  # (B, L) what gets corrupted: the target, or the old-line draft of a replace
    drafted: torch.Tensor  # (B,) bool: rows whose source is a draft
    pad_id: int = 0


Encoded = tuple[list[int], list[int], int, list[int] | None]


def encode_example(tokenizer, example: Example, context_length: int, canvas_length: int,
                   free: bool, drafted: bool = False) -> Encoded | None:
    """Context ids (the first `context_length`), canvas ids (pinned part + the rest, tokenized
    separately so the boundary is a token boundary), the pinned length, and for a drafted replace
    the draft canvas (pinned part + the old lines + `@@end`); None if it does not fit."""
    context = context_ids(tokenizer, model_context(tokenizer, example, context_length), context_length)
    pinned = encode(tokenizer, example.pinned_prefix) if example.pinned_prefix else []
    rest = encode(tokenizer, example.target[len(example.pinned_prefix):])
    canvas = pinned + rest
    if len(canvas) > canvas_length:
        return None
    text = replace_draft(example.pinned_prefix) if drafted and not free else None
    draft = (pinned + encode(tokenizer, text))[:canvas_length] if text else None
    return context, canvas, 0 if free else len(pinned), draft


def model_context(tokenizer, example: Example, context_length: int) -> str:  # type: ignore[no-untyped-def]
    """The example's context as the encoder should see it: for a repair, the widest window whose
    first `context_length` tokens still hold the bug line (as the run-time ranker fits it)."""
    contexts = example.meta.get("contexts")
    if not contexts or not example.meta.get("line_text", "").strip():
        return example.context
    return fitted_context(tokenizer, contexts, example.meta["line_text"], context_length)[0]


def pad_left(rows: list[list[int]], pad_id: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Context ids (B, length), left-padded so the canvas always follows the context directly, and their mask."""
    context = torch.full((len(rows), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for i, ids in enumerate(rows):
        context[i, length - len(ids):] = torch.tensor(ids, dtype=torch.long)
        mask[i, length - len(ids):] = 1
    return context, mask


def collate(rows: list[Encoded], pad_id: int, context_length: int, canvas_length: int) -> Batch:
    batch = len(rows)
    context, mask = pad_left([ctx for ctx, _, _, _ in rows], pad_id, context_length)
    canvas = torch.full((batch, canvas_length), pad_id, dtype=torch.long)
    noisable = torch.zeros((batch, canvas_length), dtype=torch.bool)
    drafted = torch.zeros(batch, dtype=torch.bool)
    for i, (_, cnv, pinned, _) in enumerate(rows):
        canvas[i, : len(cnv)] = torch.tensor(cnv)
        noisable[i, pinned:] = True
    source = canvas.clone()
    for i, (_, _, _, draft) in enumerate(rows):
        if draft is not None:
            source[i] = pad_id
            source[i, : len(draft)] = torch.tensor(draft)
            drafted[i] = True
    return Batch(context, mask, canvas, noisable, source, drafted, pad_id)


def batches(examples: Iterator[Example], tokenizer, config: TrainConfig, rng: random.Random) -> Iterator[Batch]:
    rows: list[tuple[list[int], list[int], int]] = []
    for example in examples:
        encoded = encode_example(tokenizer, example, config.context_length, config.canvas_length,
                                 free=rng.random() < config.free_canvas_p, drafted=rng.random() < config.draft_p)
        if encoded is None:
            continue
        rows.append(encoded)
        if len(rows) == config.batch_size:
            yield collate(rows, tokenizer.pad_token_id, config.context_length, config.canvas_length)
            rows = []


def corrupt(canvas: torch.Tensor, noisable: torch.Tensor, vocab_size: int, generator: torch.Generator,
            max_t: torch.Tensor | None = None) -> torch.Tensor:
    """Uniform-noise corruption: each writable position is replaced with probability t ~ U(0.001, max_t)
    (max_t 1 unless given per row)."""
    top = max_t.unsqueeze(1) if max_t is not None else 1.0
    t = torch.rand((canvas.shape[0], 1), generator=generator) * (top - 0.001) + 0.001
    hit = (torch.rand(canvas.shape, generator=generator) < t) & noisable
    noise = torch.randint(0, vocab_size, canvas.shape, generator=generator)
    return torch.where(hit, noise, canvas)


def span_corrupt(noisy: torch.Tensor, canvas: torch.Tensor, noisable: torch.Tensor, pad_id: int, vocab_size: int,
                 rows: torch.Tensor, generator: torch.Generator, longest: int = 8) -> torch.Tensor:
    """For `rows`: the clean canvas with one span of 1..`longest` written tokens corrupted (the infill a
    candidate's score asks for: a short changed span inside otherwise clean lines); others unchanged."""
    out = noisy.clone()
    for r in rows.nonzero().flatten().tolist():
        written = (noisable[r] & (canvas[r] != pad_id)).nonzero().flatten()
        if len(written) == 0:
            continue
        size = int(torch.randint(1, min(longest, len(written)) + 1, (1,), generator=generator))
        first = int(torch.randint(0, len(written) - size + 1, (1,), generator=generator))
        span = written[first : first + size]
        out[r] = canvas[r]
        out[r, span] = torch.randint(0, vocab_size, (size,), generator=generator)
    return out


def loss_on(model, batch: Batch, config: TrainConfig, generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
    device = next(model.parameters()).device
    context, mask = batch.context.to(device), batch.context_mask.to(device)
    canvas, noisable = batch.canvas.to(device), batch.noisable.to(device)
    max_t = torch.where(batch.drafted, config.draft_noise, 1.0)
    vocab = model.config.text_config.vocab_size
    noisy = corrupt(batch.source, batch.noisable, vocab, generator, max_t)
    if config.span_p > 0:
        spans = (torch.rand((canvas.shape[0],), generator=generator) < config.span_p) & ~batch.drafted
        noisy = span_corrupt(noisy, batch.canvas, batch.noisable, batch.pad_id, vocab,
                             spans, generator)
    noisy = noisy.to(device)
    encoded = model.model.encoder(input_ids=context, attention_mask=mask, use_cache=True)
    cache = encoded.past_key_values
    decoder_mask = torch.cat([mask, torch.ones_like(canvas)], dim=1)
    self_cond, self_cond_mask = None, None
    use_self_cond = torch.rand((canvas.shape[0],), generator=generator) < config.self_cond_p
    if use_self_cond.any():
        with torch.no_grad():  # first pass: the model's own guess, fed back as soft embeddings
            self_cond = model(past_key_values=cache, decoder_input_ids=noisy, decoder_attention_mask=decoder_mask).logits
        self_cond_mask = use_self_cond.to(device)
    logits = model(past_key_values=cache, decoder_input_ids=noisy, decoder_attention_mask=decoder_mask,
                   self_conditioning_logits=self_cond, self_conditioning_mask=self_cond_mask).logits
    diffusion = F.cross_entropy(logits[noisable], canvas[noisable])
    enc_logits = softcap(model.lm_head(encoded.last_hidden_state[:, :-1]).float(), model.final_logit_softcapping)
    next_ok = (mask[:, :-1] * mask[:, 1:]).bool()
    autoregressive = F.cross_entropy(enc_logits[next_ok], context[:, 1:][next_ok])
    total = diffusion + config.ar_weight * autoregressive
    return total, {"loss": total.item(), "diffusion": diffusion.item(), "ar": autoregressive.item()}


def _status(parts: dict[str, float]) -> str:
    rank = f", rank {parts['rank']:.3f} top1 {parts['rank_top1']:.0%}" if "rank" in parts else ""
    return f"loss {parts['loss']:.3f} (diff {parts['diffusion']:.3f}{rank})"


def training_progress(step: int, elapsed_s: float, config: TrainConfig) -> float:
    """How far along the run is, in [0, 1]: by steps, or by wall time when that budget ends first."""
    by_steps = step / config.steps
    by_time = elapsed_s / (60 * config.max_minutes) if config.max_minutes else 0.0
    return min(1.0, max(by_steps, by_time))


def learning_rate(step: int, progress: float, config: TrainConfig) -> float:
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    warm = config.warmup / config.steps
    progress = (progress - warm) / max(1e-9, 1 - warm)
    floor = config.lr * config.min_lr_ratio
    return floor + (config.lr - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _corpus_texts(modules: list[Module], limit_bytes: int = 30_000_000) -> Iterator[str]:
    used = 0
    for module in modules:
        source = read_source(module)
        if source is None:
            continue
        used += len(source.text)
        if used > limit_bytes:
            return
        yield source.text


def training_modules(config: TrainConfig) -> list[Module]:
    if config.repo is not None:
        from dagent.engine.train.data import repo_modules

        return repo_modules(config.repo)
    return split_modules(corpus_modules(), "train")


def prepare(config: TrainConfig):  # type: ignore[no-untyped-def]
    """The tokenizer and model to train: fresh ones, a checkpoint to resume, or a model to fine-tune."""
    config.out_dir.mkdir(parents=True, exist_ok=True)
    from transformers import DiffusionGemmaForBlockDiffusion

    checkpoint = config.out_dir / "checkpoint"
    if (checkpoint / "config.json").is_file():
        return load_tokenizer(checkpoint), DiffusionGemmaForBlockDiffusion.from_pretrained(checkpoint, dtype=torch.float32)
    if config.init_from is not None:
        model = DiffusionGemmaForBlockDiffusion.from_pretrained(config.init_from, dtype=torch.float32)
        inherit(config.init_from, config.out_dir)
        return load_tokenizer(config.init_from), model
    tokenizer = train_tokenizer(_corpus_texts(training_modules(config)), config.vocab_size)
    model = build_tiny_model(len(tokenizer), config.canvas_length, TinySize(**config.size), seed=config.seed)
    return tokenizer, model


def save_checkpoint(model, tokenizer, optimizer, step: int, elapsed_s: float, out_dir: Path) -> None:
    checkpoint = out_dir / "checkpoint"
    model.save_pretrained(checkpoint)
    tokenizer.save_pretrained(checkpoint)
    state = {"step": step, "elapsed_s": elapsed_s, "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state()}
    torch.save(state, checkpoint / STATE_FILE)


def _resume(optimizer, out_dir: Path) -> tuple[int, float]:
    state_file = out_dir / "checkpoint" / STATE_FILE
    if not state_file.is_file():
        return 0, 0.0
    state = torch.load(state_file, weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"])
    return int(state["step"]), float(state.get("elapsed_s", 0.0))


def export(model, tokenizer, config: TrainConfig, dtype: torch.dtype = torch.bfloat16) -> Path:
    """The final model in half precision, with its config, generation config, tokenizer and limits."""
    final = config.out_dir / "final"
    model.to(dtype).save_pretrained(final)
    model.to(torch.float32)
    tokenizer.save_pretrained(final)
    write_limits(final, config.context_length, config.canvas_length)
    log = config.out_dir / LOG_FILE
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.is_file() else []
    runs = lineage_of_run(config.out_dir, json.loads(config.model_dump_json()), rows)
    (final / LINEAGE_FILE).write_text(json.dumps(runs, indent=2) + "\n")
    return final


RankSource = Callable[[Any, int], Iterator[RankExample]]  # (tokenizer, seed) -> candidate lists


def left_padded(tokenizer, texts: list[str], context_length: int) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[no-untyped-def]
    """Context ids (B, T) of `texts`, left-padded as the canvas follows the context directly, and their mask."""
    return pad_left([context_ids(tokenizer, text, context_length) for text in texts], tokenizer.pad_token_id,
                    context_length)


def _with_rank(model, tokenizer, loss: torch.Tensor, parts: dict[str, float], lists: Iterator[RankExample],  # type: ignore[no-untyped-def]
               config: TrainConfig, rng: random.Random) -> tuple[torch.Tensor, dict[str, float]]:
    batch = [next(lists) for _ in range(config.rank_batch)]
    context, mask = left_padded(tokenizer, [b.context for b in batch], config.context_length)
    ranked, rank_parts = rank_loss(model, tokenizer, batch, context, mask, config.canvas_length, rng)
    total = loss + config.rank_weight * ranked
    return total, {**parts, **rank_parts, "loss": total.item()}


def train(config: TrainConfig, show_progress: bool = True, rank_source: RankSource | None = None) -> Path:
    """Train (or resume) per `config`; with `rank_source` and a `rank_weight`, the listwise ranking
    loss is added at every step."""
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    tokenizer, model = prepare(config)
    model.to(config.device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, betas=(0.9, 0.98))
    start, elapsed_before = _resume(optimizer, config.out_dir)
    (config.out_dir / "train_config.json").write_text(config.model_dump_json(indent=2))
    rng = random.Random(config.seed + start)
    generator = torch.Generator().manual_seed(config.seed + start)
    stream = batches(iter_examples(training_modules(config), seed=config.seed + start), tokenizer, config, rng)
    lists = rank_source(tokenizer, config.seed + start) if rank_source and config.rank_weight > 0 else None
    log = (config.out_dir / LOG_FILE).open("a")
    began = time.time() - elapsed_before
    columns = (TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task("train", total=config.steps, completed=start, status="")
        completed = start
        for step in range(start, config.steps):
            progress_now = training_progress(step, time.time() - began, config)
            if progress_now >= 1.0:
                break
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, progress_now, config)
            loss, parts = loss_on(model, next(stream), config, generator)
            if lists is not None:
                loss, parts = _with_rank(model, tokenizer, loss, parts, lists, config, rng)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            completed = step + 1
            log.write(json.dumps({"step": step + 1, "seconds": round(time.time() - began, 1), **parts}) + "\n")
            log.flush()
            progress.update(task, advance=1, status=_status(parts))
            if (step + 1) % config.save_every == 0:
                save_checkpoint(model, tokenizer, optimizer, step + 1, time.time() - began, config.out_dir)
    log.close()
    save_checkpoint(model, tokenizer, optimizer, completed, time.time() - began, config.out_dir)
    return export(model.eval(), tokenizer, config)
