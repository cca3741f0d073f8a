from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from rgbench.config import (
    CONFIG_SCHEMAS,
    ConfigError,
    apply_overrides,
    build,
    config_hash,
    dump_yaml,
    load_config,
    read_yaml,
)


@dataclass
class Optim:
    lr: float = 1e-5  # learning rate
    betas: tuple[float, ...] = (0.9, 0.95)


@dataclass
class Demo:
    name: str = "demo"
    seed: int = 0
    steps: int = 10
    mode: Literal["official", "corrected"] = "corrected"
    cot: bool = True
    note: str | None = None
    optim: Optim = field(default_factory=Optim)
    weights: dict[str, float] = field(default_factory=dict)


def test_overrides_are_typed_and_nested():
    cfg = build(Demo, apply_overrides({}, ["steps=5", "optim.lr=2e-6", "cot=false", "mode=official",
                                           "name=007", "weights.text=2", "optim.betas=[0.9, 0.999]"]))
    assert cfg.steps == 5 and isinstance(cfg.steps, int)
    assert cfg.optim.lr == pytest.approx(2e-6)  # YAML 1.1 reads "2e-6" as a string; float fields accept it
    assert cfg.cot is False and cfg.mode == "official"
    assert cfg.name == "007"  # str fields take the text verbatim, not YAML's int 7
    assert cfg.weights == {"text": 2.0} and cfg.optim.betas == (0.9, 0.999)


def test_none_for_optional():
    assert build(Demo, apply_overrides({"note": "x"}, ["note=null"])).note is None


def test_unknown_key_fails_with_did_you_mean():
    with pytest.raises(ConfigError, match=r"unknown config key 'optim.lrr' \(did you mean 'lr'\?\)"):
        build(Demo, apply_overrides({}, ["optim.lrr=1"]))
    with pytest.raises(ConfigError, match=r"'stpes' \(did you mean 'steps'\?\)"):
        build(Demo, {"stpes": 3})


@pytest.mark.parametrize("override, message", [
    ("steps=ten", "steps: expected int"),
    ("cot=3", "cot: expected bool"),
    ("mode=oficial", r"not one of \['official', 'corrected'\] \(did you mean 'official'\?\)"),
    ("optim=3", "optim: expected a mapping"),
    ("steps", "not of the form"),
])
def test_bad_values_are_rejected(override, message):
    with pytest.raises(ConfigError, match=message):
        build(Demo, apply_overrides({}, [override]))


def test_presets_with_base_chain_and_yaml_roundtrip(tmp_path: Path, monkeypatch):
    kind_dir = tmp_path / "demo"
    kind_dir.mkdir()
    (kind_dir / "base.yaml").write_text("steps: 100\noptim: {lr: 0.001, betas: [0.8, 0.9]}\n")
    (kind_dir / "quick.yaml").write_text("base: base\nsteps: 3\noptim: {lr: 0.01}\n")
    monkeypatch.setattr("rgbench.config.PRESET_DIR", tmp_path)
    CONFIG_SCHEMAS.register("demo", Demo, replace=True)
    cfg = load_config("demo", "quick", ["seed=4"])
    assert (cfg.steps, cfg.optim.lr, cfg.optim.betas, cfg.seed) == (3, 0.01, (0.8, 0.9), 4)
    # the dumped YAML is itself a valid preset giving the same config
    dumped = tmp_path / "dumped.yaml"
    dumped.write_text(dump_yaml(cfg))
    again = load_config("demo", str(dumped))
    assert again == cfg and config_hash(again) == config_hash(cfg)
    assert config_hash(load_config("demo", "quick")) != config_hash(cfg)
    with pytest.raises(ConfigError, match=r"no demo preset 'quik' \(did you mean 'quick'\?\)"):
        load_config("demo", "quik")


def test_base_cycle_is_reported(tmp_path: Path, monkeypatch):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "a.yaml").write_text("base: b\n")
    (tmp_path / "demo" / "b.yaml").write_text("base: a\n")
    monkeypatch.setattr("rgbench.config.PRESET_DIR", tmp_path)
    with pytest.raises(ConfigError, match="cycle"):
        read_yaml("demo", "a")
