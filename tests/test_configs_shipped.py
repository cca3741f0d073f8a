"""Every shipped YAML preset loads against its schema (found recursively, and counted)."""


from rgbench.catalog import load_catalog
from rgbench.config import CONFIG_SCHEMAS, PRESET_DIR, load_config

EXPECTED_PRESETS = 15


def test_every_preset_loads():
    load_catalog()
    paths = sorted(PRESET_DIR.rglob("*.yaml"))
    assert len(paths) == EXPECTED_PRESETS
    for path in paths:
        kind = path.relative_to(PRESET_DIR).parts[0]
        assert kind in CONFIG_SCHEMAS, f"{path}: folder names no config kind"
        load_config(kind, path.stem)


def test_config_show_cli():
    from tests.helpers.cli import invoke

    out = invoke(["config", "show", "toy-world", "--set", "max_objects=3"])
    assert out.exit_code == 0 and "max_objects: 3" in out.text
    bad = invoke(["config", "show", "toy-world", "--set", "max_object=3"])
    assert bad.exit_code == 2 and "did you mean 'max_objects'" in bad.text


def test_every_grpo_preset_builds_its_entropy_control_and_names_known_rewards():
    """Loading is not enough: a preset that switches control must leave options that control accepts."""
    from rgbench.config import presets
    from rgbench.train.rewards import REWARDS

    load_catalog()
    controls = {}
    for name in presets("grpo"):
        cfg = load_config("grpo", name)
        controls[name] = cfg.train.entropy.build().name
        assert all(t.name in REWARDS.names() for t in cfg.rewards), name
    assert controls["toy-entropy-none"] == "none" and controls["toy-entropy-fixed"] == "fixed"
    assert controls["toy-entropy-adaptive"] == controls["toy"] == controls["paper"] == "adaptive"
    # the release's ±30 logit clamp in the paper preset; off for the toy, whose image logits sit below −30
    assert load_config("grpo", "paper").train.logit_clamp == 30.0
    assert all(load_config("grpo", n).train.logit_clamp is None for n in presets("grpo") if n.startswith("toy"))


def test_toy_grpo_presets_train_on_kept_and_the_paper_preset_stops_as_verl():
    """A step whose filter runs out of generation batches: the toy reproduction trains on the groups kept (its judge
    often gives a whole group one reward), the paper preset and the default stop the run as verl does."""
    from rgbench.config import presets
    from rgbench.train.grpo import GRPOOptions

    load_catalog()
    modes = {name: load_config("grpo", name).train.on_filter_exhausted for name in presets("grpo")}
    assert modes.pop("paper") == "error" and GRPOOptions().on_filter_exhausted == "error"
    assert len(modes) == 6 and all(name.startswith("toy") for name in modes)
    assert set(modes.values()) == {"train_on_kept"}, modes


def test_every_reproduce_preset_names_existing_training_presets():
    from rgbench.config import presets

    load_catalog()
    for name in presets("reproduce"):
        cfg = load_config("reproduce", name)
        assert cfg.sft_preset in presets("sft"), name
        assert {a.preset for a in cfg.arms} <= set(presets("grpo")), name
        assert {"main", "no-sft", "small-judge", "entropy-none", "entropy-fixed"} == {a.name for a in cfg.arms}, name
