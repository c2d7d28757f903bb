"""Backends and loading (engine/backends/*, engine/load.py): the KV-cache reuse that makes one
encoding serve a batch, save/load round trips, and failing fast when weights are not on disk."""

from __future__ import annotations

import copy
import importlib.util
import sys
import time
from pathlib import Path

import pytest
import torch

from dagent.engine.backends.diffusion_gemma import DiffusionGemmaDenoiser, expand_cache
from dagent.engine.backends.masked import MaskedDenoiser
from dagent.engine.canvas import build_canvas
from dagent.engine.constraints import IDENTIFIER
from dagent.engine.load import EMBEDDED_MODEL, load_denoiser
from dagent.engine.sampler import sample
from dagent.engine.skeleton import Pinned, Skeleton, Slot
from dagent.errors import ModelLoadError
from helpers.engine import CANVAS, context_ids, tiny_denoiser, tiny_tokenizer


@pytest.fixture(scope="module")
def model() -> DiffusionGemmaDenoiser:
    return tiny_denoiser(seed=1)


def random_canvas(batch: int, seed: int = 0) -> torch.LongTensor:
    return torch.randint(len(tiny_tokenizer()), (batch, CANVAS), generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- DiffusionGemma: the cache


def test_expanded_cache_gives_the_same_logits_as_a_repeated_copy(model: DiffusionGemmaDenoiser) -> None:
    prefix = model.encode(context_ids())
    canvas = random_canvas(3)
    logits, _ = model.denoise(prefix, canvas, None)  # expand_cache inside: views of the batch-1 cache
    copied = copy.deepcopy(prefix.cache)
    copied.batch_repeat_interleave(3)
    with torch.inference_mode():
        reference = model.model(past_key_values=copied, decoder_input_ids=canvas,
                                decoder_position_ids=torch.arange(prefix.length, prefix.length + CANVAS)[None]).logits
    torch.testing.assert_close(logits, reference.float())
    view = expand_cache(prefix.cache, 3).layers[0].keys
    assert view.shape[0] == 3 and view.data_ptr() == prefix.cache.layers[0].keys.data_ptr()  # no copy
    assert prefix.cache.layers[0].keys.shape[0] == 1  # the prefix itself is untouched


def test_each_row_of_a_batch_matches_its_batch_one_run(model: DiffusionGemmaDenoiser) -> None:
    prefix = model.encode(context_ids())
    canvas = random_canvas(2, seed=4)
    batched, _ = model.denoise(prefix, canvas, None)
    single, _ = model.denoise(prefix, canvas[1:], None)
    torch.testing.assert_close(batched[1:], single, rtol=1e-4, atol=1e-4)


def test_self_conditioning_changes_the_logits(model: DiffusionGemmaDenoiser) -> None:
    prefix = model.encode(context_ids())
    canvas = random_canvas(1)
    first, cond = model.denoise(prefix, canvas, None)
    second, _ = model.denoise(prefix, canvas, cond)
    assert cond is not None and cond.shape == first.shape and not torch.allclose(first, second)


def test_extend_equals_encoding_the_joined_context_and_keeps_the_old_prefix(model: DiffusionGemmaDenoiser) -> None:
    head, tail = context_ids(), random_canvas(1, seed=2)
    prefix = model.encode(head)
    canvas = random_canvas(2, seed=3)
    before, _ = model.denoise(prefix, canvas, None)
    extended = model.extend(prefix, tail)
    whole = model.encode(torch.cat([head, tail], dim=1))
    assert extended.length == whole.length == head.shape[1] + CANVAS
    torch.testing.assert_close(model.denoise(extended, canvas, None)[0], model.denoise(whole, canvas, None)[0], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(model.denoise(prefix, canvas, None)[0], before)


# ---------------------------------------------------------------- loading


def save_tiny(directory: Path, seed: int = 0) -> Path:
    tiny_denoiser(seed).model.save_pretrained(directory)
    tiny_tokenizer().save_pretrained(directory)
    return directory


def test_load_a_saved_directory_with_its_tokenizer(tmp_path: Path, model: DiffusionGemmaDenoiser) -> None:
    directory = save_tiny(tmp_path / "tiny", seed=1)
    loaded, tokenizer = load_denoiser(str(directory))
    assert isinstance(loaded, DiffusionGemmaDenoiser) and loaded.canvas_length == CANVAS
    assert len(tokenizer) == len(tiny_tokenizer()) and loaded.pad_id == tokenizer.pad_token_id == 0
    assert not loaded.model.training and next(loaded.model.parameters()).dtype == torch.float32
    prefix, canvas = loaded.encode(context_ids()), random_canvas(1)
    torch.testing.assert_close(loaded.denoise(prefix, canvas, None)[0], model.denoise(model.encode(context_ids()), canvas, None)[0])


def test_dtype_option(tmp_path: Path) -> None:
    loaded, _ = load_denoiser(str(save_tiny(tmp_path / "tiny")), dtype="bf16")
    assert next(loaded.model.parameters()).dtype == torch.bfloat16
    logits, cond = loaded.denoise(loaded.encode(context_ids()), random_canvas(2), None)
    assert logits.dtype == torch.float32 and cond is not None and cond.dtype == torch.bfloat16
    with pytest.raises(ModelLoadError, match="unknown dtype"):
        load_denoiser(str(tmp_path / "tiny"), dtype="fp8")


def test_a_missing_hf_id_fails_at_once_and_says_how_to_get_it() -> None:
    start = time.monotonic()
    with pytest.raises(ModelLoadError) as err:
        load_denoiser("nobody-here/no-such-diffusion-model")
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert "not on disk" in message and "huggingface-cli download nobody-here/no-such-diffusion-model" in message
    assert "--model" in message


def test_a_missing_directory_and_a_directory_without_config_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no model directory"):
        load_denoiser(str(tmp_path / "nope" / "deeper"))
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_denoiser(str(tmp_path))


@pytest.mark.skipif((EMBEDDED_MODEL / "config.json").is_file(), reason="the embedded model is installed")
def test_the_embedded_model_not_yet_there_is_explained() -> None:
    with pytest.raises(ModelLoadError, match="dagent-tiny is not in this install"):
        load_denoiser(None)


# ---------------------------------------------------------------- masked diffusion through remote code

TINY_MDM_SOURCE = '''
import torch
from torch import nn
from transformers import PreTrainedConfig, PreTrainedModel
from transformers.modeling_outputs import MaskedLMOutput


class TinyMDMConfig(PreTrainedConfig):
    model_type = "tiny_mdm"

    def __init__(self, vocab_size=64, hidden_size=32, mask_token_id=None, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.mask_token_id = mask_token_id
        super().__init__(**kwargs)


class TinyMDMForMaskedLM(PreTrainedModel):
    """A bidirectional masked-diffusion toy: embeddings, one encoder layer, an LM head."""

    config_class = TinyMDMConfig

    def __init__(self, config):
        super().__init__(config)
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position = nn.Embedding(512, config.hidden_size)
        self.block = nn.TransformerEncoderLayer(config.hidden_size, 2, 2 * config.hidden_size, dropout=0.0, batch_first=True)
        self.head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.5)

    def get_output_embeddings(self):
        return self.head

    def forward(self, input_ids, attention_mask=None, **kwargs):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        hidden = self.block(self.embed(input_ids) + self.position(positions))
        return MaskedLMOutput(logits=self.head(hidden))
'''


def save_tiny_mdm(root: Path) -> tuple[Path, int]:
    """Define the toy model in its own module file, register it for the auto classes and save it, so
    its code travels with the weights as a downloaded LLaDA / Dream checkpoint's does."""
    source = root / "src" / "modeling_tiny_mdm.py"
    source.parent.mkdir(parents=True)
    source.write_text(TINY_MDM_SOURCE)
    spec = importlib.util.spec_from_file_location("modeling_tiny_mdm", source)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["modeling_tiny_mdm"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    tokenizer = copy.deepcopy(tiny_tokenizer())
    tokenizer.add_special_tokens({"mask_token": "<mask>"})
    module.TinyMDMConfig.register_for_auto_class()
    module.TinyMDMForMaskedLM.register_for_auto_class("AutoModelForMaskedLM")
    torch.manual_seed(0)
    model = module.TinyMDMForMaskedLM(module.TinyMDMConfig(vocab_size=len(tokenizer), mask_token_id=tokenizer.mask_token_id))
    directory = root / "tiny-mdm"
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory, tokenizer.mask_token_id


@pytest.fixture(scope="module")
def mdm(tmp_path_factory: pytest.TempPathFactory) -> tuple[MaskedDenoiser, object, int, Path]:
    directory, mask_id = save_tiny_mdm(tmp_path_factory.mktemp("mdm"))
    denoiser, tokenizer = load_denoiser(str(directory))
    return denoiser, tokenizer, mask_id, directory  # type: ignore[return-value]


def test_masked_model_round_trips_through_remote_code(mdm) -> None:  # type: ignore[no-untyped-def]
    denoiser, tokenizer, mask_id, directory = mdm
    assert (directory / "modeling_tiny_mdm.py").is_file()  # the code travelled with the weights
    assert isinstance(denoiser, MaskedDenoiser) and denoiser.mask_id == mask_id == tokenizer.mask_token_id
    assert type(denoiser.model).__name__ == "TinyMDMForMaskedLM"
    assert type(denoiser.model).__module__.startswith("transformers_modules")  # loaded from the saved file
    assert denoiser.vocab_size == len(tokenizer) and denoiser.pad_id == tokenizer.pad_token_id


def test_masked_denoise_reads_context_and_canvas_together(mdm) -> None:  # type: ignore[no-untyped-def]
    denoiser, _, mask_id, _ = mdm
    context = context_ids()
    prefix = denoiser.encode(context)
    canvas = torch.full((2, denoiser.canvas_length), mask_id)
    logits, cond = denoiser.denoise(prefix, canvas, None)
    with torch.inference_mode():
        full = denoiser.model(input_ids=torch.cat([context.expand(2, -1), canvas], dim=1)).logits
    assert cond is None and logits.shape == (2, denoiser.canvas_length, denoiser.vocab_size)
    torch.testing.assert_close(logits, full[:, context.shape[1]:])
    shifted = MaskedDenoiser(denoiser.model, mask_id, denoiser.pad_id, denoiser.canvas_length, shift_logits=True)
    torch.testing.assert_close(shifted.denoise(prefix, canvas, None)[0], full[:, context.shape[1] - 1 : -1])


def test_sampling_a_masked_model_keeps_the_skeleton(mdm) -> None:  # type: ignore[no-untyped-def]
    denoiser, tokenizer, mask_id, _ = mdm
    skeleton = Skeleton((Pinned("def "), Slot(4, IDENTIFIER), Pinned("(x):\n"), Slot(None)))
    canvas = build_canvas(tokenizer, [skeleton], denoiser.canvas_length, denoiser.vocab_size)
    found = sample(denoiser, denoiser.encode(context_ids()), canvas, k=2, steps=6)
    for cand in found:
        assert cand.text.startswith("def ") and "(x):\n" in cand.text and mask_id not in cand.ids


def test_the_in_place_softcap_is_gemmas_tanh_softcap() -> None:
    from dagent.engine.backends.diffusion_gemma import softcap_

    logits = torch.randn(64, 512, generator=torch.Generator().manual_seed(0)) * 20
    reference = torch.tanh(logits / 30.0) * 30.0
    capped = softcap_(logits.clone(), 30.0)
    torch.testing.assert_close(capped, reference, rtol=0, atol=2e-5)
    assert torch.equal(softcap_(logits.clone(), None), logits)  # no cap: unchanged


def test_denoise_with_self_conditioning_matches_the_models_own_forward(model: DiffusionGemmaDenoiser) -> None:
    prefix = model.encode(context_ids())
    canvas = random_canvas(2, seed=3)
    _, cond = model.denoise(prefix, canvas, None)
    logits, _ = model.denoise(prefix, canvas, cond)
    with torch.inference_mode():
        reference = model.model(past_key_values=expand_cache(prefix.cache, 2), decoder_input_ids=canvas,
                                decoder_position_ids=torch.arange(prefix.length, prefix.length + CANVAS)[None],
                                self_conditioning_logits=cond).logits
    torch.testing.assert_close(logits, reference.float(), rtol=0, atol=2e-5)
