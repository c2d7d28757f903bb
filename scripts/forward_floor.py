"""The decoder forward against its FLOP floor by batch size: where the gap to the machine's matmul rate
comes from. For each number of canvas rows, ms per forward (best of 4 rounds of 10, self-conditioned, as
the sampler's later steps run it), its matmul FLOPs (engine/flops.py) and the floor at this machine's fp32
matmul rate measured in the same run; then the context's encoding, the model's own encoder forward against
dagent's encoder pass (the last layer writes its keys and values only), side by side; with `--compile`, the
decoder's layers under torch.compile beside eager (what fusion would buy, and its start-up cost).

    python scripts/forward_floor.py [--rows 1,4,8,16,32] [--context 128] [--model DIR] [--compile]

Run it alone: its figures are timings.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch._inductor.config
from transformers.cache_utils import DynamicCache

from dagent.engine.flops import count_flops, matmul_rate
from dagent.engine.load import load_denoiser


def _best_ms(fn, rounds: int = 4, calls: int = 10) -> float:  # type: ignore[no-untyped-def]
    fn()
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - began) / calls)
    return best * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1,4,8,16,32")
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--model")
    parser.add_argument("--compile", action="store_true",
                        help="then the decoder layers under torch.compile (inductor), at the first --rows, beside eager")
    args = parser.parse_args()
    denoiser, _ = load_denoiser(args.model)
    generator = torch.Generator().manual_seed(0)
    prefix = denoiser.encode(torch.randint(10, denoiser.vocab_size, (1, args.context), generator=generator))
    rate = matmul_rate()
    print(f"context {args.context} tokens, canvas {denoiser.canvas_length}, {torch.get_num_threads()} thread(s)")
    print("rows  ms/fwd  GFLOP  floor ms  fwd/floor")
    for rows in (int(r) for r in args.rows.split(",")):
        canvas = torch.randint(10, denoiser.vocab_size, (rows, denoiser.canvas_length), generator=generator)
        _, self_cond = denoiser.denoise(prefix, canvas, None)
        ms = _best_ms(lambda: denoiser.denoise(prefix, canvas, self_cond))
        flops = count_flops(lambda: denoiser.denoise(prefix, canvas, self_cond))
        rate = max(rate, matmul_rate())  # the machine's best moment, as the bench prices it
        floor_ms = flops / rate * 1e3
        print(f"{rows:4d}  {ms:6.1f}  {flops / 1e9:5.2f}  {floor_ms:8.1f}  {ms / floor_ms:8.2f}x")
    print(f"fp32 matmul rate: {rate / 1e9:.0f} GFLOP/s (best probe)")
    _encode_line(denoiser, torch.randint(10, denoiser.vocab_size, (1, args.context), generator=generator))
    if args.compile:
        _compiled_line(denoiser, prefix, int(args.rows.split(",")[0]), rate, generator)


def _compiled_line(denoiser, prefix, rows: int, rate: float, generator: torch.Generator) -> None:  # type: ignore[no-untyped-def]
    """The decoder's layers compiled by torch.compile, beside the same forward eager: what fusing the
    layers' small operations would buy, and what compiling costs once (not what `dagent` runs)."""
    layers = denoiser.model.model.decoder.layers
    canvas = torch.randint(10, denoiser.vocab_size, (rows, denoiser.canvas_length), generator=generator)
    _, self_cond = denoiser.denoise(prefix, canvas, None)
    forward = lambda: denoiser.denoise(prefix, canvas, self_cond)  # noqa: E731
    floor_ms = count_flops(forward) / rate * 1e3
    eager = _best_ms(forward)
    reference, _ = forward()
    eager_layers = list(layers)
    torch._inductor.config.fx_graph_cache = False  # a cold compile, as a fresh `dagent fix` would pay it
    began = time.perf_counter()
    for i, layer in enumerate(eager_layers):
        layers[i] = torch.compile(layer, dynamic=False)
    compiled_out, _ = forward()
    compile_s = time.perf_counter() - began
    compiled = _best_ms(forward)
    for i, layer in enumerate(eager_layers):
        layers[i] = layer
    print(f"{rows} rows: eager {eager:.1f} ms ({eager / floor_ms:.2f}x floor), decoder layers compiled {compiled:.1f} ms "
          f"({compiled / floor_ms:.2f}x floor) after {compile_s:.0f} s of compiling; logits differ by at most "
          f"{(compiled_out - reference).abs().max().item():.1e}")


def _encode_line(denoiser, ids: torch.LongTensor) -> None:  # type: ignore[no-untyped-def]
    """The context's encoding, the model's own encoder forward against dagent's (engine/backends/encoder_pass.py)."""
    encoder = getattr(getattr(denoiser, "model", None), "model", None)
    if encoder is None or not hasattr(encoder, "encoder"):
        return  # not a DiffusionGemma: its context encoding is the model's own

    def own() -> None:
        with torch.inference_mode():
            encoder.encoder(input_ids=ids, past_key_values=DynamicCache(config=denoiser.model.config.text_config),
                            use_cache=True)

    full, ours = _best_ms(own), _best_ms(lambda: denoiser.encode(ids))
    print(f"context encoding: the model's own forward {full:.2f} ms, dagent's encoder pass {ours:.2f} ms ({full / ours:.2f}x)")


if __name__ == "__main__":
    main()
