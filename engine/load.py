"""Find a model on disk, pick its backend, load it and its tokenizer. Never touches the network.

`model` is None (the embedded dagent-tiny), a directory, or a Hugging Face id that was downloaded
to this machine's Hugging Face cache beforehand. The backend comes from `config.json`:
`model_type == "diffusion_gemma"` is transformers' DiffusionGemma; a config with an `auto_map`
(remote modeling code) is a masked-diffusion model (LLaDA, Dream, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagent.engine
from dagent.engine.allocator import keep_freed_memory
from dagent.engine.backends.diffusion_gemma import DiffusionGemmaDenoiser
from dagent.engine.backends.masked import MaskedDenoiser
from dagent.engine.denoiser import Denoiser
from dagent.errors import ModelLoadError

EMBEDDED_MODEL = Path(dagent.engine.__file__).parent / "models" / "dagent-tiny"


def load_denoiser(model: str | None, device: str = "cpu", dtype: str = "auto") -> tuple[Denoiser, Any]:
    """The denoiser and the tokenizer saved beside it."""
    keep_freed_memory()  # the decoder's large per-step temporaries are reused, not faulted in again
    directory = resolve_model_dir(model)
    config = _read_config(directory)
    if config.get("model_type") == "diffusion_gemma":
        tokenizer = load_model_tokenizer(directory, trust_remote_code=False)
        return DiffusionGemmaDenoiser.from_pretrained(directory, device, dtype, pad_id=tokenizer.pad_token_id), tokenizer
    if config.get("auto_map"):
        tokenizer = load_model_tokenizer(directory, trust_remote_code=True)
        return MaskedDenoiser.from_pretrained(directory, device, dtype, tokenizer=tokenizer), tokenizer
    raise ModelLoadError(
        f"{directory} holds a {config.get('model_type')!r} model: dagent runs DiffusionGemma checkpoints "
        "(model_type 'diffusion_gemma') and masked-diffusion models that ship their code (an 'auto_map' in config.json)"
    )


def resolve_model_dir(model: str | None) -> Path:
    """A local directory holding config.json, for the embedded model, a path, or a downloaded HF id."""
    if model is None:
        return _embedded()
    path = Path(model).expanduser()
    if path.is_dir():
        return _with_config(path)
    if _looks_like_path(model):
        raise ModelLoadError(f"no model directory at {path}")
    return _from_hf_cache(model)


def _embedded() -> Path:
    if not (EMBEDDED_MODEL / "config.json").is_file():
        raise ModelLoadError(
            f"the embedded model dagent-tiny is not in this install yet ({EMBEDDED_MODEL} has no config.json; "
            "it is being trained): pass a model directory or a downloaded Hugging Face id with --model"
        )
    return EMBEDDED_MODEL


def _with_config(path: Path) -> Path:
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"{path} has no config.json: pass the directory a model was saved or downloaded into")
    return path


def _looks_like_path(model: str) -> bool:
    # An HF id is "name" or "owner/name"; anything else with a separator, or rooted, is a path.
    return model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model


def _from_hf_cache(repo_id: str) -> Path:
    """The snapshot of `repo_id` in the local HF cache, looked up with network access off."""
    from huggingface_hub import snapshot_download

    try:
        return _with_config(Path(snapshot_download(repo_id=repo_id, local_files_only=True)))
    except ModelLoadError:
        raise
    except Exception as err:  # LocalEntryNotFoundError, HFValidationError, ...: all mean "not usable here"
        raise ModelLoadError(
            f"model {repo_id!r} is not on disk: no directory of that name here, and not in the local Hugging Face "
            f"cache (dagent never downloads at run time). On a machine with network run "
            f"`huggingface-cli download {repo_id}` (`hf download {repo_id}` with newer huggingface_hub), copy the "
            f"downloaded directory here and pass it with "
            f"--model DIR (or copy that machine's Hugging Face cache to this one)."
        ) from err


def _read_config(directory: Path) -> dict[str, Any]:
    try:
        return json.loads((directory / "config.json").read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ModelLoadError(f"cannot read {directory / 'config.json'}: {err}") from err


def load_model_tokenizer(directory: Path, trust_remote_code: bool) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(directory), local_files_only=True, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError) as err:
        if (directory / "tokenizer.json").is_file():
            # A bare tokenizer.json (saved by `tokenizers`, no tokenizer_config.json): dagent's own loader.
            from dagent.engine.tokenizer import load_tokenizer

            return load_tokenizer(directory)
        raise ModelLoadError(f"no usable tokenizer in {directory}: {err}") from err
