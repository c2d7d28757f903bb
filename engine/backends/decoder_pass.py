"""DiffusionGemma's decoder forward, as transformers writes it, less the work nobody reads.

`DiffusionGemmaDecoderModel.forward` always runs its self-conditioning block, and every layer at every
canvas position. Two of those costs buy nothing here:

- with no self-conditioning signal (the sampler's first step, every scoring pass) the block's input is
  zeros, so its gated MLP adds exactly zero to the embeddings: only its closing norm is run;
- when only some positions are read (scoring reads the changed span, 1-8 of 48 positions), the last
  layer needs keys and values everywhere but queries, attention output, MLP, experts and norms only
  there: every one of those is per position, so the read positions come out as the whole pass gives them.

The layers' own modules (projections, norms, router, experts, rotary tables and the attention function
the model is configured with) do the arithmetic: this file only changes which rows reach them.
`tests/test_engine_decoder_pass.py` checks both paths against the model's own forward.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicCache
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.models.diffusion_gemma.modeling_diffusion_gemma import apply_rotary_pos_emb, eager_attention_forward


def decoder_hidden(decoder: Any, canvas: torch.LongTensor, cache: DynamicCache, positions: torch.LongTensor,
                   self_cond: torch.Tensor | None = None, read: torch.LongTensor | None = None) -> torch.Tensor:
    """The decoder's final hidden states: (B, L, H) for the whole canvas, or, with `read` (B, R) canvas
    columns per row, (B, R, H) at those columns only (a row's list may repeat a column to pad it)."""
    hidden = _embedded(decoder, canvas, self_cond)
    config = decoder.text_config
    tables = {kind: decoder.rotary_emb(hidden, positions, kind) for kind in decoder.unique_layer_types}
    layers = list(decoder.layers[: config.num_hidden_layers])
    last = len(layers) - 1 if read is not None else len(layers)
    for i, layer in enumerate(layers[:last]):
        hidden = layer(hidden, position_embeddings=tables[config.layer_types[i]], attention_mask=None,
                       position_ids=positions, past_key_values=cache)
    if read is not None:
        hidden = _last_layer_at(layers[last], hidden, tables[config.layer_types[last]], cache, read)
    return decoder.norm(hidden)


def _embedded(decoder: Any, canvas: torch.LongTensor, self_cond: torch.Tensor | None) -> torch.Tensor:
    embeds = decoder.embed_tokens(canvas)
    block = decoder.self_conditioning
    if self_cond is None:  # a zero signal: the block's MLP adds exactly zero
        return block.post_norm(embeds)
    weight = decoder.embed_tokens.weight
    soft = torch.matmul(self_cond.softmax(dim=-1, dtype=torch.float32).to(weight.dtype), weight)
    return block(embeds, soft * decoder.embed_tokens.embed_scale.to(embeds.dtype))


def _rows(x: torch.Tensor, read: torch.LongTensor) -> torch.Tensor:
    """x (B, L, ...) at the columns `read` (B, R): (B, R, ...)."""
    index = read.view(*read.shape, *([1] * (x.dim() - 2))).expand(*read.shape, *x.shape[2:])
    return x.gather(1, index)


def _last_layer_at(layer: Any, hidden: torch.Tensor, table: tuple[torch.Tensor, torch.Tensor], cache: DynamicCache,
                   read: torch.LongTensor) -> torch.Tensor:
    """`DiffusionGemmaDecoderTextLayer.forward` with its queries, and all that follows them, at `read` only."""
    residual = _rows(hidden, read)
    normed = layer.input_layernorm(hidden)
    attended = _attention_at(layer.self_attn, normed, _rows(normed, read), table, cache, read)
    hidden = residual + layer.post_attention_layernorm(attended)
    residual = hidden
    dense = layer.post_feedforward_layernorm_1(layer.mlp(layer.pre_feedforward_layernorm(hidden)))
    flat = residual.reshape(-1, residual.shape[-1])
    _, weights, experts = layer.router(flat)
    routed = layer.experts(layer.pre_feedforward_layernorm_2(flat), experts, weights).reshape(residual.shape)
    hidden = residual + layer.post_feedforward_layernorm(dense + layer.post_feedforward_layernorm_2(routed))
    return hidden * layer.layer_scalar


def _attention_at(attn: Any, normed: torch.Tensor, queries: torch.Tensor, table: tuple[torch.Tensor, torch.Tensor],
                  cache: DynamicCache, read: torch.LongTensor) -> torch.Tensor:
    """`DiffusionGemmaDecoderTextAttention.forward`: keys and values from every position (and the
    encoder's cache), queries from `queries` at the columns `read`."""
    batch = normed.shape[0]
    q = attn.q_norm(attn.q_proj(queries).view(*queries.shape[:-1], -1, attn.head_dim))
    cos_q, sin_q = (_rows(t.expand(batch, *t.shape[1:]), read) for t in table)
    q = apply_rotary_pos_emb(q, cos_q, sin_q, unsqueeze_dim=2).transpose(1, 2)
    k, v = attn.append_to_cache(cache, *keys_and_values(attn, normed, table))
    attend = ALL_ATTENTION_FUNCTIONS.get_interface(attn.config._attn_implementation, eager_attention_forward)
    out, _ = attend(attn, q, k, v, None, dropout=0.0, scaling=attn.scaling, sliding_window=attn.sliding_window,
                    is_causal=False)
    return attn.o_proj(out.reshape(*queries.shape[:-1], -1).contiguous())


def keys_and_values(attn: Any, normed: torch.Tensor, table: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """An attention module's keys and values (B, H, L, D) of its normed input, as its forward makes them
    (the encoder's and the decoder's alike): projected, normed, the keys rotated."""
    cos, sin = table
    shape = (*normed.shape[:-1], -1, attn.head_dim)
    k = attn.k_proj(normed).view(shape)
    v = attn.v_proj(normed).view(shape) if attn.v_proj is not None else k
    k = apply_rotary_pos_emb(attn.k_norm(k), cos, sin, unsqueeze_dim=2).transpose(1, 2)
    return k, attn.v_norm(v).transpose(1, 2)


def read_columns(index: list[int], batch: int, length: int) -> tuple[torch.LongTensor, torch.LongTensor]:
    """Flat canvas positions as (B, R) columns per row (a short row repeats its last column; a row with
    none reads column 0) and, for each position in `index`'s order, its place in the (B * R) result."""
    columns: list[list[int]] = [[] for _ in range(batch)]
    places: list[tuple[int, int]] = []
    for flat in index:
        row, column = divmod(flat, length)
        places.append((row, len(columns[row])))
        columns[row].append(column)
    width = max(1, *(len(c) for c in columns))
    read = torch.tensor([c + [c[-1] if c else 0] * (width - len(c)) for c in columns], dtype=torch.long)
    return read, torch.tensor([row * width + j for row, j in places], dtype=torch.long)


__all__ = ["decoder_hidden", "keys_and_values", "read_columns"]
