"""Fixed sampler calls on the tiny random DiffusionGemma, and their candidates: the golden file
`tests/data/sampler_golden.json` holds what the sampler wrote before its speed work (commit e3c510a),
so every exact speed change is checked to leave the candidates identical (same seed).

Only the argmax path (temperature 0) is golden: drawing proposals by inverse-CDF at the undecided
positions consumes the random stream differently from `torch.multinomial` over every position, so
sampled candidates changed there by design (a test checks the new draws' distribution instead).
Regenerate (only for a deliberate change of behaviour): `python -m helpers.sampler_golden` from tests/.

Machines: this random model's logits sit within about 1e-5 of a tie at some decisions (logits perturbed
by 1e-6 leave every candidate as it is; by 1e-5, most calls change), so a CPU whose matmul kernels round
differently can flip one. On 2026-12-06 the machine differed from the one the golden was written on and
the six drafted-canvas calls changed at 063c627 (the last commit checked against e3c510a's golden); they
were written again from 063c627's sampler on that machine, the other 24 calls unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from dagent.engine.canvas import build_canvas, drafted_canvas
from dagent.engine.constraints import DOTTED, IDENTIFIER
from dagent.engine.sampler import one_token_per_forward, sample
from dagent.engine.skeleton import Pinned, Skeleton, Slot
from helpers.engine import CANVAS, context_ids, tiny_denoiser, tiny_tokenizer

GOLDEN = Path(__file__).parent.parent / "data" / "sampler_golden.json"
PREFIX = "@@replace m.py:2\n    return x - 1\n@@with\n"


def _canvases() -> dict[str, tuple[Any, Any]]:
    tok = tiny_tokenizer()
    replace, init = drafted_canvas(tok, [Skeleton.replace_line(PREFIX)], ["    return x + 1\n"], CANVAS)
    return {
        "replace-draft": (replace, init),
        "replace-noise": (build_canvas(tok, [Skeleton.replace_line(PREFIX), Skeleton.free()], CANVAS), None),
        "static": (build_canvas(tok, [Skeleton.words("@@static m.py ", [DOTTED])], CANVAS), None),
        "def": (build_canvas(tok, [Skeleton((Pinned("def "), Slot(6, IDENTIFIER), Pinned("():\n")))], CANVAS), None),
        "rename": (build_canvas(tok, [Skeleton.for_prefix("@@rename m.py ")], CANVAS), None),
    }


def fingerprint() -> dict[str, list[list[Any]]]:
    model = tiny_denoiser()
    prefix = model.encode(context_ids())
    out: dict[str, list[list[Any]]] = {}
    for name, (canvas, init) in _canvases().items():
        for seed in (0, 1):
            for rule in ("entropy", "confidence"):
                # loose bounds: the random model decides several positions a step, rows finish early
                found = sample(model, prefix, canvas, k=3, seed=seed, rule=rule, temperature=0.0, init=init,
                               entropy_bound=3.0, confidence=0.02, steps=40, stop_entropy=4.0)
                out[f"{name}/{rule}/{seed}"] = [[c.ids, round(c.score, 5), c.steps] for c in found]
            found = one_token_per_forward(model, prefix, canvas, k=2, seed=seed, temperature=0.0, init=init)
            out[f"{name}/one/{seed}"] = [[c.ids, round(c.score, 5), c.steps] for c in found]
    return out


def tanh_softcap(logits: torch.Tensor, cap: float | None) -> torch.Tensor:
    """The softcap in its tanh form, as the golden was written: the backend's sigmoid form agrees to a few
    ulp (test_engine_backends.py), which can flip a near-tie on this random model."""
    return logits.div_(cap).tanh_().mul_(cap) if cap else logits


if __name__ == "__main__":
    import dagent.engine.backends.diffusion_gemma as backend

    torch.set_num_threads(1)
    backend.softcap_ = tanh_softcap
    GOLDEN.write_text(json.dumps(fingerprint()))
    print(f"wrote {GOLDEN}")
