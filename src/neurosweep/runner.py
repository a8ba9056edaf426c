"""The runner: one chunk of sweep points, built once, run as one jitted, vmapped JAX call.

Every model (a neuron, a network, a field) runs through :func:`simulate`: the model's
``init_state``/``step`` for one point, wrapped in ``lax.scan`` and ``vmap``ped across the chunk.
Per point the loop keeps the model state, the protocol's carry, the spikes as bits (one 32-bit
word per element of the spiking variable per 32 steps: nothing to overflow, nothing dropped),
the recorded values, the model's running totals and time statistics, and the first stretch of
steps after which the state was non-finite (divergence is flagged in the data, never hidden).
Random numbers come from keys derived from each point's seed only (the model's per-step key,
the protocol's key), so a point's result does not depend on the chunk it lands in.

Spikes are stored once, one way, for every model: events ``spike_time_ms`` (the end of the step
of the spike) and, for a model whose spiking variable has a dim, ``spike_<dim>`` (e.g.
``spike_neuron``), both along ``spike`` (NaN / -1 padded).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.chunks import Chunk, build_chunk
from neurosweep.experiments import Experiment
from neurosweep.models import get_model
from neurosweep.models.base import PROTOCOL_STREAM, STEP_STREAM, Setup, stream
from neurosweep.protocols import PROTOCOLS, protocol_inputs, protocol_start

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Plan", "chunk_arguments", "local_devices_for", "padded_size", "run_chunk", "simulate", "simulation_dataset", "spike_events"]

log = logging.getLogger("neurosweep")

#: Spikes are kept as bits: one 32-bit word per element per 32 steps.
_WORD_BITS = 32
#: On the CPU, points of a model with more elements than this (a 2,000-neuron network) run one
#: after another: each step already fills the cores. Smaller fields are batched: 64 points of the
#: 512-neuron adaptive CANN, 300 ms, take 1.56 s vmapped against 4.66 s one after another.
CPU_BATCH_MAX_ELEMENTS = 1024


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything static about a simulation (hashable: it keys the compiled program)."""

    model: str
    setup: Setup
    n_steps: int
    protocol_kind: str
    dtype: str
    record_variables: tuple[str, ...] = ()
    record_indices: tuple[int, ...] = ()
    record_every_steps: int = 1
    time_statistics: bool = True
    #: The sizes of the model's dims (e.g. ``(("neuron", 4000),)``).
    sizes: tuple[tuple[str, int], ...] = ()
    #: Scalar variables -> threshold whose first crossing is tracked in the loop.
    first_crossing: tuple[tuple[str, float], ...] = ()
    #: The window (start, stop] in steps of spike statistics kept in the loop instead of spike
    #: bits (``record: {spikes: statistics}``); None keeps the bits.
    spike_statistics: tuple[int, int] | None = None
    #: Steps per window of the Fano factor's counts kept with the spike statistics (0: none).
    fano_window_steps: int = 0
    #: The protocol's noise scales that are zero at every point: passed as 0.0, no draw made.
    silent_noise: tuple[str, ...] = ()

    @classmethod
    def of(cls, experiment: Experiment) -> Plan:
        model = experiment.model
        fixed = model.defaults(**experiment.params)
        return cls(
            model=model.name,
            setup=experiment.setup,
            n_steps=experiment.n_steps,
            protocol_kind=experiment.protocol_kind,
            dtype=experiment.precision,
            record_variables=experiment.record_variables,
            record_indices=experiment.record_neurons,
            record_every_steps=experiment.record_every_steps,
            time_statistics=experiment.record_input_statistics,
            sizes=tuple(model.sizes(fixed).items()),
            first_crossing=experiment.record_first_crossing,
            spike_statistics=experiment.spike_statistics_steps,
            fano_window_steps=experiment.fano_window_steps,
            silent_noise=_silent_noise(experiment),
        )

    @property
    def block_steps(self) -> int:
        """Steps per scanned block: a whole number of spike words and of recording intervals."""
        if not self.record_variables:
            return _WORD_BITS
        return math.lcm(self.record_every_steps, _WORD_BITS)


def _silent_noise(experiment: Experiment) -> tuple[str, ...]:
    """The protocol's noise scales (:attr:`neurosweep.protocols.Protocol.noise_scales`) that are
    zero at every sweep point of the experiment."""
    protocol = PROTOCOLS.get(experiment.protocol_kind) if experiment.protocol_kind else None
    if protocol is None or not protocol.noise_scales:
        return ()
    swept = {**experiment.grid_axes, **experiment.zip_axes}  # a swept field's values, not every point's
    values = {name: np.asarray(swept[name] if name in swept else experiment.protocol.get(name, 1.0), float) for name in protocol.noise_scales}
    return tuple(name for name, value in values.items() if value.size and np.all(value == 0.0))


def _finite(state: Any) -> jax.Array:
    # A non-finite state stays non-finite (NaN propagates), so one check per block finds it.
    leaves = [x for x in jax.tree_util.tree_leaves(state) if jnp.issubdtype(x.dtype, jnp.inexact)]
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves])) if leaves else jnp.bool_(True)


def _count_word(running: dict[str, jax.Array], bits: jax.Array, first: jax.Array, window: tuple[int, int], fano_window_steps: int = 0) -> dict[str, jax.Array]:
    """Add the spikes of one word (bit b: a spike at step ``first + b``) to the running count,
    first and last spike step and sum of squared ISIs (in steps) of the spikes in the window: a
    spike at step i (time (i + 1) dt) counts when start < i + 1 <= stop, as in
    :func:`neurosweep.analysis.spike_statistics`. With ``fano_window_steps``, also the sum of
    squared counts in consecutive windows of that many steps from ``start`` (the last one takes
    the remainder), as :func:`neurosweep.analysis.network_statistics` counts them for the Fano
    factor. The spikes are taken lowest bit first, one per element per pass, so the sums are
    those of a step-by-step count, in integers (exact); a word holds at most one spike of a
    neuron whose refractory period is longer than the word, hence usually one pass."""
    start, stop = window
    offsets = jnp.arange(_WORD_BITS, dtype=jnp.int32) + first
    in_window = jnp.sum(jnp.where((offsets >= start) & (offsets < stop), jnp.uint32(1) << jnp.arange(_WORD_BITS, dtype=jnp.uint32), jnp.uint32(0)), dtype=jnp.uint32)
    n_windows = max((stop - start) // fano_window_steps, 1) if fano_window_steps else 0

    def one_spike(carry: tuple[jax.Array, dict[str, jax.Array]]) -> tuple[jax.Array, dict[str, jax.Array]]:
        left, running = carry
        counted = left != 0
        lowest = left & (~left + jnp.uint32(1))
        i = first + (_WORD_BITS - 1) - jax.lax.clz(lowest).astype(jnp.int32)  # the step of the lowest spike left
        seen = running["last_step"] >= 0
        isi = (i - running["last_step"]).astype(jnp.int64)
        new = {
            "count": running["count"] + counted,
            "first_step": jnp.where(counted & ~seen, i, running["first_step"]),
            "last_step": jnp.where(counted, i, running["last_step"]),
            "isi_squares": running["isi_squares"] + jnp.where(counted & seen, isi * isi, 0),
        }
        if fano_window_steps:
            index = jnp.clip((i + 1 - start) // fano_window_steps, 0, n_windows - 1).astype(jnp.int32)
            # Adding a spike to a window of c spikes adds 2c + 1 to the sum of squared counts.
            before = jnp.where(index == running["window"], running["window_count"], 0)
            new["window"] = jnp.where(counted, index, running["window"])
            new["window_count"] = jnp.where(counted, before + 1, running["window_count"])
            new["window_squares"] = running["window_squares"] + jnp.where(counted, 2 * before.astype(jnp.int64) + 1, 0)
        return left & ~lowest, new

    _, running = jax.lax.while_loop(lambda carry: jnp.any(carry[0] != 0), one_spike, (bits & in_window, running))
    return running


def _add_rows(sums: tuple, rows: tuple, n_rows: jax.Array) -> tuple:
    """Running float64 sums and sums of squares plus the first ``n_rows`` rows of each buffer.

    The rows are added one after another, in step order: the sums are bit for bit those of
    adding each step as it comes, but a word's 32 steps cost one pass over their values instead
    of two read-modify-writes of float64 running sums per statistic per step (an E/I network
    step spent a third of its time on them)."""
    out = []
    for (total, squares), values in zip(sums, rows):
        for j in range(values.shape[0]):
            x = jnp.where(j < n_rows, values[j].astype(jnp.float64), 0.0)
            total, squares = total + x, squares + x * x
        out.append((total, squares))
    return tuple(out)


def _run_point(params: Any, fields: Mapping[str, jax.Array], initial: Mapping[str, jax.Array], seed: jax.Array, plan: Plan) -> dict[str, Any]:
    model = get_model(plan.model)
    setup, dt, dtype = plan.setup, plan.setup.dt, jnp.dtype(plan.dtype)
    fields = {**fields, **{name: 0.0 for name in plan.silent_noise}}
    root = jax.random.PRNGKey(seed)
    step_root, protocol_key = stream(root, STEP_STREAM), stream(root, PROTOCOL_STREAM)
    state = model.init_state(params, initial, root, setup)
    indices = jnp.asarray(plan.record_indices, jnp.int32) if plan.record_indices else None
    state_names = set(model.state_names)
    k, block = plan.record_every_steps, plan.block_steps
    words_per_block, samples_per_block = block // _WORD_BITS, block // k if plan.record_variables else 0
    statistics = tuple(model.time_statistics) if plan.time_statistics else ()

    def pick(name: str, value: jax.Array) -> jax.Array:
        """A recorded value: only the chosen elements of a variable with dims."""
        has_dims = name in model.variables and model.variables[name].dims
        return value[indices] if has_dims and indices is not None else value

    def recorded(state: Any, observed: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        return {v: pick(v, getattr(state, v) if v in state_names else observed[v]) for v in plan.record_variables}

    def advance(i: jax.Array, carry: dict) -> dict:
        inputs, protocol = protocol_inputs(plan.protocol_kind, fields, i, dt, model.inputs, dtype, protocol_key, carry["protocol"])
        step_key = jax.random.fold_in(step_root, i) if model.random else None
        state, observed = model.step(carry["state"], params, inputs, step_key, setup)
        new = {**carry, "state": state, "protocol": protocol}
        if model.spikes:
            new["word"] = carry["word"] | (observed[model.spikes].astype(jnp.uint32) << (i - carry["first"]).astype(jnp.uint32))
        if plan.record_variables:
            sample = (i - carry["block_start"]) // k  # every step overwrites its interval's slot: the last one stays
            values = recorded(state, {**observed, **inputs})
            new["samples"] = {v: carry["samples"][v].at[sample].set(values[v]) for v in plan.record_variables}
        if statistics:  # kept for the word's end (see _add_rows), in the model's own precision
            row = i - carry["first"]
            new["statistic_rows"] = tuple(jax.lax.dynamic_update_index_in_dim(rows, observed[n].astype(rows.dtype), row, 0)
                                          for rows, n in zip(carry["statistic_rows"], statistics))  # fmt: skip
        new["totals"] = {n: carry["totals"][n] + observed[n] for n in model.totals}
        reached = {name: getattr(state, name) if name in state_names else observed[name] for name, _ in plan.first_crossing}
        new["crossings"] = {name: jnp.where((carry["crossings"][name] < 0) & (reached[name] >= threshold), i, carry["crossings"][name])
                            for name, threshold in plan.first_crossing}  # fmt: skip
        return new

    def word(carry: dict, w: jax.Array) -> tuple[dict, jax.Array]:
        first = carry["block_start"] + w * _WORD_BITS
        carry = {**carry, "first": first, "word": jnp.zeros_like(carry["word"])}
        stop = jnp.minimum(first + _WORD_BITS, plan.n_steps)
        carry = jax.lax.fori_loop(first, stop, advance, carry)
        if statistics:
            carry = {**carry, "sums": _add_rows(carry["sums"], carry["statistic_rows"], stop - first)}
        if plan.spike_statistics is None:
            return carry, carry["word"]
        # Counted once per word from its bits: a step adds one shift and one or, not the sums.
        counted = _count_word(carry["spike_statistics"], carry["word"], first, plan.spike_statistics, plan.fano_window_steps)
        return {**carry, "spike_statistics": counted}, None

    def one_block(carry: dict, b: jax.Array) -> tuple[dict, tuple]:
        carry = {**carry, "block_start": b * block}
        if words_per_block == 1:
            carry, bits = word(carry, jnp.int32(0))
            bits = bits[None] if bits is not None else None
        else:
            carry, bits = jax.lax.scan(word, carry, jnp.arange(words_per_block, dtype=jnp.int32))
        bad = jnp.where((carry["first_bad_block"] < 0) & ~_finite(carry["state"]), b, carry["first_bad_block"])
        return {**carry, "first_bad_block": bad}, (bits, carry.get("samples", {}))

    # Shapes from the declarations (a variable's dims, sized by the model), not from a traced step.
    def shape(name: str) -> tuple[int, ...]:
        variable = model.variables.get(name) or model.totals.get(name) or model.time_statistics.get(name)
        return tuple(dict(plan.sizes)[d] for d in variable.dims) if variable else ()

    spike_shape = shape(model.spikes) if model.spikes else ()
    template = recorded(state, {name: jnp.zeros(shape(name), dtype) for name in plan.record_variables if name not in state_names})
    carry = {
        "state": state,
        "protocol": protocol_start(plan.protocol_kind, fields),
        "word": jnp.zeros(spike_shape, jnp.uint32),
        "first": jnp.int32(0),
        "block_start": jnp.int32(0),
        "sums": tuple((jnp.zeros(shape(n), jnp.float64),) * 2 for n in statistics),
        "statistic_rows": tuple(jnp.zeros((_WORD_BITS, *shape(n)), dtype) for n in statistics),
        "totals": {n: jnp.zeros(shape(n), jnp.int64) for n in model.totals},
        "first_bad_block": jnp.int32(-1),
        "crossings": {name: jnp.int32(-1) for name, _ in plan.first_crossing},
    }
    if plan.record_variables:
        carry["samples"] = {v: jnp.zeros((samples_per_block, *x.shape), x.dtype) for v, x in template.items()}
    if model.spikes and plan.spike_statistics is not None:
        carry["spike_statistics"] = {
            "count": jnp.zeros(spike_shape, jnp.int64),
            "first_step": jnp.full(spike_shape, -1, jnp.int32),
            "last_step": jnp.full(spike_shape, -1, jnp.int32),
            "isi_squares": jnp.zeros(spike_shape, jnp.int64),  # steps squared: exact
        }
        if plan.fano_window_steps:
            carry["spike_statistics"].update(
                window=jnp.zeros(spike_shape, jnp.int32), window_count=jnp.zeros(spike_shape, jnp.int32), window_squares=jnp.zeros(spike_shape, jnp.int64)
            )
    n_blocks = -(-plan.n_steps // block)
    carry, (bits, samples) = jax.lax.scan(one_block, carry, jnp.arange(n_blocks, dtype=jnp.int32))
    n_words = -(-plan.n_steps // _WORD_BITS)
    traces = {v: x.reshape(-1, *x.shape[2:])[: plan.n_steps // k] for v, x in samples.items()}
    bad = carry["first_bad_block"]
    return {
        "spike_words": bits.reshape(-1, *spike_shape)[:n_words] if bits is not None else None,
        "spike_statistics": carry.get("spike_statistics"),
        "traces": traces,
        "first_bad_step": jnp.where(bad >= 0, jnp.minimum((bad + 1) * block, plan.n_steps) - 1, -1),
        "sums": carry["sums"],
        "totals": carry["totals"],
        "constants": {name: getattr(state, name) for name in model.constants},
        "crossings": carry["crossings"],
    }


def _batched(params: Any, fields: Mapping[str, jax.Array], initial: Mapping[str, jax.Array], seeds: jax.Array, plan: Plan) -> dict[str, Any]:
    """Every point of a batch on one device (see :func:`simulate`)."""
    one_point = functools.partial(_run_point, plan=plan)
    if seeds.shape[0] == 1:
        # One point: no batch axis inside the loop (a vmapped while loop masks its carry on every pass).
        squeeze = functools.partial(jax.tree_util.tree_map, lambda x: x[0])
        out = one_point(squeeze(params), squeeze(fields), squeeze(initial), seeds[0])
        return jax.tree_util.tree_map(lambda x: x[None], out)
    if math.prod(dict(plan.sizes).values()) > CPU_BATCH_MAX_ELEMENTS and jax.default_backend() == "cpu":
        return jax.lax.map(lambda point: one_point(*point), (params, fields, initial, seeds))
    return jax.vmap(one_point)(params, fields, initial, seeds)


def local_devices_for(n_points: int) -> int:
    """How many of this process's devices a batch of ``n_points`` is split over: all of them when
    they divide it (the runner pads a chunk to a multiple of them), else one."""
    n_devices = jax.local_device_count()
    return n_devices if n_devices > 1 and n_points % n_devices == 0 else 1


def padded_size(chunk_size: int) -> int:
    """A chunk's padded size: ``chunk_size`` rounded up to a multiple of the local devices."""
    n_devices = jax.local_device_count()
    return -(-chunk_size // n_devices) * n_devices if chunk_size > 1 else chunk_size


@functools.partial(jax.jit, static_argnames=("plan",))
def simulate(params: Any, fields: Mapping[str, jax.Array], initial: Mapping[str, jax.Array], seeds: jax.Array, plan: Plan) -> dict[str, Any]:
    """Run every point of a batch (leading axis ``point`` of every leaf) for ``plan.n_steps`` steps.

    Points are ``vmap``ped, except on the CPU for a model of more than
    :data:`CPU_BATCH_MAX_ELEMENTS` elements (a network, a 2-D sheet), whose points run one after
    another in the same program (``lax.map``): each step already fills the cores, and batching
    them was 1.5-1.9x slower there (Wang 2002, 4 trials: 1.55 vs 1.01 s; E/I
    network 0.61 vs 0.33 s). A GPU batches them (that is what it is for).

    With several local devices (GPUs, or CPU devices from
    ``--xla_force_host_platform_device_count``) the points are split evenly over them
    (``shard_map`` along ``point``); each device runs its share as above. A point's result does
    not depend on the split.
    """
    n_devices = local_devices_for(seeds.shape[0])
    if n_devices == 1:
        return _batched(params, fields, initial, seeds, plan)
    from jax.sharding import Mesh, PartitionSpec

    mesh = Mesh(np.asarray(jax.local_devices()), ("point",))
    split = PartitionSpec("point")
    sharded = jax.shard_map(functools.partial(_batched, plan=plan), mesh=mesh, in_specs=split, out_specs=split, check_vma=False)
    return sharded(params, fields, initial, seeds)


def spike_events(words: np.ndarray, dt_ms: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decode spike bits (point, word, *elements) into each point's (spike times in ms, flat
    element indices), ordered by time then element; a spike's time is the end of its step."""
    n_points, n_words = words.shape[:2]
    flat = words.reshape(n_points, n_words, -1)
    point, word, element = np.nonzero(flat)
    bits = (flat[point, word, element][:, None] >> np.arange(_WORD_BITS, dtype=np.uint32)) & 1
    row, bit = np.nonzero(bits)
    point, step, element = point[row], word[row] * _WORD_BITS + bit, element[row]
    order = np.lexsort((element, step, point))
    point, step, element = point[order], step[order], element[order]
    bounds = np.searchsorted(point, np.arange(n_points + 1))
    return [(((step[a:b] + 1) * dt_ms).round(9), element[a:b].astype(np.int32)) for a, b in zip(bounds[:-1], bounds[1:])]


def chunk_arguments(experiment: Experiment, chunk_index: int = 0, size: int | None = None) -> tuple[Any, ...]:
    """``(params, fields, initial, seeds, plan)`` of a chunk: what :func:`simulate` takes (so a
    benchmark times exactly what a job runs)."""
    chunk = build_chunk(experiment, chunk_index, size)
    return chunk.params, chunk.fields, chunk.initial, chunk.seeds, Plan.of(experiment)


def _spike_statistics_variables(running: Mapping[str, np.ndarray], spike_dims: tuple[str, ...], dt_ms: float, window_ms: tuple[float, float], plan: Plan) -> dict[str, Any]:
    """The loop's running spike sums as the variables of a stored result: per spiking element, the
    count, first spike and ISI mean and CV in the window (the ISI statistics over ``count - 1``
    intervals, NaN below two spikes; the CV's sd is the population sd, as for stored events), and
    with the Fano windows the Fano factor of the window counts (NaN if silent or one window)."""
    count, first, last = running["count"], running["first_step"], running["last_step"]
    with np.errstate(invalid="ignore", divide="ignore"):
        n_isi = np.where(count > 1, count - 1, np.nan)
        mean_steps = (last - first) / n_isi
        variance = np.maximum(running["isi_squares"] / n_isi - mean_steps**2, 0.0)
        cv = np.sqrt(variance) / mean_steps
    dims = ("point", *spike_dims)
    # The window rides on every variable, so it survives selection and the collected dataset.
    window = {"t_start_ms": window_ms[0], "t_stop_ms": window_ms[1]}
    variables = {
        "spike_count": (dims, count.astype(np.int64), {"units": "1", "long_name": "spike count in the window", **window}),
        "first_spike_ms": (dims, np.where(count > 0, (first + 1) * dt_ms, np.nan), {"units": "ms", "long_name": "first spike time in the window", **window}),
        "mean_isi_ms": (dims, mean_steps * dt_ms, {"units": "ms", "long_name": "mean inter-spike interval in the window", **window}),
        "cv_isi": (dims, cv, {"units": "1", "long_name": "coefficient of variation of the ISI in the window", **window}),
    }
    if "window_squares" in running:
        start, stop = plan.spike_statistics  # type: ignore[misc]
        n_windows = max((stop - start) // plan.fano_window_steps, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = count / n_windows
            fano = np.where((count > 0) & (n_windows > 1), (running["window_squares"] / n_windows - mean**2) / mean, np.nan)
        window_length = plan.fano_window_steps * dt_ms
        variables["fano_factor"] = (dims, fano, {"units": "1", "long_name": f"Fano factor of the spike counts in {window_length:g}-ms windows of the window",
                                                 "count_window_ms": window_length, **window})  # fmt: skip
    return variables


def simulation_dataset(experiment: Experiment, chunk: Chunk) -> xr.Dataset:
    """Simulate a built chunk and label its results (dims ``point``, ``time``, the model's own, ``spike``)."""
    import xarray as xr

    plan = Plan.of(experiment)
    model = experiment.model
    out = simulate(chunk.params, chunk.fields, chunk.initial, chunk.seeds, plan)
    out = jax.tree_util.tree_map(lambda x: np.asarray(x)[: chunk.n_real], out)  # padding points dropped
    n, dt, k = chunk.n_real, experiment.dt_ms, experiment.record_every_steps
    dtype = np.dtype(experiment.precision)
    input_units = PROTOCOLS[experiment.protocol_kind].output_units(model.inputs)
    data_vars: dict[str, Any] = {}
    index_dims = {}
    for name, trace in out["traces"].items():
        if name not in model.variables:  # a recorded input, distinct from the swept protocol value of the same name
            units = input_units.get(name, model.inputs.get(name, "1"))
            data_vars[f"input_{name}"] = (("point", "time"), trace.astype(dtype), {"units": units, "long_name": f"input {name}"})
            continue
        var = model.variables[name]
        dims = var.dims
        if dims and plan.record_indices:
            dims = (f"recorded_{dims[0]}", *dims[1:])
            index_dims[dims[0]] = plan.record_indices
        data_vars[name] = (("point", "time", *dims), trace, {"units": var.units, "long_name": var.long_name})
    if model.spikes and plan.spike_statistics is not None:
        spike_dims = model.variables[model.spikes].dims if model.spikes in model.variables else ()
        data_vars.update(_spike_statistics_variables(out["spike_statistics"], spike_dims, dt, experiment.spike_statistics_window_ms, plan))
    elif model.spikes:
        spike_dims = model.variables[model.spikes].dims if model.spikes in model.variables else ()
        events = spike_events(out["spike_words"], dt)
        width = max([len(t) for t, _ in events] + [1])
        times = np.full((n, width), np.nan)
        for row, (t, _) in enumerate(events):
            times[row, : len(t)] = t
        data_vars["spike_time_ms"] = (("point", "spike"), times, {"units": "ms", "long_name": "spike time (NaN-padded)"})
        if spike_dims:
            elements = np.full((n, width), -1, np.int32)
            for row, (_, e) in enumerate(events):
                elements[row, : len(e)] = e
            data_vars[f"spike_{spike_dims[0]}"] = (("point", "spike"), elements, {"units": "1", "long_name": f"index along {spike_dims[0]} of the spike (-1 padding)"})
        data_vars["n_spikes"] = ("point", np.array([len(t) for t, _ in events], np.int64), {"units": "1", "long_name": "number of spikes"})
    for name, variable in model.constants.items():
        data_vars[name] = (("point", *variable.dims), out["constants"][name], {"units": variable.units, "long_name": variable.long_name})
    for name, variable in model.totals.items():
        data_vars[name] = ("point", out["totals"][name], {"units": variable.units, "long_name": variable.long_name})
    for (total, squares), (name, variable) in zip(out["sums"], model.time_statistics.items() if plan.time_statistics else ()):
        mean = total / experiment.n_steps
        sd = np.sqrt(np.maximum(squares / experiment.n_steps - mean**2, 0.0))
        data_vars[f"{name}_mean"] = (("point", *variable.dims), mean, {"units": variable.units, "long_name": f"time mean of the {variable.long_name}"})
        data_vars[f"{name}_sd"] = (("point", *variable.dims), sd, {"units": variable.units, "long_name": f"sd over time of the {variable.long_name}"})
    for name, threshold in plan.first_crossing:
        step = out["crossings"][name]
        units = model.variables[name].units
        data_vars[f"{name}_first_crossing_ms"] = ("point", np.where(step >= 0, (step + 1) * dt, np.nan), {
            "units": "ms", "long_name": f"first time {name} reached {threshold:g} {units} (NaN: never)", "threshold": threshold})  # fmt: skip
    bad = out["first_bad_step"]
    data_vars["diverged"] = ("point", bad >= 0, {"units": "1", "long_name": "state became NaN or infinite"})
    data_vars["t_diverged_ms"] = ("point", np.where(bad >= 0, (bad + 1) * dt, np.nan), {"units": "ms", "long_name": f"time by which the state was non-finite (checked every {plan.block_steps} steps)"})
    coords = dict(chunk.coords)
    coords.update(model.coords(model.defaults(**experiment.params)))
    if experiment.record_variables:
        time = (np.arange(1, experiment.n_steps // k + 1) * k * dt).round(9)
        coords["time"] = ("time", time, {"units": "ms", "long_name": "time"})
    for dim, indices in index_dims.items():
        coords[dim] = (dim, np.asarray(indices, np.int64), {"units": "1", "long_name": f"index of the recorded {dim[len('recorded_'):]}"})
    dataset = xr.Dataset(data_vars, coords=coords, attrs={"analyses": list(experiment.analyses)})
    for row in np.flatnonzero(bad >= 0):
        point = {name: np.asarray(values[1])[row].item() for name, values in chunk.coords.items()}
        log.warning("%s: point %s diverged by t = %.3f ms", experiment.name, point, (bad[row] + 1) * dt)
    full = int(dataset["table_rows_full"].sum()) if "table_rows_full" in dataset else 0
    if full:
        log.warning("%s: %d connectivity rows reached the table width and may have lost synapses", experiment.name, full)
    return dataset


def run_chunk(experiment: Experiment, chunk_index: int) -> xr.Dataset:
    """Simulate (or evaluate) one chunk of an experiment; returns a Dataset over ``point``."""
    from neurosweep.dynamics import datasets

    if not jax.config.jax_enable_x64:
        # float64 experiments, int64 counters and float64 time statistics need it.
        raise RuntimeError("JAX's 64-bit mode is off: call neurosweep.runtime.configure_jax() once, before any run")
    if experiment.kind == "function":
        return datasets.function_dataset(experiment)
    if experiment.kind == "continuation":
        return datasets.continuation_dataset(experiment)
    if experiment.kind == "vector_field":  # evaluated once, not padded (nothing to share)
        return datasets.vector_field_dataset(experiment, build_chunk(experiment, chunk_index, size=0))
    if experiment.kind == "fixed_points":
        return datasets.fixed_point_dataset(experiment, build_chunk(experiment, chunk_index, size=0))
    if experiment.kind == "slow_points":
        return datasets.slow_point_dataset(experiment, build_chunk(experiment, chunk_index, size=0))
    return simulation_dataset(experiment, build_chunk(experiment, chunk_index, size=padded_size(experiment.chunk_size)))
