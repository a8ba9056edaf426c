"""A chunk of sweep points as the runner's inputs, built once: padded parameters, protocol
fields, initial values, seeds and the points' coordinates.

Light on imports (no pandas, no xarray). The chunk is padded to the experiment's fixed
``chunk_size`` by repeating its last point (whose results are dropped), so every chunk of an
experiment reuses one compiled program; sweep values enter as arrays, never as constants baked
into the program.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.experiments import CONSTANT_INPUT_KINDS, INIT_SUFFIX, Experiment
from neurosweep.models import ModelSpec
from neurosweep.protocols import PROTOCOLS

__all__ = ["Chunk", "build_chunk", "column", "batch_params", "point_coords"]

Points = Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Chunk:
    """One chunk's inputs (every array with a leading ``point`` axis of the padded size).

    ``n_real`` points are real; ``coords`` label them (``point`` and one coordinate per swept name).
    """

    params: Any
    fields: Mapping[str, jax.Array]
    initial: Mapping[str, jax.Array]
    seeds: jax.Array
    inputs: Mapping[str, jax.Array]
    n_real: int
    coords: Mapping[str, Any]


def _n_points(points: Points) -> int:
    return len(points["seed"])


def column(points: Points, name: str, fixed: Any, dtype: Any) -> np.ndarray:
    """The swept values of ``name`` over the points, or ``fixed`` broadcast to them."""
    values = np.asarray(points[name]) if name in points else fixed
    return np.broadcast_to(np.asarray(values, dtype=dtype), (_n_points(points),) + np.shape(values)[1 if name in points else 0 :])


def batch_params(model: ModelSpec, fixed: Mapping[str, float], points: Points, dtype: Any) -> Any:
    """A ``Params`` pytree whose leaves are arrays over the points."""
    defaults = dataclasses.asdict(model.Params())
    values = {name: column(points, name, fixed.get(name, default), dtype) for name, default in defaults.items()}
    return model.Params(**{k: jnp.asarray(v) for k, v in values.items()})


def _sample_initial(initial: Mapping[str, Any], seeds: np.ndarray, dtype: Any) -> dict[str, jax.Array]:
    """Scalar initial values per point: fixed numbers, or one draw from each point's own seed."""
    values = {}
    for index, (name, spec) in enumerate(sorted(initial.items())):
        if not isinstance(spec, Mapping):
            values[name] = jnp.full((len(seeds),), spec, dtype)
            continue
        keys = jax.vmap(lambda s, index=index: jax.random.fold_in(jax.random.PRNGKey(s), index))(jnp.asarray(seeds))
        ((dist, (a, b)),) = spec.items()
        if dist == "uniform":
            values[name] = jax.vmap(lambda k: jax.random.uniform(k, (), dtype, a, b))(keys)
        else:
            values[name] = a + b * jax.vmap(lambda k: jax.random.normal(k, (), dtype))(keys)
    return values


def initial_values(experiment: Experiment, points: Points, dtype: Any) -> dict[str, jax.Array]:
    """Each point's initial state of the model's scalar variables: the config's ``init`` (numbers
    or seeded draws), overridden by swept initial values (axes ``<variable>_init``). Variables
    with dims (a network's V) are drawn per element by the model from ``Setup.initial``."""
    model = experiment.model
    scalar = {name: spec for name, spec in experiment.initial.items() if not model.variables.get(name) or not model.variables[name].dims}
    values = _sample_initial(scalar, np.asarray(points["seed"]), dtype)
    for name in model.state_names:
        if f"{name}{INIT_SUFFIX}" in points:
            values[name] = jnp.asarray(np.asarray(points[f"{name}{INIT_SUFFIX}"]), dtype)
    return values


def constant_inputs(experiment: Experiment, points: Points, dtype: Any) -> dict[str, jax.Array]:
    """Each point's constant inputs (fixed points, vector fields): swept, set in ``inputs``, or the
    model's default for an input nothing drives (0 unless its ``input_defaults`` says otherwise)."""
    model = experiment.model
    return {name: jnp.asarray(column(points, name, experiment.inputs.get(name, model.input_defaults.get(name, 0.0)), dtype)) for name in model.inputs}


def _protocol_units(experiment: Experiment) -> dict[str, str]:
    if experiment.kind in CONSTANT_INPUT_KINDS:
        return dict(experiment.model.inputs)
    if experiment.protocol_kind is None:
        return {}
    return PROTOCOLS[experiment.protocol_kind].field_units(experiment.model.inputs)


def point_coords(experiment: Experiment, points: Points, first_point: int) -> dict[str, Any]:
    """``point`` (global indices) and one coordinate per swept name, with units."""
    model = experiment.model
    initial_units = {f"{name}{INIT_SUFFIX}": model.variables[name].units for name in model.state_names if name in model.variables}
    units = {**model.param_units, **_protocol_units(experiment), **initial_units}
    coords = {"point": ("point", first_point + np.arange(_n_points(points)))}
    for name, values in points.items():
        coords[name] = ("point", np.asarray(values), {"units": units.get(name, "1"), "long_name": name})
    return coords


def build_chunk(experiment: Experiment, chunk_index: int, size: int | None = None) -> Chunk:
    """Chunk ``chunk_index`` of ``experiment``, padded to ``size`` points (default the chunk size)."""
    points = experiment.chunk_columns(chunk_index)
    n_real = _n_points(points)
    size = experiment.chunk_size if size is None else size
    padded = {name: np.concatenate([values, values[-1:].repeat(max(size - n_real, 0), axis=0)]) for name, values in points.items()}
    dtype = np.dtype(experiment.precision)
    fields = {name: jnp.asarray(column(padded, name, value, dtype)) for name, value in experiment.protocol.items()}
    return Chunk(
        params=batch_params(experiment.model, experiment.params, padded, dtype),
        fields=fields,
        initial=initial_values(experiment, padded, dtype),
        seeds=jnp.asarray(padded["seed"]),
        inputs=constant_inputs(experiment, padded, dtype),
        n_real=n_real,
        coords=point_coords(experiment, points, chunk_index * experiment.chunk_size),
    )
