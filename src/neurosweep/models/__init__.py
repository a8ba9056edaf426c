"""Model registry: every module in this package that defines ``MODEL`` (or ``MODELS``, a family's
variants in one file) is a model.

Adding a model family means adding one file here; nothing else in the tree names it.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from neurosweep.models.base import ModelSpec

__all__ = ["ModelSpec", "available_models", "get_model", "model_module"]


@functools.cache
def _registry() -> dict[str, ModelSpec]:
    return {name: spec for name, (spec, _) in _modules().items()}


@functools.cache
def _modules() -> dict[str, tuple[ModelSpec, str]]:
    models: dict[str, tuple[ModelSpec, str]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        specs = getattr(module, "MODELS", ()) + ((module.MODEL,) if hasattr(module, "MODEL") else ())
        for spec in specs:
            if isinstance(spec, ModelSpec):
                models[spec.name] = (spec, module.__name__)
    return models


def available_models() -> list[str]:
    """Names of all registered models."""
    return sorted(_registry())


def model_module(name: str) -> str:
    """The module that defines model ``name`` (e.g. ``neurosweep.models.cann`` for ``cann1d``)."""
    get_model(name)
    return _modules()[name][1]


def get_model(name: str) -> ModelSpec:
    """The model registered as ``name``; a clear error lists the allowed names."""
    try:
        return _registry()[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; allowed: {available_models()}") from None
