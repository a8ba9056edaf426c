"""A chunk's sweep points as batched JAX inputs: one leading ``point`` axis on every leaf.

``points`` is a table of sweep points by column (a ``pandas.DataFrame`` or the plain dict of
:meth:`Experiment.chunk_columns`); it always has a ``seed`` column. Light on imports (no pandas,
no xarray): the network runner and the benchmarks use it directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.experiments import Experiment
from neurosweep.models import ModelSpec

__all__ = ["column", "batch_params", "batch_fields", "n_points"]

Points = Mapping[str, Any]


def n_points(points: Points) -> int:
    return len(points["seed"])


def column(points: Points, name: str, fixed: Any, dtype: Any) -> np.ndarray:
    """The swept values of ``name`` over the points, or ``fixed`` broadcast to them."""
    values = np.asarray(points[name]) if name in points else fixed
    return np.broadcast_to(np.asarray(values, dtype=dtype), (n_points(points),) + np.shape(values)[1 if name in points else 0 :])


def batch_params(model: ModelSpec, fixed: Mapping[str, float], points: Points, dtype: Any) -> Any:
    """A ``Params`` pytree whose leaves are arrays over the points."""
    defaults = dataclasses.asdict(model.Params())
    values = {name: column(points, name, fixed.get(name, default), dtype) for name, default in defaults.items()}
    return model.Params(**{k: jnp.asarray(v) for k, v in values.items()})


def batch_fields(experiment: Experiment, points: Points, dtype: Any) -> dict[str, jax.Array]:
    """The protocol's fields (e.g. the amplitude ``I``) over the points."""
    return {name: jnp.asarray(column(points, name, value, dtype)) for name, value in experiment.protocol.items()}
