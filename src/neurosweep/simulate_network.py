"""The runner of network models: one jitted program per chunk, explicitly batched over points.

Each point draws its connectivity and initial state from its own seed
(the threefry keys ``(1, seed)`` and ``(2, seed)``), so a point's network is the same whatever chunk it
runs in. Spikes are kept in the loop as bits (one 32-bit word per 32 neurons per step) and
stored as events (time, neuron); per-neuron input statistics (mean and sd over time of the
excitatory, inhibitory and net synaptic input) are accumulated in float64; chosen neurons'
variables can be recorded as traces.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.batching import batch_fields, batch_params
from neurosweep.experiments import Experiment
from neurosweep.models import get_model
from neurosweep.models._network import BUFFER_SIZE, WORD
from neurosweep.protocols import protocol_inputs

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["NetworkPlan", "network_arguments", "run_network_chunk", "simulate_network"]

log = logging.getLogger("neurosweep")
# Event counts and input statistics accumulate in 64-bit (and float64 experiments need it).
jax.config.update("jax_enable_x64", True)

#: Per-neuron input statistics accumulated over the run (mean and sd over time).
_INPUTS = ("I_exc", "I_inh", "I_net")


@dataclasses.dataclass(frozen=True)
class NetworkPlan:
    """Everything static about a network run (hashable: it keys the compiled program)."""

    model: str
    dt_ms: float
    n_steps: int
    protocol_kind: str
    dtype: str
    sizes: tuple[tuple[str, int], ...]
    width: int
    initial: str
    record_variables: tuple[str, ...] = ()
    record_neurons: tuple[int, ...] = ()
    record_every_steps: int = 1
    input_statistics: bool = True
    buffer_size: int = BUFFER_SIZE

    @classmethod
    def of(cls, experiment: Experiment) -> NetworkPlan:
        model = experiment.model
        params = model.Params(**{**dataclasses.asdict(model.Params()), **experiment.params})
        sizes = model.network.sizes(params)
        probability = model.network.connection_probability
        largest_p = max([float(experiment.params.get(probability, getattr(model.Params(), probability)))]
                        + [float(v) for v in {**experiment.grid_axes, **experiment.zip_axes}.get(probability, [])])  # fmt: skip
        return cls(
            model=model.name,
            dt_ms=experiment.dt_ms,
            n_steps=experiment.n_steps,
            protocol_kind=experiment.protocol_kind,
            dtype=experiment.precision,
            sizes=tuple(sizes.items()),
            width=model.network.max_out_degree(sizes, largest_p),
            initial=json.dumps(experiment.initial, sort_keys=True),
            record_variables=experiment.record_variables,
            record_neurons=experiment.record_neurons,
            record_every_steps=experiment.record_every_steps,
            input_statistics=experiment.record_input_statistics,
        )


#: A point's independent random streams: the threefry keys (stream, seed).
CONNECTIVITY_STREAM, INITIAL_STATE_STREAM = 1, 2


def stream_key(seed: jax.Array, stream: int) -> jax.Array:
    """The threefry key ``(stream, seed)`` (``PRNGKey(seed)`` is ``(0, seed)``; seeds below 2**32).

    Distinct keys give independent streams, and, unlike ``fold_in``, deriving them costs no
    threefry call: every random kernel is a sizeable part of a network job's cold compile.
    """
    data = jnp.stack([jnp.asarray(stream, jnp.uint32), jnp.asarray(seed).astype(jnp.uint32)])
    return jax.random.wrap_key_data(data, impl="threefry2x32")


def _pack(spike: jax.Array) -> jax.Array:
    """(point, n) bools -> (point, ceil(n / 32)) uint32 words, neuron j at bit j % 32 of word j // 32."""
    n_points, n = spike.shape
    words = jnp.pad(spike, ((0, 0), (0, -n % WORD))).reshape(n_points, -1, WORD).astype(jnp.uint32)
    return jnp.sum(words << jnp.arange(WORD, dtype=jnp.uint32), axis=2, dtype=jnp.uint32)


@functools.partial(jax.jit, static_argnames=("plan",))
def simulate_network(params: Any, fields: Mapping[str, jax.Array], seeds: jax.Array, plan: NetworkPlan) -> dict[str, Any]:
    """Run a batch of networks (every leaf of ``params``/``fields`` has a leading ``point`` axis)."""
    model = get_model(plan.model)
    network = model.network
    sizes = dict(plan.sizes)
    dtype = jnp.dtype(plan.dtype)
    initial = json.loads(plan.initial)
    connectivity = jax.vmap(lambda p, s: network.connect(p, stream_key(s, CONNECTIVITY_STREAM), sizes, plan.width))(params, seeds)
    state = jax.vmap(lambda p, s: model.init_state(p, stream_key(s, INITIAL_STATE_STREAM), sizes, initial, plan.dt_ms))(params, seeds)
    n_points, n = state.V.shape
    neurons = jnp.asarray(plan.record_neurons or (0,), jnp.int32)

    def one_step(carry: tuple, i: jax.Array) -> tuple:
        state, sums, events, _ = carry
        inputs = jax.vmap(lambda f: protocol_inputs(plan.protocol_kind, f, i, plan.dt_ms, model.inputs, dtype))(fields)
        inputs["t_ms"] = i.astype(dtype) * plan.dt_ms
        state, observed = model.step(state, params, connectivity, inputs, plan.dt_ms, plan.buffer_size)
        if plan.input_statistics:
            values = [observed["I_exc"], observed["I_inh"], observed["I_exc"] + observed["I_inh"]]
            sums = tuple(s + jnp.stack([v.astype(jnp.float64), v.astype(jnp.float64) ** 2]) for s, v in zip(sums, values))
        # Carry to the block's end only the observables recorded there (recorded neurons only).
        currents = {name: inputs[name] if name in model.inputs else observed[name][:, neurons] for name in carried}
        return (state, sums, events + observed["events"].astype(jnp.int64), currents), _pack(state.spike)

    def block(carry: tuple, b: jax.Array) -> tuple:
        steps = b * plan.record_every_steps + jnp.arange(plan.record_every_steps)
        carry, words = jax.lax.scan(one_step, carry, steps)
        state, observed = carry[0], carry[3]
        values = {name: observed[name] if name in carried else getattr(state, name)[:, neurons] for name in plan.record_variables}
        return carry, (words, values)

    zeros = jnp.zeros((2, n_points, n) if plan.input_statistics else (2, n_points, 0), jnp.float64)
    carried = tuple(name for name in plan.record_variables if not hasattr(state, name))
    observed0 = {name: jnp.zeros((n_points,) if name in model.inputs else (n_points, neurons.size), dtype) for name in carried}
    carry = (state, (zeros, zeros, zeros), jnp.zeros((n_points,), jnp.int64), observed0)
    n_blocks = plan.n_steps // plan.record_every_steps
    (state, sums, events, _), (words, traces) = jax.lax.scan(block, carry, jnp.arange(n_blocks))
    means = {name: s[0] / plan.n_steps for name, s in zip(_INPUTS, sums)}
    sds = {name: jnp.sqrt(jnp.maximum(s[1] / plan.n_steps - means[name] ** 2, 0.0)) for name, s in zip(_INPUTS, sums)}
    return {
        "spike_words": words.reshape(plan.n_steps, n_points, -1),
        "traces": traces,
        "input_mean": means,
        "input_sd": sds,
        "synaptic_events": events,
        "out_degree": connectivity.out_degree,
        "truncated": connectivity.truncated,
        "finite": jnp.all(jnp.isfinite(state.V), axis=1),
    }


def spike_events(words: np.ndarray, dt_ms: float, n_neurons: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decode (step, point, word) spike bits into each point's (spike times in ms, neuron indices),
    ordered by time then neuron; the time of a spike is the end of its step."""
    step, point, word = np.nonzero(words)
    bits = (words[step, point, word][:, None] >> np.arange(WORD, dtype=np.uint32)) & 1
    row, bit = np.nonzero(bits)
    step, point, neuron = step[row], point[row], word[row] * WORD + bit
    order = np.lexsort((neuron, step, point))
    step, point, neuron = step[order], point[order], neuron[order]
    bounds = np.searchsorted(point, np.arange(words.shape[1] + 1))
    return [(((step[a:b] + 1) * dt_ms).round(9), neuron[a:b].astype(np.int32)) for a, b in zip(bounds[:-1], bounds[1:])]


def network_arguments(experiment: Experiment, chunk_index: int = 0, size: int | None = None) -> tuple[Any, dict[str, jax.Array], jax.Array, NetworkPlan]:
    """``(params, fields, seeds, plan)`` of one chunk, padded to ``size`` points (default the chunk size)."""
    points = experiment.chunk_columns(chunk_index)
    size = experiment.chunk_size if size is None else size
    # Padding repeats the last point (its results are dropped).
    points = {name: np.concatenate([values, values[-1:].repeat(max(size - len(values), 0), axis=0)]) for name, values in points.items()}
    dtype = np.dtype(experiment.precision)
    params = batch_params(experiment.model, experiment.params, points, dtype)
    return params, batch_fields(experiment, points, dtype), jnp.asarray(points["seed"]), NetworkPlan.of(experiment)


def run_network_chunk(
    experiment: Experiment, n_real: int, seeds: np.ndarray, point_coords: Mapping[str, Any], batch_params: Any, batch_fields: Mapping[str, jax.Array]
) -> xr.Dataset:
    """Simulate one chunk (padded to the chunk size; the first ``n_real`` points are kept) and
    return its dataset (dims ``point``, ``spike``, ``neuron``, and ``time, recorded_neuron`` for traces)."""
    import xarray as xr

    dtype = np.dtype(experiment.precision)
    plan = NetworkPlan.of(experiment)
    out = simulate_network(batch_params, batch_fields, jnp.asarray(seeds), plan)
    out = jax.tree_util.tree_map(np.asarray, out)
    sizes = dict(plan.sizes)
    n = sum(sizes.values())
    events = spike_events(out["spike_words"][:, :n_real], experiment.dt_ms, n)
    width = max([len(t) for t, _ in events] + [1])
    spike_time = np.full((n_real, width), np.nan)
    spike_neuron = np.full((n_real, width), -1, np.int32)
    for row, (times, neurons) in enumerate(events):
        spike_time[row, : len(times)], spike_neuron[row, : len(neurons)] = times, neurons
    population = np.concatenate([np.full(size, k, np.int8) for k, size in enumerate(sizes.values())])
    model = experiment.model
    data_vars: dict[str, Any] = {
        "spike_time_ms": (("point", "spike"), spike_time, {"units": "ms", "long_name": "spike time (NaN-padded)"}),
        "spike_neuron": (("point", "spike"), spike_neuron, {"units": "1", "long_name": "index of the spiking neuron (-1 padding)"}),
        "n_spikes": ("point", np.array([len(t) for t, _ in events], np.int64), {"units": "1", "long_name": "number of spikes"}),
        "synaptic_events": ("point", out["synaptic_events"][:n_real], {"units": "1", "long_name": "synaptic events delivered (spikes x out-degree)"}),
        "out_degree": (("point", "neuron"), out["out_degree"][:n_real], {"units": "1", "long_name": "synapses per presynaptic neuron"}),
        "table_rows_full": ("point", out["truncated"][:n_real], {"units": "1", "long_name": "connectivity rows filled to the table width, which may have lost synapses (must be 0)"}),
        "diverged": ("point", ~out["finite"][:n_real], {"long_name": "membrane potential became NaN or infinite"}),
    }
    for name in _INPUTS if plan.input_statistics else ():
        long = {"I_exc": "excitatory input g_e (E_e - V)", "I_inh": "inhibitory input g_i (E_i - V)", "I_net": "net synaptic input"}[name]
        data_vars[f"{name}_mean"] = (("point", "neuron"), out["input_mean"][name][:n_real], {"units": "mV", "long_name": f"time mean of the {long}"})
        data_vars[f"{name}_sd"] = (("point", "neuron"), out["input_sd"][name][:n_real], {"units": "mV", "long_name": f"sd over time of the {long}"})
    k = experiment.record_every_steps
    time = (np.arange(1, experiment.n_steps // k + 1) * k * experiment.dt_ms).round(9)
    variables = model.network.neuron_variables
    for name, trace in out["traces"].items():
        if name in model.inputs:  # the external input: one trace per point, stored as input_<name>
            data_vars[f"input_{name}"] = (("point", "time"), np.moveaxis(trace, 0, 1)[:n_real].astype(dtype), {"units": model.inputs[name], "long_name": f"external input {name}"})
            continue
        data_vars[name] = (("point", "time", "recorded_neuron"), np.moveaxis(trace, 0, 1)[:n_real].astype(dtype),
                           {"units": variables[name].units, "long_name": variables[name].long_name})  # fmt: skip
    coords = dict(point_coords)
    coords["neuron"] = ("neuron", np.arange(n))
    coords["population"] = ("neuron", population, {"long_name": "population", "flag_values": list(range(len(sizes))), "flag_meanings": " ".join(sizes)})
    if experiment.record_variables:
        coords["time"] = ("time", time, {"units": "ms", "long_name": "time"})
    if experiment.record_neurons:
        coords["recorded_neuron"] = ("recorded_neuron", np.asarray(plan.record_neurons, np.int64))
    attrs = {f"n_{name}": size for name, size in sizes.items()} | {
        "populations": " ".join(sizes),
        "connectivity": "every pair with probability p_conn, drawn from the threefry key (1, seed) (neurosweep.simulate_network.stream_key); "
        f"out-edge table width {plan.width}",
    }
    dataset = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    if int(dataset["table_rows_full"].sum()):
        log.warning("%s: %d connectivity rows reached the table width and may have lost synapses", experiment.name, int(dataset["table_rows_full"].sum()))
    return dataset
