"""The checks of a config that need no model: its files read with every key once, numbers
finite, the JSON schema, and figures naming experiments that exist.

They are kept apart from :mod:`neurosweep.experiments` (which imports every model, and so JAX)
so that a config whose experiments are unchanged is checked without those imports
(:mod:`neurosweep.plan`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ConfigError", "SCHEMA_PATH", "check_config", "fail", "non_finite", "read_config", "schema_errors"]

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")


class ConfigError(ValueError):
    """A config that cannot run; the message names the key and the allowed values."""


def fail(key: str, message: str) -> None:
    """Raise the :class:`ConfigError` of ``key``."""
    raise ConfigError(f"{key}: {message}")


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A YAML loader that rejects a key given twice in one mapping (plain YAML keeps the last);
    libyaml's parser where PyYAML has it (10x faster on the course config)."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"{key}: given twice in one mapping (lines {seen[key] + 1} and {key_node.start_mark.line + 1}); keep one")
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_config(path: str | Path) -> dict[str, Any]:
    """Read a config file, rejecting duplicated keys (no validation beyond that)."""
    return yaml.load(Path(path).read_text(), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)


def schema_errors(config: Mapping[str, Any]) -> None:
    """Raise a :class:`ConfigError` for the first place ``config`` breaks the JSON schema."""
    import jsonschema

    schema = yaml.load(SCHEMA_PATH.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "<config>"
        message = error.message
        if error.validator == "oneOf":
            allowed = [_describe(option, schema) for option in error.validator_value]
            message = f"{error.instance!r} is not {' or '.join(allowed)}"
        elif error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            allowed = sorted(error.schema.get("properties", {}))
            unknown = sorted(set(error.instance) - set(allowed))
            prefix = f"{where}." if error.absolute_path else ""
            raise ConfigError(f"{prefix}{unknown[0]}: unknown key; allowed: {allowed}")
        raise ConfigError(f"{where}: {message}")


def _describe(option: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """A schema alternative in words (what a oneOf error says is allowed)."""
    if "$ref" in option:
        definition = schema["$defs"][option["$ref"].rsplit("/", 1)[-1]]
        if definition.get("type") == "array" and definition.get("items", {}).get("type") == "number":
            return "a list of numbers"
        return definition.get("description", option["$ref"].rsplit("/", 1)[-1])
    if option.get("type") == "array" and option.get("items", {}).get("type") == "number":
        return "a list of numbers"
    if option.get("type") == "object":
        return "{" + ", ".join(option.get("required", option.get("properties", {}))) + "}"
    return f"a {option.get('type', 'value')}"


def non_finite(value: Any, key: str) -> None:
    """Reject inf and nan anywhere in a config (YAML's ``.inf``, ``.nan``): no run means them."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            non_finite(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            non_finite(item, f"{key}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        fail(key or "<config>", f"{value} is not a finite number")


def check_config(config: Mapping[str, Any]) -> None:
    """The model-free checks of a whole config: finite numbers, the schema, and every figure
    naming experiments the config defines."""
    non_finite(config, "")
    schema_errors(config)
    defined = sorted(config["experiments"])
    for figure, spec in config.get("figures", {}).items():
        for name in spec["experiments"]:
            if name not in config["experiments"]:
                fail(f"figures.{figure}.experiments", f"no experiment {name!r}; defined: {defined}")
