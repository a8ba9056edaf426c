"""Datasets of the dynamics toolkit: a model's analytic functions, fixed points and vector fields.

Each takes a validated experiment (and its built chunk of sweep points) and returns a labelled
Dataset; the fixed points and vector fields use the model's own ``derivatives`` and
``init_state``, one implementation for simulation and analysis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from neurosweep.chunks import Chunk
from neurosweep.dynamics.fixed_points import STABILITY_LABELS, find_fixed_point, step_map_growth_rates
from neurosweep.dynamics.slow_points import SPEED_TOLERANCE, follow_flow
from neurosweep.experiments import Experiment
from neurosweep.models.base import Setup

__all__ = ["fixed_point_dataset", "function_dataset", "slow_point_dataset", "vector_field_dataset"]

#: Fixed points and vector fields draw nothing: a model's init gets a fixed key it does not use.
_NO_KEY = jnp.zeros(2, jnp.uint32)


def _coords(chunk: Chunk) -> dict[str, Any]:
    """The real points' coordinates (a chunk of these kinds is never padded past them)."""
    return dict(chunk.coords)


def _scalar_params(experiment: Experiment) -> Any:
    """The experiment's one parameter set (defaults with its fixed values), in its precision."""
    values = {**dataclasses.asdict(experiment.model.Params()), **experiment.params}
    return experiment.model.Params(**{k: jnp.asarray(v, experiment.precision) for k, v in values.items()})


def function_dataset(experiment: Experiment) -> xr.Dataset:
    model = experiment.model
    function = model.functions[experiment.function]
    dtype = np.dtype(experiment.precision)
    params = _scalar_params(experiment)
    values = function.fn(params, jnp.asarray(experiment.function_grid, dtype))
    grid = function.grid_name
    data_vars = {
        name: (grid, np.asarray(values[name]), {"units": meta.units, "long_name": meta.long_name})
        for name, meta in function.outputs.items()
    }
    return xr.Dataset(data_vars, coords={grid: (grid, experiment.function_grid, {"units": function.grid_units, "long_name": grid})})


def _distinct(states: np.ndarray, converged: np.ndarray, tolerance: float = 1e-6) -> np.ndarray:
    """Indices of the converged fixed points that differ from every earlier one (sorted by V):
    a candidate is a repeat of a kept point when every variable is within ``tolerance`` of it,
    relative to the candidate's own size (1 + |x|)."""
    order = np.flatnonzero(converged)[np.argsort(states[converged, 0], kind="stable")]
    candidates = states[order]
    tolerances = tolerance * (1.0 + np.abs(candidates))
    remaining = np.ones(len(order), bool)
    kept: list[int] = []
    # The first candidate left is kept (no kept point repeats it); every later one it repeats goes.
    # One pass per distinct point, not one per pair.
    while remaining.any():
        first = int(np.argmax(remaining))
        kept.append(int(order[first]))
        remaining &= np.any(np.abs(candidates - candidates[first]) > tolerances, axis=1)
    return np.asarray(kept, dtype=int)


def fixed_point_dataset(experiment: Experiment, chunk: Chunk) -> xr.Dataset:
    """Newton from the configured initial state, or from every point of a grid of guesses.

    Without ``guesses``, one fixed point per sweep point (dims ``point``); with them, every
    distinct converged fixed point (dims ``point, fixed_point``, NaN-padded, ``n_fixed_points``).
    """
    model = experiment.model
    names = model.continuous_names
    dtype = np.dtype(experiment.precision)
    setup = Setup(dt=experiment.dt_ms, method=experiment.method)
    params, inputs, initial, n_points = chunk.params, chunk.inputs, chunk.initial, chunk.n_real

    def solve(p: Any, x: Mapping[str, jax.Array], start: Mapping[str, jax.Array]) -> dict[str, Any]:
        return find_fixed_point(model.derivatives, model.init_state(p, start, _NO_KEY, setup), p, x, variables=names)

    if experiment.guesses:
        grid = np.meshgrid(*experiment.guesses.values(), indexing="ij")
        guesses = {name: jnp.asarray(values.ravel(), dtype) for name, values in zip(experiment.guesses, grid)}

        def solve_all(p: Any, x: Mapping[str, jax.Array], start: Mapping[str, jax.Array]) -> dict[str, Any]:
            return jax.vmap(lambda g: solve(p, x, {**start, **g}))(guesses)

        found = jax.tree_util.tree_map(np.asarray, jax.jit(jax.vmap(solve_all))(params, inputs, initial))
        states = np.stack([getattr(found["state"], name) for name in names], axis=-1)  # point, guess, var
        chosen = [_distinct(states[i], found["converged"][i]) for i in range(n_points)]
        width = max([len(c) for c in chosen] + [1])

        def gather(values: np.ndarray, fill: Any) -> np.ndarray:
            out = np.full((n_points, width) + values.shape[2:], fill, dtype=np.result_type(values, type(fill)))
            for i, indices in enumerate(chosen):
                out[i, : len(indices)] = values[i, indices]
            return out

        found = {key: gather(value, np.nan if key != "stability" else 0) for key, value in
                 [("eigenvalues", found["eigenvalues"]), ("residual", found["residual"]), ("stability", found["stability"])]
                 + [(name, getattr(found["state"], name)) for name in names]}  # fmt: skip
        dims: tuple[str, ...] = ("point", "fixed_point")
        extra = {"n_fixed_points": ("point", np.array([len(c) for c in chosen]), {"long_name": "number of distinct fixed points"})}
    else:
        def solve_with_map(p: Any, x: Mapping[str, jax.Array], start: Mapping[str, jax.Array]) -> dict[str, Any]:
            found = solve(p, x, start)
            if experiment.step_map:
                found["step_map"] = step_map_growth_rates(model.step, found["state"], p, x, setup, _NO_KEY, names)
            return found

        raw = jax.tree_util.tree_map(np.asarray, jax.jit(jax.vmap(solve_with_map))(params, inputs, initial))
        found = {"eigenvalues": raw["eigenvalues"], "residual": raw["residual"], "stability": raw["stability"]}
        found.update({name: getattr(raw["state"], name) for name in names})
        dims, extra = ("point",), {}
        if experiment.step_map:
            extra["step_map_growth_rate"] = (("point", "eigen"), raw["step_map"], {
                "units": "1/ms", "long_name": f"growth rate ln|mu|/dt of the {experiment.method} step map at dt = {experiment.dt_ms:g} ms"})  # fmt: skip
    data_vars = {
        name: (dims, found[name], {"units": model.variables[name].units, "long_name": f"fixed point: {model.variables[name].long_name}"})
        for name in names
    }
    eigenvalues = found["eigenvalues"]
    data_vars["eigenvalue_real"] = ((*dims, "eigen"), eigenvalues.real, {"units": "1/ms", "long_name": "Jacobian eigenvalue, real part"})
    data_vars["eigenvalue_imag"] = ((*dims, "eigen"), eigenvalues.imag, {"units": "1/ms", "long_name": "Jacobian eigenvalue, imaginary part"})
    data_vars["residual"] = (dims, found["residual"], {"units": "1/ms", "long_name": "max |dx/dt| at the fixed point"})
    data_vars["stability"] = (dims, found["stability"].astype(np.int8), {
        "long_name": "fixed-point type",
        "flag_values": list(range(len(STABILITY_LABELS))),
        "flag_meanings": " ".join(label.replace(" ", "_") for label in STABILITY_LABELS),
    })
    data_vars["stable"] = (dims, np.isin(found["stability"], (1, 2)), {"long_name": "linearly stable"})
    data_vars.update(extra)
    return xr.Dataset(data_vars, coords=_coords(chunk))


def slow_point_dataset(experiment: Experiment, chunk: Chunk) -> xr.Dataset:
    """Each sweep point's initial state follows the flow for ``t_stop_ms``; the end point, its
    speed and its Jacobian spectrum (dims ``point``, the model's own, ``eigen``)."""
    model = experiment.model
    names = model.continuous_names
    setup = experiment.setup

    def one(p: Any, x: Mapping[str, jax.Array], start: Mapping[str, jax.Array]) -> dict[str, Any]:
        state = model.init_state(p, start, _NO_KEY, setup)
        return follow_flow(model.derivatives, state, p, x, experiment.n_steps, experiment.dt_ms, names)

    # One candidate at a time: each carries an n x n Jacobian and its eigendecomposition.
    found = jax.jit(lambda args: jax.lax.map(lambda a: one(*a), args))((chunk.params, chunk.inputs, chunk.initial))
    found = jax.tree_util.tree_map(lambda v: np.asarray(v)[: chunk.n_real], found)
    data_vars = {}
    for name in names:
        var = model.variables[name]
        data_vars[name] = (("point", *var.dims), getattr(found["state"], name), {"units": var.units, "long_name": f"fixed point: {var.long_name}"})
    data_vars["speed"] = ("point", found["speed"], {"units": "1/ms2", "long_name": "speed q = |dx/dt|^2 / (2 n) at the end point"})
    data_vars["converged"] = ("point", found["converged"], {"long_name": f"a fixed point: speed below {SPEED_TOLERANCE:g}"})
    data_vars["eigenvalue_real"] = (("point", "eigen"), found["eigenvalues"].real, {"units": "1/ms", "long_name": "Jacobian eigenvalue, real part (largest first)"})
    data_vars["eigenvalue_imag"] = (("point", "eigen"), found["eigenvalues"].imag, {"units": "1/ms", "long_name": "Jacobian eigenvalue, imaginary part"})
    coords = {**_coords(chunk), **model.coords(model.defaults(**experiment.params))}
    return xr.Dataset(data_vars, coords=coords, attrs={"speed_tolerance": SPEED_TOLERANCE})


def vector_field_dataset(experiment: Experiment, chunk: Chunk) -> xr.Dataset:
    """The model's vector field on a grid of its continuous variables, per sweep point.

    Dims ``point`` then the plane's variables; nullclines are the zero contours of each rate.
    """
    model = experiment.model
    dtype = np.dtype(experiment.precision)
    setup = Setup(dt=experiment.dt_ms, method=experiment.method)
    params, inputs = chunk.params, chunk.inputs
    names = list(experiment.plane)
    mesh = {name: jnp.asarray(grid, dtype) for name, grid in zip(names, np.meshgrid(*experiment.plane.values(), indexing="ij"))}

    def field(p: Any, x: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        rates = model.derivatives(model.init_state(p, mesh, _NO_KEY, setup), p, x)
        return {name: getattr(rates, name) for name in names}

    rates = jax.jit(jax.vmap(field))(params, inputs)
    data_vars = {
        f"d{name}_dt": (("point", *names), np.asarray(rates[name]), {"units": f"{model.variables[name].units}/ms", "long_name": f"rate of change of {name}"})
        for name in names
    }
    coords = {name: (name, grid, {"units": model.variables[name].units, "long_name": model.variables[name].long_name}) for name, grid in experiment.plane.items()}
    return xr.Dataset(data_vars, coords={**_coords(chunk), **coords})


def continuation_dataset(experiment: Experiment) -> xr.Dataset:
    """Branches of equilibria traced through their folds (:mod:`neurosweep.dynamics.continuation`).

    Dims ``branch`` (each start, continued both ways: ``2 x starts``) and ``step``; the parameter's
    value along each branch is a variable named after it; ``fold_<name>`` lists the folds found.
    """
    from neurosweep.dynamics.continuation import continue_branch, folds

    model, spec = experiment.model, experiment.continuation
    names = model.continuous_names
    setup = Setup(dt=experiment.dt_ms, method=experiment.method)
    params = _scalar_params(experiment)  # float64 unless the experiment asks otherwise
    base = {name: jnp.asarray(experiment.inputs.get(name, 0.0), jnp.float64) for name in model.inputs}

    def inputs_at(p: jax.Array) -> dict[str, jax.Array]:
        return {name: base[name] + spec["direction"].get(name, 0.0) * p for name in model.inputs}

    def field(x: jax.Array, p: jax.Array) -> jax.Array:
        state = model.init_state(params, dict(zip(names, x)), _NO_KEY, setup)
        rates = model.derivatives(state, params, inputs_at(p))
        return jnp.stack([getattr(rates, name) for name in names])

    trace = jax.jit(continue_branch, static_argnums=(0, 4))  # one program for every start and sense
    branches = []
    for start in spec["starts"]:
        value = jnp.float64(start["value"])
        guess = model.init_state(params, {name: jnp.float64(start[name]) for name in names}, _NO_KEY, setup)
        found = find_fixed_point(model.derivatives, guess, params, inputs_at(value), variables=names)
        x0 = jnp.stack([getattr(found["state"], name) for name in names])
        for sense in (1.0, -1.0):
            run = trace(field, x0, value, float(spec["step"]), int(spec["n_steps"]), sense, float(spec.get("scale", 1.0)))
            branches.append(jax.tree_util.tree_map(np.asarray, run))
    stack = {key: np.stack([b[key] for b in branches]) for key in branches[0]}
    name, units = spec["name"], spec["units"]
    located = np.sort(np.concatenate([folds(b["p"], b["tangent_p"], b["bordered_det"]) for b in branches]))
    # The same fold reached from several starts: one value (they agree to the step's resolution).
    tolerance = 10 * float(spec["step"]) * float(spec.get("scale", 1.0))
    located = np.asarray([group.mean() for group in np.split(located, np.flatnonzero(np.diff(located) > tolerance) + 1) if group.size])
    data_vars = {
        variable: (("branch", "step"), stack["x"][..., k], {"units": model.variables[variable].units, "long_name": f"equilibrium {model.variables[variable].long_name}"})
        for k, variable in enumerate(names)
    }
    data_vars[name] = (("branch", "step"), stack["p"], {"units": units, "long_name": name})
    data_vars["tangent_p"] = (("branch", "step"), stack["tangent_p"], {"units": "1", "long_name": f"d{name}/ds along the branch (0 at a fold)"})
    data_vars["stability"] = (("branch", "step"), stack["stability"].astype(np.int8), {
        "long_name": "fixed-point type", "flag_values": list(range(len(STABILITY_LABELS))),
        "flag_meanings": " ".join(label.replace(" ", "_") for label in STABILITY_LABELS)})  # fmt: skip
    data_vars["stable"] = (("branch", "step"), np.isin(stack["stability"], (1, 2)), {"long_name": "linearly stable"})
    data_vars["residual"] = (("branch", "step"), stack["residual"], {"units": "1/ms", "long_name": "max |dx/dt| at the point"})
    data_vars[f"fold_{name}"] = ("fold", located, {"units": units, "long_name": f"{name} of the folds (saddle-nodes) found"})
    return xr.Dataset(data_vars)
