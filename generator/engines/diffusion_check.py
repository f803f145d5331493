"""Checking the diffusers engine's settings before anything heavy happens: that the optional
extra is installed and the model is where the operator said. Imports neither torch nor
diffusers (finding a package is enough), so `dreamfeed serve` can refuse to start with one
clear line instead of failing its first image."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from generator.engines.base import EngineSettings

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "float16", "bfloat16")
INSTALL_HINT = ("install the optional extra: pip install 'dreamfeed[diffusers]' (torch first "
                "from the CPU or CUDA index: see the README)")


def check_settings(settings: EngineSettings) -> str | None:
    """The first problem with `settings`, in one line, or None."""
    missing = [name for name in ("torch", "diffusers", "transformers")
               if importlib.util.find_spec(name) is None]
    if missing:
        return f"the diffusers engine needs {', '.join(missing)}: {INSTALL_HINT}"
    if settings.device not in DEVICES:
        return f"generator.device must be one of {', '.join(DEVICES)}, not {settings.device!r}"
    if settings.dtype not in DTYPES:
        return f"generator.dtype must be one of {', '.join(DTYPES)}, not {settings.dtype!r}"
    path = settings.model_path.strip()
    if not path:
        return ("generator.model_path is empty: name a diffusers model directory (one with "
                "model_index.json) or a hub id such as stabilityai/sd-turbo")
    if is_local_path(path):
        folder = Path(path).expanduser()
        if not folder.is_dir():
            return f"generator.model_path {path}: no such directory"
        if not (folder / "model_index.json").is_file():
            return (f"generator.model_path {path}: no model_index.json there, so it is not a "
                    "diffusers model directory (save one with pipeline.save_pretrained, or "
                    "download the model's whole repository)")
        return None
    if not settings.allow_download and not _in_hub_cache(path):
        return (f"generator.model_path {path}: not a directory, and not in the local Hugging "
                "Face cache; download it first (huggingface-cli download " + path + ") or set "
                "generator.allow_download = true")
    return None


def is_local_path(path: str) -> bool:
    """A directory rather than a hub id ("owner/name"): it exists, or looks like a path."""
    return (os.path.isdir(os.path.expanduser(path)) or path.startswith(("/", ".", "~"))
            or path.count("/") != 1 or (os.sep != "/" and os.sep in path))


def _in_hub_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "model_index.json")
    return isinstance(found, str)
