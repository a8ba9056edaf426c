"""Dynamical-systems toolkit: fixed points, Jacobians and their stability (pure JAX, float64).

The JAX part (:mod:`neurosweep.dynamics.fixed_points`) is imported on first use, so that the
figures, which read bifurcations off stored fixed points (:mod:`neurosweep.dynamics.bifurcation`,
numpy and xarray), never import JAX.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["STABILITY_LABELS", "classify", "find_fixed_point"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("neurosweep.dynamics.fixed_points"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
