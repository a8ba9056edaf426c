"""A chunk's sweep points as batched JAX inputs: one leading ``point`` axis on every leaf.

Light on imports (no xarray): the network runner and the benchmarks use it directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from neurosweep.experiments import Experiment
from neurosweep.models import ModelSpec

__all__ = ["column", "batch_params", "batch_fields"]


def column(frame: pd.DataFrame, name: str, fixed: Any, dtype: Any) -> np.ndarray:
    values = frame[name].to_numpy() if name in frame else fixed
    return np.broadcast_to(np.asarray(values, dtype=dtype), (len(frame),) + np.shape(values)[1 if name in frame else 0 :])


def batch_params(model: ModelSpec, fixed: Mapping[str, float], frame: pd.DataFrame, dtype: Any) -> Any:
    """A ``Params`` pytree whose leaves are arrays over the points of ``frame``."""
    defaults = dataclasses.asdict(model.Params())
    values = {name: column(frame, name, fixed.get(name, default), dtype) for name, default in defaults.items()}
    return model.Params(**{k: jnp.asarray(v) for k, v in values.items()})


def batch_fields(experiment: Experiment, frame: pd.DataFrame, dtype: Any) -> dict[str, jax.Array]:
    fields = {}
    for name, value in experiment.protocol.items():
        if name in frame:
            fields[name] = jnp.asarray(frame[name].to_numpy(), dtype)
        else:
            array = np.asarray(value, dtype=dtype)
            fields[name] = jnp.asarray(np.broadcast_to(array, (len(frame),) + array.shape))
    return fields
