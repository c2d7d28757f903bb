"""Side by side, in one process: scoring with transformers' whole decoder forward (the path before
engine/backends/decoder_pass.py: self-conditioning block on zeros, every layer at every position, then
the read positions gathered) against the decoder pass (no zero block, the last layer at the read
positions only). The same candidates (the grammar's, at the bug lines of `dagent bench engine`'s
held-out examples), alternating rounds, and the largest score difference between the two paths.

    python scripts/decoder_pass_bench.py [--rounds 3]

Run it alone: its figures are timings.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from dagent.agent.bench.engine import load_examples
from dagent.agent.bench.score import scoring_cases
from dagent.engine.backends.diffusion_gemma import expand_cache
from dagent.engine.engine import Engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=40)
    args = parser.parse_args()
    engine = Engine.load()
    denoiser = engine.denoiser
    work = [(context, requests) for context, _, requests in scoring_cases(engine, load_examples(args.examples, None))]
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
    rates: dict[str, list[float]] = {name: [] for name in paths}
    scores: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for name, path in paths.items():
            denoiser.hidden_at = path  # type: ignore[method-assign]
            seconds, count, found = 0.0, 0, []
            for context, requests in work:
                engine.encode(context)  # outside the clock, as in the bench
                began = time.perf_counter()
                found += engine.score(context, requests)
                seconds += time.perf_counter() - began
                count += len(requests)
            rates[name].append(count / seconds)
            scores[name] = found
    print(f"{len(work)} bug lines, {count} candidates, median of {args.rounds} alternating rounds")
    for name, values in rates.items():
        print(f"  {name:<14} {statistics.median(values):6.0f} candidates/s  ({', '.join(f'{v:.0f}' for v in values)})")
    ratio = statistics.median(rates["decoder pass"]) / statistics.median(rates["whole forward"])
    finite = [abs(a - b) for a, b in zip(scores["whole forward"], scores["decoder pass"], strict=True) if abs(a) < 1e30]
    print(f"decoder pass / whole forward: {ratio:.2f}x; largest score difference {max(finite):.2e} nats")


if __name__ == "__main__":
    main()
