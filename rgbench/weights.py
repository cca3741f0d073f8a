"""Weights resolution: a model id or a path → local files, never a hub download.

Search order for an id such as `deepseek-ai/Janus-Pro-7B`:
1. the id itself, when it is an existing path;
2. the weights dir (`--weights-dir`, else $RGBENCH_WEIGHTS): `<dir>/<org>/<name>`, `<dir>/<org>--<name>`, `<dir>/<name>`;
3. the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub), snapshot of `refs/main`.
When nothing complete is found, `WeightsNotFound` names what is missing and the command that fetches it on a
networked machine. Loading code calls `offline()` first so transformers never tries the network either.
"""

from __future__ import annotations

import os
from pathlib import Path

WEIGHT_GLOBS = ("*.safetensors", "*.bin", "*.safetensors.index.json", "*.bin.index.json", "*.pt", "*.pth")


class WeightsNotFound(FileNotFoundError):
    """No complete local copy of a model; the message says where rgbench looked and how to fetch it."""


def hf_cache_dir() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(os.environ["HUGGINGFACE_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface"
    return Path(home) / "hub"


def weights_dir(explicit: str | Path | None = None) -> Path | None:
    value = explicit or os.environ.get("RGBENCH_WEIGHTS")
    return Path(value).expanduser() if value else None


def candidates(model_id: str, explicit_dir: str | Path | None = None) -> list[Path]:
    """Every folder rgbench looks in for `model_id`, in order."""
    out: list[Path] = []
    base = weights_dir(explicit_dir)
    org, _, name = model_id.rpartition("/")
    if base is not None:
        out += [base / model_id, base / f"{org}--{name}" if org else base / name, base / name]
    cache_repo = hf_cache_dir() / f"models--{model_id.replace('/', '--')}"
    ref = cache_repo / "refs" / "main"
    if ref.is_file():
        out.append(cache_repo / "snapshots" / ref.read_text().strip())
    elif (cache_repo / "snapshots").is_dir():
        out += sorted((cache_repo / "snapshots").iterdir())
    else:
        out.append(cache_repo / "snapshots" / "<revision>")
    return list(dict.fromkeys(out))


def missing_files(folder: Path, required: tuple[str, ...] = ("config.json",), need_weights: bool = True) -> list[str]:
    """Which required files a candidate folder lacks ([] = complete)."""
    if not folder.is_dir():
        return ["(folder)"]
    missing = [name for name in required if not (folder / name).is_file()]
    if need_weights and not any(any(folder.glob(g)) for g in WEIGHT_GLOBS):
        missing.append("weights (" + " | ".join(WEIGHT_GLOBS[:2]) + ")")
    return missing


def resolve_weights(model: str | Path, weights_dir: str | Path | None = None,
                    required: tuple[str, ...] = ("config.json",), need_weights: bool = True) -> Path:
    """A model id or path → a local folder holding `required` files and weights; never downloads."""
    path = Path(model).expanduser()
    if path.exists():
        lacking = missing_files(path, required, need_weights) if path.is_dir() else []
        if lacking:
            raise WeightsNotFound(f"{path} exists but lacks: {', '.join(lacking)}")
        return path
    model_id = str(model)
    if not looks_like_hub_id(model_id):
        raise WeightsNotFound(f"model folder not found: {path} (a hub id has the form org/name; a path like this "
                              f"must exist — e.g. train it first, or check the working directory)")
    looked = []
    for folder in candidates(model_id, weights_dir):
        lacking = missing_files(folder, required, need_weights)
        if not lacking:
            return folder
        looked.append(f"  {folder}" + ("" if lacking == ["(folder)"] else f"  (incomplete, lacks: {', '.join(lacking)})"))
    raise WeightsNotFound(_not_found_message(model_id, looked, weights_dir))


def looks_like_hub_id(model: str) -> bool:
    """'org/name' or 'name' (what a hub id can be), not './x', '/x', '~/x' or 'a/b/c'."""
    return not model.startswith((".", "/", "~")) and model.count("/") <= 1 and "\\" not in model


def _not_found_message(model_id: str, looked: list[str], explicit_dir: str | Path | None) -> str:
    target = weights_dir(explicit_dir) or Path("~/rgbench-weights")
    return (
        f"weights for '{model_id}' are not on this machine (rgbench never downloads at run time).\n"
        f"Looked in:\n" + "\n".join(looked) + "\n"
        f"On a machine with network access run:\n"
        f"  hf download {model_id} --local-dir {target}/{model_id}\n"
        f"then copy that folder here and pass --weights-dir {target} (or set RGBENCH_WEIGHTS={target}), "
        f"or pass the folder's path as the model."
    )


def offline() -> None:
    """Forbid hub access for everything loaded after this call (transformers, huggingface_hub)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
