"""Every shipped YAML preset loads against its schema (found recursively, and counted)."""


from rgbench.catalog import load_catalog
from rgbench.config import CONFIG_SCHEMAS, PRESET_DIR, load_config

EXPECTED_PRESETS = 11


def test_every_preset_loads():
    load_catalog()
    paths = sorted(PRESET_DIR.rglob("*.yaml"))
    assert len(paths) == EXPECTED_PRESETS
    for path in paths:
        kind = path.relative_to(PRESET_DIR).parts[0]
        assert kind in CONFIG_SCHEMAS, f"{path}: folder names no config kind"
        load_config(kind, path.stem)


def test_config_show_cli():
    from typer.testing import CliRunner

    from rgbench.cli import app

    out = CliRunner().invoke(app, ["config", "show", "toy-world", "--set", "max_objects=3"])
    assert out.exit_code == 0 and "max_objects: 3" in out.output
    bad = CliRunner().invoke(app, ["config", "show", "toy-world", "--set", "max_object=3"])
    assert bad.exit_code == 2 and "did you mean 'max_objects'" in bad.output
