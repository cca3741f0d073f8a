"""Typed configs: dataclasses are the schema, YAML presets are instances.

    cfg = load_config("toy-world", "default", ["world.n_classes=6"])

* A preset is `rgbench/configs/<kind>/<name>.yaml`, or any YAML path. A preset may start from another with
  `base: <name or path>` and change only what differs.
* `--set a.b=value` overrides are parsed as YAML scalars and type-checked against the dataclass.
* Unknown keys, in a file or an override, fail with the dotted path and a did-you-mean.
* Every field is documented once, by a trailing comment on the dataclass field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

import yaml

from rgbench.registry import Registry, did_you_mean

T = TypeVar("T")
PRESET_DIR = Path(__file__).parent / "configs"
# kind ("toy-world", "sft", "grpo", ...) → root dataclass of that kind's configs
CONFIG_SCHEMAS: Registry[type] = Registry("config kind")


class ConfigError(ValueError):
    """A config that does not fit its schema; the message names the dotted key."""


class _Raw(str):
    """An override's text before parsing: str fields take it verbatim, others parse it as YAML."""


def presets(kind: str) -> list[str]:
    """Names of the shipped presets of one config kind."""
    return sorted(p.stem for p in (PRESET_DIR / kind).glob("*.yaml"))


def preset_path(kind: str, source: str | Path) -> Path:
    """A preset name or a YAML path → the file. Unknown names fail with a did-you-mean."""
    path = Path(source)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    candidate = PRESET_DIR / kind / f"{source}.yaml"
    if not candidate.is_file():
        names = presets(kind)
        raise ConfigError(
            f"no {kind} preset '{source}'{did_you_mean(str(source), names)}; presets: {', '.join(names) or 'none'}"
        )
    return candidate


def read_yaml(kind: str, source: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a preset, following `base:` chains (a child's keys win, nested mappings merge)."""
    path = preset_path(kind, source).resolve()
    if path in _seen:
        raise ConfigError(f"config base cycle: {' -> '.join(str(p) for p in (*_seen, path))}")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must hold a mapping, got {type(data).__name__}")
    base = data.pop("base", None)
    if base is None:
        return data
    base_source = base if not str(base).endswith((".yaml", ".yml")) else path.parent / base
    return deep_merge(read_yaml(kind, base_source, (*_seen, path)), data)


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `a.b=value` strings to a nested dict (values stay raw text until type-checked)."""
    data = dict(data)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' is not of the form key.path=value")
        parts = key.strip().split(".")
        node = data
        for part in parts[:-1]:
            child = node.get(part)
            child = dict(child) if isinstance(child, dict) else {}
            node[part] = child
            node = child
        node[parts[-1]] = _Raw(value.strip())
    return data


def build(schema: type[T], data: dict[str, Any], path: str = "") -> T:
    """Type-checked construction of a dataclass from a nested dict."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'}: expected a mapping for {schema.__name__}, got {data!r}")
    hints = typing.get_type_hints(schema)
    fields = {f.name: f for f in dataclasses.fields(schema) if f.init}
    for key in data:
        if key not in fields:
            where = f"{path}.{key}" if path else key
            raise ConfigError(f"unknown config key '{where}'{did_you_mean(key, list(fields))}; "
                              f"{schema.__name__} has: {', '.join(fields)}")
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, f"{path}.{name}" if path else name)
    try:
        return schema(**kwargs)
    except TypeError as err:  # a required field with no default was not given
        raise ConfigError(f"{path or schema.__name__}: {err}") from None


def _coerce(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if isinstance(value, _Raw) and tp is not str:
        if value.lower() in ("none", "null", "~", "") and (tp is type(None) or type(None) in args):
            return None
        if origin in (Union, types.UnionType) and str in args:
            if not (value.startswith("[") and any(typing.get_origin(a) is list for a in args)):
                return str(value)
            value = yaml.safe_load(value)  # a `str | list[...]` field given a YAML list: `--set 'data=[a, b]'`
        else:
            value = yaml.safe_load(value)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(arg, value, path)
            except ConfigError:
                continue
        raise ConfigError(f"{path}: {value!r} fits none of {tp}")
    if origin is Literal:
        if value not in args:
            choices = [str(a) for a in args]
            raise ConfigError(f"{path}: {value!r} is not one of {choices}{did_you_mean(str(value), choices)}")
        return value
    if dataclasses.is_dataclass(tp):
        return build(tp, value, path)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{path}: expected a list, got {value!r}")
        item_tp = args[0] if args else Any
        items = [_coerce(item_tp, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {value!r}")
        val_tp = args[1] if args else Any
        return {str(k): _coerce(val_tp, v, f"{path}.{k}") for k, v in value.items()}
    return _scalar(tp, value, path)


def _scalar(tp: Any, value: Any, path: str) -> Any:
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "1e-5" as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif tp is str:
        if isinstance(value, str):
            return str(value)
    elif tp is Path:
        if isinstance(value, (str, Path)):
            return Path(value)
    else:
        raise ConfigError(f"{path}: unsupported config type {tp}")
    raise ConfigError(f"{path}: expected {tp.__name__}, got {value!r}")


def load_config(kind: str, source: str | Path | None = None, overrides: list[str] | None = None) -> Any:
    """Resolve a config of one kind: preset (name or path; None = schema defaults) + overrides, type-checked."""
    schema = CONFIG_SCHEMAS.get(kind)
    data = read_yaml(kind, source) if source is not None else {}
    return build(schema, apply_overrides(data, list(overrides or [])))


def to_dict(cfg: Any) -> dict[str, Any]:
    """A config as plain YAML/JSON-able data (tuples → lists, paths → str)."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value
    return plain(dataclasses.asdict(cfg))


def dump_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)


def config_hash(cfg: Any) -> str:
    """Short stable hash of a resolved config (run ids and provenance use it)."""
    blob = json.dumps(to_dict(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:10]
