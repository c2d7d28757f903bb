"""dagent's BPE tokenizer: byte-level BPE trained on Python source, with the op language's and the
context block's markers as single special tokens, saved as `tokenizer.json` and loaded through
transformers (`PreTrainedTokenizerFast`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from dagent.engine.context import MARKERS as CONTEXT_MARKERS
from dagent.errors import ModelLoadError
from dagent.ops.syntax import MARKERS as OP_MARKERS

PAD, EOS, BOS, BOI, EOI, IMAGE, UNK = "<pad>", "<eos>", "<bos>", "<boi>", "<eoi>", "<image>", "<unk>"
# Order fixes the ids: PAD=0, EOS=1, BOS=2, BOI=3, EOI=4, IMAGE=5 (engine/tiny.py relies on it).
RESERVED = (PAD, EOS, BOS, BOI, EOI, IMAGE, UNK)
SPECIAL_TOKENS = RESERVED + tuple(OP_MARKERS) + tuple(CONTEXT_MARKERS)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8192) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on `texts`; every special token becomes one id."""
    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return wrap(tokenizer)


def wrap(tokenizer: Tokenizer) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD,
        eos_token=EOS,
        bos_token=BOS,
        unk_token=UNK,
        additional_special_tokens=[t for t in SPECIAL_TOKENS if t not in (PAD, EOS, BOS, UNK)],
    )


def load_tokenizer(directory: Path) -> PreTrainedTokenizerFast:
    """Load the tokenizer saved beside a model (no network: the directory must hold tokenizer.json)."""
    if not (Path(directory) / "tokenizer.json").is_file():
        raise ModelLoadError(f"no tokenizer.json in {directory}: pass a model directory made by `dagent train`")
    return PreTrainedTokenizerFast.from_pretrained(str(directory))


def encode(tokenizer: PreTrainedTokenizerFast, text: str) -> list[int]:
    """Token ids of `text`, with no BOS/EOS added."""
    return tokenizer.encode(text, add_special_tokens=False)


def decode(tokenizer: PreTrainedTokenizerFast, ids: Iterable[int], pad_id: int | None = None) -> str:
    """Text of `ids`, keeping op markers and dropping canvas padding (`pad_id`, default the tokenizer's
    pad; a masked model without one pads with its EOS)."""
    pad = tokenizer.pad_token_id if pad_id is None else pad_id
    return tokenizer.decode([i for i in ids if i != pad], skip_special_tokens=False, clean_up_tokenization_spaces=False)
