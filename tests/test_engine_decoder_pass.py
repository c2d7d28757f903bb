"""The decoder pass (engine/backends/decoder_pass.py) against the model's own decoder forward: the same
hidden states with and without self-conditioning, and the same states at the positions a pass reads
when its last layer runs there only. On the tiny random model (two layers, the second full attention)
and on the embedded dagent-tiny (four layers)."""

from __future__ import annotations

import pytest
import torch

from dagent.engine.backends.decoder_pass import decoder_hidden
from dagent.engine.backends.diffusion_gemma import DiffusionGemmaDenoiser, expand_cache
from dagent.engine.load import load_denoiser
from helpers.engine import context_ids, tiny_denoiser


@pytest.fixture(scope="module", params=["tiny-random", "dagent-tiny"])
def denoiser(request: pytest.FixtureRequest) -> DiffusionGemmaDenoiser:
    if request.param == "tiny-random":
        return tiny_denoiser(seed=5)
    loaded, _ = load_denoiser(None)
    return loaded  # type: ignore[return-value]


def inputs(denoiser: DiffusionGemmaDenoiser, batch: int, seed: int = 0) -> tuple[object, torch.LongTensor, torch.LongTensor]:
    prefix = denoiser.encode(context_ids() % denoiser.vocab_size)
    length = denoiser.canvas_length
    canvas = torch.randint(denoiser.vocab_size, (batch, length), generator=torch.Generator().manual_seed(seed))
    positions = torch.arange(prefix.length, prefix.length + length)[None]
    return prefix, canvas, positions


def reference(denoiser: DiffusionGemmaDenoiser, prefix: object, canvas: torch.LongTensor, positions: torch.LongTensor,
              self_cond: torch.Tensor | None) -> torch.Tensor:
    with torch.inference_mode():
        out = denoiser.model.model.decoder(decoder_input_ids=canvas, past_key_values=expand_cache(prefix.cache, len(canvas)),  # type: ignore[attr-defined]
                                           decoder_position_ids=positions, self_conditioning_logits=self_cond)
    return out.last_hidden_state


def ours(denoiser: DiffusionGemmaDenoiser, prefix: object, canvas: torch.LongTensor, positions: torch.LongTensor,
         self_cond: torch.Tensor | None = None, read: torch.LongTensor | None = None) -> torch.Tensor:
    with torch.inference_mode():
        return decoder_hidden(denoiser.model.model.decoder, canvas, expand_cache(prefix.cache, len(canvas)),  # type: ignore[attr-defined]
                              positions, self_cond, read)


def test_without_self_conditioning_the_states_are_the_models_exactly(denoiser: DiffusionGemmaDenoiser) -> None:
    prefix, canvas, positions = inputs(denoiser, 3)
    assert torch.equal(ours(denoiser, prefix, canvas, positions), reference(denoiser, prefix, canvas, positions, None))


def test_with_self_conditioning_the_states_are_the_models_exactly(denoiser: DiffusionGemmaDenoiser) -> None:
    prefix, canvas, positions = inputs(denoiser, 2, seed=1)
    cond = torch.randn(*canvas.shape, denoiser.vocab_size, generator=torch.Generator().manual_seed(2)) * 4
    expected = reference(denoiser, prefix, canvas, positions, cond)
    assert torch.equal(ours(denoiser, prefix, canvas, positions, cond), expected)


def test_the_last_layer_at_the_read_positions_gives_the_states_there(denoiser: DiffusionGemmaDenoiser) -> None:
    prefix, canvas, positions = inputs(denoiser, 3, seed=3)
    read = torch.tensor([[0, 5, 6, 6], [17, 18, 19, 20], [denoiser.canvas_length - 1] * 4])  # row 0 and 2 padded by repeats
    full = reference(denoiser, prefix, canvas, positions, None)
    expected = full.gather(1, read[..., None].expand(*read.shape, full.shape[-1]))
    torch.testing.assert_close(ours(denoiser, prefix, canvas, positions, read=read), expected, rtol=1e-5, atol=1e-5)


def test_a_read_pass_runs_the_last_layers_feed_forward_on_the_read_rows_only(denoiser: DiffusionGemmaDenoiser) -> None:
    prefix, canvas, positions = inputs(denoiser, 2)
    seen: list[int] = []
    last = denoiser.model.model.decoder.layers[-1]
    handle = last.mlp.register_forward_hook(lambda _m, args, _o: seen.append(args[0].shape[:-1].numel()))
    try:
        ours(denoiser, prefix, canvas, positions, read=torch.tensor([[3, 4], [9, 9]]))
    finally:
        handle.remove()
    assert seen == [4]


def _same_cache(a: object, b: object) -> bool:
    return all(torch.equal(x.keys, y.keys) and torch.equal(x.values, y.values)
               for x, y in zip(a.layers, b.layers, strict=True))  # type: ignore[attr-defined]


def test_the_encoder_pass_writes_the_cache_the_models_own_encoder_writes(denoiser: DiffusionGemmaDenoiser) -> None:
    from transformers.cache_utils import DynamicCache

    ids = context_ids() % denoiser.vocab_size
    more = torch.randint(denoiser.vocab_size, (1, 7), generator=torch.Generator().manual_seed(3))
    encoder, config = denoiser.model.model.encoder, denoiser.model.config.text_config  # type: ignore[attr-defined]
    with torch.inference_mode():
        own = encoder(input_ids=ids, past_key_values=DynamicCache(config=config), use_cache=True).past_key_values
        prefix = denoiser.encode(ids)
        assert _same_cache(prefix.cache, own)
        length = ids.shape[1]
        own = encoder(input_ids=more, past_key_values=own, use_cache=True,
                      position_ids=torch.arange(length, length + more.shape[1])[None]).past_key_values
        assert _same_cache(denoiser.extend(prefix, more).cache, own)  # appended after a cache already there
