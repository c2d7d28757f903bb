"""Side by side, in one process: scoring with transformers' whole decoder forward (the path before
engine/backends/decoder_pass.py: self-conditioning block on zeros, every layer at every position, then
the read positions gathered) against the decoder pass (no zero block, the last layer at the read
positions only). The same candidates (the grammar's, at the bug lines of `dagent bench engine`'s
held-out examples), alternating rounds, and the largest score difference between the two paths.

    python scripts/decoder_pass_bench.py [--rounds 3]

Run it alone: its figures are timings.
"""

from __future__ import annotations

from functools import partial
from itertools import chain

import torch

from dagent.agent.bench.score import compare_scoring, comparison_setup, report_rates
from dagent.engine.backends.diffusion_gemma import expand_cache


def main() -> None:
    rounds, engine, work = comparison_setup(__doc__)
    denoiser = engine.denoiser
    decoder_pass = denoiser.hidden_at

    def whole_forward(prefix, canvas, read):  # type: ignore[no-untyped-def]
        batch, length = canvas.shape
        with torch.inference_mode():
            hidden = denoiser.model.model.decoder(
                decoder_input_ids=canvas, past_key_values=expand_cache(prefix.cache, batch),
                decoder_position_ids=torch.arange(prefix.length, prefix.length + length)[None]).last_hidden_state
        denoiser.decoder_calls += 1
        return hidden.gather(1, read[..., None].expand(*read.shape, hidden.shape[-1]))

    paths = {"whole forward": whole_forward, "decoder pass": decoder_pass}
    variants = {name: partial(setattr, denoiser, "hidden_at", path) for name, path in paths.items()}
    found = compare_scoring(engine, work, variants, rounds)
    report_rates(found, rounds)
    ratio = found.median("decoder pass") / found.median("whole forward")
    pairs = zip(chain(*found.scores["whole forward"]), chain(*found.scores["decoder pass"]), strict=True)
    finite = [abs(a - b) for a, b in pairs if abs(a) < 1e30]
    print(f"decoder pass / whole forward: {ratio:.2f}x; largest score difference {max(finite):.2e} nats")

if __name__ == "__main__":
    main()
