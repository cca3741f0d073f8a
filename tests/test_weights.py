from pathlib import Path

import pytest

from rgbench.weights import WeightsNotFound, candidates, resolve_weights

MODEL = "deepseek-ai/Janus-Pro-7B"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch):
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "RGBENCH_WEIGHTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))


def _complete(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"x")
    return folder


def test_missing_weights_error_names_places_and_fetch_command(tmp_path: Path):
    with pytest.raises(WeightsNotFound) as info:
        resolve_weights(MODEL, weights_dir=tmp_path / "w")
    msg = str(info.value)
    assert f"'{MODEL}' are not on this machine" in msg
    assert str(tmp_path / "w" / MODEL) in msg and "models--deepseek-ai--Janus-Pro-7B" in msg
    assert f"hf download {MODEL} --local-dir {tmp_path / 'w'}/{MODEL}" in msg


def test_weights_dir_layouts_and_env_var(tmp_path: Path, monkeypatch):
    folder = _complete(tmp_path / "w" / "deepseek-ai--Janus-Pro-7B")
    assert resolve_weights(MODEL, weights_dir=tmp_path / "w") == folder
    monkeypatch.setenv("RGBENCH_WEIGHTS", str(tmp_path / "w"))
    assert resolve_weights(MODEL) == folder


def test_incomplete_folder_is_named_with_what_it_lacks(tmp_path: Path):
    folder = tmp_path / "w" / MODEL
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    with pytest.raises(WeightsNotFound, match=r"incomplete, lacks: weights"):
        resolve_weights(MODEL, weights_dir=tmp_path / "w")
    with pytest.raises(WeightsNotFound, match="exists but lacks: weights"):
        resolve_weights(folder)


def test_hf_cache_snapshot_of_refs_main(tmp_path: Path):
    repo = tmp_path / "hf" / "hub" / "models--deepseek-ai--Janus-Pro-7B"
    snap = _complete(repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123\n")
    assert resolve_weights(MODEL) == snap
    assert snap in candidates(MODEL)


def test_a_local_path_wins(tmp_path: Path):
    folder = _complete(tmp_path / "my-ckpt")
    assert resolve_weights(str(folder)) == folder


@pytest.mark.parametrize("path", ["results/toy-sft/model", "./model", "/no/such/folder", "~/nothing-here"])
def test_a_missing_local_path_is_not_sent_to_the_hub(path: str):
    with pytest.raises(WeightsNotFound, match="model folder not found") as info:
        resolve_weights(path)
    assert "hf download" not in str(info.value)
