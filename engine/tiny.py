"""The dagent-tiny architecture: a small config of transformers' own DiffusionGemma classes.

The class always builds a MoE block and a vision tower; both are kept tiny here, so the same
code path serves a 6M-parameter CPU model and the 26B checkpoint on a GPU.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from transformers import DiffusionGemmaConfig, DiffusionGemmaForBlockDiffusion

# Token ids that the tokenizer reserves at the front of its vocabulary (see engine/tokenizer.py).
PAD_ID, EOS_ID, BOS_ID, BOI_ID, EOI_ID, IMAGE_ID = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True)
class TinySize:
    hidden: int = 256
    layers: int = 4
    heads: int = 4
    kv_heads: int = 2
    head_dim: int = 64
    intermediate: int = 512
    experts: int = 4
    moe_intermediate: int = 128
    max_positions: int = 1024
    sliding_window: int = 512


def tiny_config(vocab_size: int, canvas_length: int = 48, size: TinySize = TinySize()) -> DiffusionGemmaConfig:
    """A DiffusionGemmaConfig of the given size; the last layer is full attention, the rest sliding."""
    text = dict(
        vocab_size=vocab_size,
        hidden_size=size.hidden,
        intermediate_size=size.intermediate,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        num_key_value_heads=size.kv_heads,
        head_dim=size.head_dim,
        global_head_dim=size.head_dim,
        num_global_key_value_heads=size.kv_heads,
        max_position_embeddings=size.max_positions,
        sliding_window=size.sliding_window,
        num_experts=size.experts,
        top_k_experts=1,
        moe_intermediate_size=size.moe_intermediate,
        layer_types=["sliding_attention"] * (size.layers - 1) + ["full_attention"],
        pad_token_id=PAD_ID,
        eos_token_id=EOS_ID,
        bos_token_id=BOS_ID,
    )
    vision = dict(
        model_type="gemma4_vision",
        hidden_size=16,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=1,
        num_key_value_heads=1,
        head_dim=16,
        patch_size=4,
        position_embedding_size=16,
    )
    return DiffusionGemmaConfig(
        text_config=text,
        vision_config=vision,
        canvas_length=canvas_length,
        boi_token_id=BOI_ID,
        eoi_token_id=EOI_ID,
        image_token_id=IMAGE_ID,
    )


def build_tiny_model(vocab_size: int, canvas_length: int = 48, size: TinySize = TinySize(), seed: int = 0) -> DiffusionGemmaForBlockDiffusion:
    """A randomly initialised model of the real class (seeded, for tests and for training from scratch)."""
    import torch

    torch.manual_seed(seed)
    return DiffusionGemmaForBlockDiffusion(tiny_config(vocab_size, canvas_length, size))


def size_dict(size: TinySize) -> dict[str, int]:
    return asdict(size)
