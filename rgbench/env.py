"""`rgbench env`: versions, device, which optional backends import, where weights are looked for."""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from typing import Any

from rgbench.runs import package_versions
from rgbench.weights import hf_cache_dir, weights_dir

# backend → module that must import for it; the extra that installs it
OPTIONAL_BACKENDS: dict[str, tuple[str, str]] = {
    "flash-attn (gpu)": ("flash_attn", "rgbench[gpu]"),
    "mmdet (GenEval official detector)": ("mmdet", "rgbench[mmdet]"),
    "mmcv": ("mmcv", "rgbench[mmdet]"),
    "open_clip": ("open_clip", "rgbench[openclip]"),
    "torchvision": ("torchvision", "rgbench[openclip]"),
    "spacy (T2I noun phrases)": ("spacy", "pip install spacy + en_core_web_sm"),
    "modelscope (DPG mPLUG)": ("modelscope", "pip install modelscope"),
}


@dataclass
class BackendStatus:
    name: str
    module: str
    status: str  # "ok", "missing" or "broken: <error>"
    install: str


def probe_backend(name: str, module: str, install: str) -> BackendStatus:
    if importlib.util.find_spec(module) is None:
        return BackendStatus(name, module, "missing", install)
    try:
        importlib.import_module(module)
        return BackendStatus(name, module, "ok", install)
    except Exception as err:  # noqa: BLE001 - an installed package that fails to import is reported, not raised
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return BackendStatus(name, module, f"broken: {first[:100]}", install)


def device_report() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {"torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
                            "threads": torch.get_num_threads(), "cpu_count": os.cpu_count()}
    if torch.cuda.is_available():
        info["cuda_devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        info["bf16_supported"] = torch.cuda.is_bf16_supported()
        info["default_device"] = "cuda"
    else:
        info["default_device"] = "cpu"
    return info


def environment(explicit_weights_dir: str | None = None) -> dict[str, Any]:
    """Everything `rgbench env` shows, as data."""
    versions = package_versions(("rgbench", "torch", "transformers", "huggingface_hub", "numpy", "pandas",
                                 "matplotlib", "typer", "rich", "pillow", "safetensors", "pyyaml"))
    backends = [probe_backend(n, m, i) for n, (m, i) in OPTIONAL_BACKENDS.items()]
    wdir = weights_dir(explicit_weights_dir)
    return {
        "versions": versions,
        "device": device_report(),
        "optional_backends": {b.name: {"status": b.status, "install": b.install} for b in backends},
        "weights": {
            "weights_dir": str(wdir) if wdir else None,
            "hf_cache": str(hf_cache_dir()),
            "offline": os.environ.get("HF_HUB_OFFLINE") == "1",
            "note": "rgbench reads local files only; see `resolve_weights` for the search order",
        },
    }
