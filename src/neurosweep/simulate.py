"""Run a chunk of sweep points as one jitted, vmapped JAX call.

The chunk is padded to the experiment's fixed ``chunk_size`` (repeating its last point) so that
every chunk of an experiment reuses one compiled executable; sweep values enter as traced arrays,
never as Python constants baked into the program. Each point draws its random initial state from
its own seed only, so a point's result does not depend on the chunk it lands in.

Inside the loop the runner keeps, per point: the model state, its spikes as bits (one 32-bit
word per 32 steps, decoded into spike times after the run: nothing to overflow, nothing
dropped), and the first block at which the state went non-finite (divergence is flagged in the
data, never hidden).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr

from neurosweep.dynamics.fixed_points import STABILITY_LABELS, find_fixed_point
from neurosweep.batching import batch_fields as _batch_fields
from neurosweep.batching import batch_params, column as _column
from neurosweep.experiments import INIT_SUFFIX, Experiment
from neurosweep.models import get_model
from neurosweep.protocols import PROTOCOLS, protocol_inputs

# float64 is asked for per experiment; with x64 on, float32 stays float32 because every array
# here is created with an explicit dtype.
jax.config.update("jax_enable_x64", True)

__all__ = ["run_chunk", "RunPlan", "simulate_batch", "batch_params"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """Everything static about a run: the compiled program depends on these and nothing else."""

    model: str
    method: str
    dt_ms: float
    n_steps: int
    protocol_kind: str
    record_variables: tuple[str, ...]
    record_every_steps: int
    dtype: str

    @classmethod
    def of(cls, experiment: Experiment) -> RunPlan:
        return cls(
            model=experiment.model.name,
            method=experiment.method,
            dt_ms=experiment.dt_ms,
            n_steps=experiment.n_steps,
            protocol_kind=experiment.protocol_kind,
            record_variables=experiment.record_variables,
            record_every_steps=experiment.record_every_steps,
            dtype=experiment.precision,
        )


#: Spikes are kept as bits, one 32-bit word per 32 steps: no buffer to overflow, no scatter.
_WORD_BITS = 32


def _block_steps(plan: RunPlan) -> int:
    """Steps between recordings; the whole run when nothing is recorded (one block)."""
    return plan.record_every_steps if plan.record_variables else plan.n_steps


def _run_single(params: Any, fields: Mapping[str, jax.Array], initial: Mapping[str, jax.Array], plan: RunPlan):
    model = get_model(plan.model)
    dtype = jnp.dtype(plan.dtype)
    dt = plan.dt_ms
    state_names = set(model.state_names)
    recorded_obs = tuple(v for v in plan.record_variables if v not in state_names)
    k = _block_steps(plan)
    words_per_block = -(-k // _WORD_BITS)

    def advance(i: jax.Array, carry: tuple) -> tuple:
        state, observed, word, first = carry
        inputs = protocol_inputs(plan.protocol_kind, fields, i, dt, model.inputs, dtype)
        state, observables = model.step(state, params, inputs, dt, plan.method)
        bit = observables["spike"].astype(jnp.uint32) << (i - first).astype(jnp.uint32)
        observed = {v: {**observables, **inputs}[v] for v in recorded_obs}
        return state, observed, word | bit, first

    def word(carry: tuple, w: jax.Array) -> tuple:
        (state, observed), block_start = carry
        first = block_start + w * _WORD_BITS
        last = jnp.minimum(first + _WORD_BITS, block_start + k)
        state, observed, bits, _ = jax.lax.fori_loop(first, last, advance, (state, observed, jnp.uint32(0), first))
        return ((state, observed), block_start), bits

    def finite(state: Any) -> jax.Array:
        # A non-finite state stays non-finite (NaN propagates), so a check per block finds it.
        return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(state)]))

    def block(carry: tuple, b: jax.Array) -> tuple:
        inner, first_bad_block = carry
        if words_per_block == 1:  # one word per block (recording every <= 32 steps): no inner scan
            (inner, _), bits = word((inner, b * k), jnp.int32(0))
            bits = bits[None]
        else:
            (inner, _), bits = jax.lax.scan(word, (inner, b * k), jnp.arange(words_per_block, dtype=jnp.int32))
        state, observed = inner
        first_bad_block = jnp.where((first_bad_block < 0) & ~finite(state), b, first_bad_block)
        values = {v: getattr(state, v) if v in state_names else observed[v] for v in plan.record_variables}
        return (inner, first_bad_block), (values, bits)

    inner = (model.init_state(params, initial), {v: jnp.zeros((), dtype) for v in recorded_obs})
    if not plan.record_variables:
        # Nothing to record: the run is one block, scanned word by word with no outer loop
        # (simpler program, faster compile), and divergence is checked once per word.
        def top_word(carry: tuple, w: jax.Array) -> tuple:
            inner, first_bad = carry
            (inner, _), bits = word((inner, 0), w)
            first_bad = jnp.where((first_bad < 0) & ~finite(inner[0]), w, first_bad)
            return (inner, first_bad), bits

        start = (inner, jnp.full((), -1, jnp.int32))
        (_, first_bad_word), words = jax.lax.scan(top_word, start, jnp.arange(words_per_block, dtype=jnp.int32))
        bad_step = jnp.where(first_bad_word >= 0, jnp.minimum((first_bad_word + 1) * _WORD_BITS, plan.n_steps) - 1, -1)
        return {"traces": {}, "spike_words": words[None, :], "first_bad_step": bad_step}
    blocks = jnp.arange(plan.n_steps // k, dtype=jnp.int32)
    (_, first_bad_block), (traces, spike_words) = jax.lax.scan(block, (inner, jnp.full((), -1, jnp.int32)), blocks)
    # Divergence is known to the block: report the end of the first block with a bad state.
    bad_step = jnp.where(first_bad_block >= 0, (first_bad_block + 1) * k - 1, -1)
    return {"traces": traces, "spike_words": spike_words, "first_bad_step": bad_step}


def spike_steps(spike_words: np.ndarray, block_steps: int) -> list[np.ndarray]:
    """Decode per-point spike bits (point, block, word) into the step indices of the spikes."""
    n_points, _, words_per_block = spike_words.shape
    point, block, word = np.nonzero(spike_words)
    bits = (spike_words[point, block, word][:, None] >> np.arange(_WORD_BITS, dtype=np.uint32)) & 1
    row, bit = np.nonzero(bits)
    steps = block[row] * block_steps + word[row] * _WORD_BITS + bit
    owner = point[row]
    order = np.lexsort((steps, owner))
    steps, owner = steps[order], owner[order]
    return np.split(steps, np.searchsorted(owner, np.arange(1, n_points)))


@functools.partial(jax.jit, static_argnames=("plan",))
def simulate_batch(params: Any, fields: Mapping[str, jax.Array], initial: Mapping[str, jax.Array], plan: RunPlan):
    """Run every point of a batch (leading axis of all leaves) for ``plan.n_steps`` steps."""
    return jax.vmap(functools.partial(_run_single, plan=plan))(params, fields, initial)


def sample_initial(initial: Mapping[str, Any], seeds: np.ndarray, dtype: Any) -> dict[str, jax.Array]:
    """Initial values per point: fixed numbers, or draws from each point's own seed."""
    values = {}
    for index, (name, spec) in enumerate(sorted(initial.items())):
        if not isinstance(spec, Mapping):
            values[name] = jnp.full((len(seeds),), spec, dtype)
            continue
        keys = jax.vmap(lambda s, index=index: jax.random.fold_in(jax.random.PRNGKey(s), index))(jnp.asarray(seeds))
        (dist, (a, b)), = spec.items()
        if dist == "uniform":
            values[name] = jax.vmap(lambda k: jax.random.uniform(k, (), dtype, a, b))(keys)
        else:
            values[name] = a + b * jax.vmap(lambda k: jax.random.normal(k, (), dtype))(keys)
    return values


def initial_values(experiment: Experiment, frame: pd.DataFrame, dtype: Any) -> dict[str, jax.Array]:
    """Each point's initial state: the config's ``init`` (numbers or seeded draws), overridden by
    swept initial values (sweep axes named ``<variable>_init``)."""
    values = sample_initial(experiment.initial, frame["seed"].to_numpy(), dtype)
    for name in experiment.model.state_names:
        if f"{name}{INIT_SUFFIX}" in frame:
            values[name] = jnp.asarray(frame[f"{name}{INIT_SUFFIX}"].to_numpy(), dtype)
    return values


def _pad(frame: pd.DataFrame, size: int) -> pd.DataFrame:
    if len(frame) >= size:
        return frame
    return pd.concat([frame, frame.iloc[[-1] * (size - len(frame))]])


def _point_coords(frame: pd.DataFrame, experiment: Experiment) -> dict[str, Any]:
    model = experiment.model
    initial_units = {f"{name}{INIT_SUFFIX}": model.variables[name].units for name in model.state_names if name in model.variables}
    units = {**model.param_units, **_protocol_units(experiment), **initial_units}
    coords = {"point": ("point", frame.index.to_numpy())}
    for name in frame.columns:
        attrs = {"units": units.get(name, "1"), "long_name": name}
        coords[name] = ("point", frame[name].to_numpy(), attrs)
    return coords


def _protocol_units(experiment: Experiment) -> dict[str, str]:
    if experiment.kind in ("fixed_points", "vector_field"):
        return dict(experiment.model.inputs)
    if experiment.protocol_kind is None:
        return {}
    input_units = experiment.model.inputs["I"]
    units = PROTOCOLS[experiment.protocol_kind].units
    return {k: input_units if u == "input" else u for k, u in units.items()}


def _simulation_dataset(experiment: Experiment, frame: pd.DataFrame) -> xr.Dataset:
    n_real = len(frame)
    padded = _pad(frame, experiment.chunk_size)
    dtype = np.dtype(experiment.precision)
    plan = RunPlan.of(experiment)
    out = simulate_batch(
        batch_params(experiment.model, experiment.params, padded, dtype),
        _batch_fields(experiment, padded, dtype),
        initial_values(experiment, padded, dtype),
        plan,
    )
    out = jax.tree_util.tree_map(lambda x: np.asarray(x)[:n_real], out)
    model = experiment.model
    units = {**model.variables, **{k: None for k in model.inputs}}
    k = experiment.record_every_steps
    time = (np.arange(1, experiment.n_steps // k + 1) * k * experiment.dt_ms).round(9)
    data_vars = {}
    for name, trace in out["traces"].items():
        var = units.get(name)
        attrs = (
            {"units": var.units, "long_name": var.long_name}
            if var
            else {"units": _protocol_units(experiment).get("I", model.inputs[name]), "long_name": f"input {name}"}
        )
        # A recorded input is a trace, distinct from the swept protocol value of the same name.
        data_vars[name if var else f"input_{name}"] = (("point", "time"), trace, attrs)
    steps = spike_steps(out["spike_words"], _block_steps(plan))
    n_spikes = np.array([len(x) for x in steps], dtype=np.int64)
    spike_times = np.full((n_real, max(int(n_spikes.max(initial=0)), 1)), np.nan)
    for row, point_steps in enumerate(steps):
        spike_times[row, : len(point_steps)] = (point_steps + 1) * experiment.dt_ms
    data_vars["spike_times"] = (("point", "spike"), spike_times.round(9), {"units": "ms", "long_name": "spike time (NaN-padded)"})
    data_vars["n_spikes"] = ("point", n_spikes, {"units": "1", "long_name": "number of spikes"})
    bad = out["first_bad_step"]
    data_vars["diverged"] = ("point", bad >= 0, {"long_name": "state became NaN or infinite"})
    data_vars["t_diverged_ms"] = ("point", np.where(bad >= 0, (bad + 1) * experiment.dt_ms, np.nan), {"units": "ms", "long_name": "time by which the state was non-finite (checked once per record interval, or per 32 steps when nothing is recorded)"})
    coords = _point_coords(frame, experiment)
    coords["time"] = ("time", time, {"units": "ms", "long_name": "time"})
    dataset = xr.Dataset(data_vars, coords=coords)
    for point in frame.index[bad >= 0]:
        log.warning("%s: point %d (%s) diverged at t = %.3f ms", experiment.name, point, frame.loc[point].to_dict(), (bad[frame.index.get_loc(point)] + 1) * experiment.dt_ms)
    return dataset


def _scalar_params(experiment: Experiment) -> Any:
    """The experiment's one parameter set (defaults with its fixed values), in its precision."""
    values = {**dataclasses.asdict(experiment.model.Params()), **experiment.params}
    return experiment.model.Params(**{k: jnp.asarray(v, experiment.precision) for k, v in values.items()})


def _function_dataset(experiment: Experiment) -> xr.Dataset:
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
    """Indices of the converged fixed points that differ from every earlier one (sorted by V)."""
    kept: list[int] = []
    for index in np.flatnonzero(converged)[np.argsort(states[converged, 0], kind="stable")]:
        scale = 1.0 + np.abs(states[index])
        if all(np.any(np.abs(states[index] - states[j]) > tolerance * scale) for j in kept):
            kept.append(int(index))
    return np.asarray(kept, dtype=int)


def _constant_inputs(experiment: Experiment, frame: pd.DataFrame, dtype: Any) -> dict[str, jax.Array]:
    """Each point's constant inputs (fixed points, vector fields): swept, set in ``inputs``, or 0."""
    return {name: jnp.asarray(_column(frame, name, experiment.inputs.get(name, 0.0), dtype)) for name in experiment.model.inputs}


def _fixed_point_dataset(experiment: Experiment, frame: pd.DataFrame) -> xr.Dataset:
    """Newton from the configured initial state, or from every point of a grid of guesses.

    Without ``guesses``, one fixed point per sweep point (dims ``point``); with them, every
    distinct converged fixed point (dims ``point, fixed_point``, NaN-padded, ``n_fixed_points``).
    """
    model = experiment.model
    names = model.continuous_names
    dtype = np.dtype(experiment.precision)
    params = batch_params(model, experiment.params, frame, dtype)
    inputs = _constant_inputs(experiment, frame, dtype)
    initial = initial_values(experiment, frame, dtype)

    def solve(p: Any, x: Mapping[str, jax.Array], start: Mapping[str, jax.Array]) -> dict[str, Any]:
        return find_fixed_point(model.derivatives, model.init_state(p, start), p, x, variables=names)

    if experiment.guesses:
        grid = np.meshgrid(*experiment.guesses.values(), indexing="ij")
        guesses = {name: jnp.asarray(values.ravel(), dtype) for name, values in zip(experiment.guesses, grid)}

        def solve_all(p: Any, x: Mapping[str, jax.Array], start: Mapping[str, jax.Array]) -> dict[str, Any]:
            return jax.vmap(lambda g: solve(p, x, {**start, **g}))(guesses)

        found = jax.tree_util.tree_map(np.asarray, jax.jit(jax.vmap(solve_all))(params, inputs, initial))
        states = np.stack([getattr(found["state"], name) for name in names], axis=-1)  # point, guess, var
        chosen = [_distinct(states[i], found["converged"][i]) for i in range(len(frame))]
        width = max([len(c) for c in chosen] + [1])

        def gather(values: np.ndarray, fill: Any) -> np.ndarray:
            out = np.full((len(frame), width) + values.shape[2:], fill, dtype=np.result_type(values, type(fill)))
            for i, indices in enumerate(chosen):
                out[i, : len(indices)] = values[i, indices]
            return out

        found = {key: gather(value, np.nan if key != "stability" else 0) for key, value in
                 [("eigenvalues", found["eigenvalues"]), ("residual", found["residual"]), ("stability", found["stability"])]
                 + [(name, getattr(found["state"], name)) for name in names]}  # fmt: skip
        dims: tuple[str, ...] = ("point", "fixed_point")
        extra = {"n_fixed_points": ("point", np.array([len(c) for c in chosen]), {"long_name": "number of distinct fixed points"})}
    else:
        raw = jax.tree_util.tree_map(np.asarray, jax.jit(jax.vmap(solve))(params, inputs, initial))
        found = {"eigenvalues": raw["eigenvalues"], "residual": raw["residual"], "stability": raw["stability"]}
        found.update({name: getattr(raw["state"], name) for name in names})
        dims, extra = ("point",), {}
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
    return xr.Dataset(data_vars, coords=_point_coords(frame, experiment))


def _vector_field_dataset(experiment: Experiment, frame: pd.DataFrame) -> xr.Dataset:
    """The model's vector field on a grid of its continuous variables, per sweep point.

    Dims ``point`` then the plane's variables; nullclines are the zero contours of each rate.
    """
    model = experiment.model
    dtype = np.dtype(experiment.precision)
    params = batch_params(model, experiment.params, frame, dtype)
    inputs = _constant_inputs(experiment, frame, dtype)
    names = list(experiment.plane)
    mesh = {name: jnp.asarray(grid, dtype) for name, grid in zip(names, np.meshgrid(*experiment.plane.values(), indexing="ij"))}

    def field(p: Any, x: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        rates = model.derivatives(model.init_state(p, mesh), p, x)
        return {name: getattr(rates, name) for name in names}

    rates = jax.jit(jax.vmap(field))(params, inputs)
    data_vars = {
        f"d{name}_dt": (("point", *names), np.asarray(rates[name]), {"units": f"{model.variables[name].units}/ms", "long_name": f"rate of change of {name}"})
        for name in names
    }
    coords = {name: (name, grid, {"units": model.variables[name].units, "long_name": model.variables[name].long_name}) for name, grid in experiment.plane.items()}
    return xr.Dataset(data_vars, coords={**_point_coords(frame, experiment), **coords})


def _network_dataset(experiment: Experiment, chunk_index: int, frame: pd.DataFrame) -> xr.Dataset:
    """A chunk of a network model: padded to the chunk size like neurons, run batched."""
    from neurosweep.simulate_network import network_arguments, run_network_chunk

    params, fields, seeds, _ = network_arguments(experiment, chunk_index)
    return run_network_chunk(experiment, len(frame), seeds, _point_coords(frame, experiment), params, fields)


def run_chunk(experiment: Experiment, chunk_index: int) -> xr.Dataset:
    """Simulate (or evaluate) one chunk of an experiment; returns a Dataset over ``point``."""
    if experiment.kind == "function":
        return _function_dataset(experiment)
    frame = experiment.chunk(chunk_index)
    if experiment.model.network is not None:
        return _network_dataset(experiment, chunk_index, frame)
    if experiment.kind == "vector_field":
        return _vector_field_dataset(experiment, frame)
    if experiment.kind == "fixed_points":
        return _fixed_point_dataset(experiment, frame)
    return _simulation_dataset(experiment, frame)
