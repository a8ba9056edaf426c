"""Config -> validated experiments -> sweep points -> chunks.

An experiment is a model plus a protocol (input), fixed parameters, sweep axes, dt, duration,
seeds and what to record. Every name is checked against the model before anything runs, and
each error names the offending key and what is allowed.

Sweep axes are named after what they sweep: a model parameter (``gK``), a protocol field
(``I``, ``t_start_ms``), an input of a fixed-point search, or ``seed`` (from ``seeds``). ``grid``
axes are crossed; ``zip`` axes advance together (and are crossed with the grid).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neurosweep.analysis import ANALYSES, FANO_WINDOW_MS, TRANSIENT_MS
from neurosweep.configfile import SCHEMA_PATH, ConfigError, check_config, read_config
from neurosweep.configfile import fail as _fail
from neurosweep.models import ModelSpec, available_models, get_model
from neurosweep.models.base import DOMAINS, Setup
from neurosweep.protocols import PROTOCOLS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ConfigError",
    "Experiment",
    "experiment_config",
    "load_config",
    "parse_config",
    "parse_experiment",
    "sweep_values",
    "SCHEMA_PATH",
]

KINDS = ("simulation", "function", "fixed_points", "vector_field", "continuation", "slow_points")
#: Kinds that take constant ``inputs`` (sweepable) instead of a protocol.
CONSTANT_INPUT_KINDS = ("fixed_points", "vector_field", "slow_points")
#: A sweep axis ``<state variable>_init`` sweeps that variable's initial value.
INIT_SUFFIX = "_init"
PRECISIONS = ("float32", "float64")
DEVICES = ("auto", "cpu", "gpu")
#: The memory budget (MB) of one job's results from which a chunk size is chosen (``chunk_memory_mb``).
DEFAULT_CHUNK_MEMORY_MB = 512.0
#: A chosen chunk never holds more points than this: a job stays minutes long, and a sweep of
#: 10^5 points still spreads over 25 jobs for the cores and nodes there are.
MAX_AUTO_CHUNK = 4096
#: Results take about this many times their stored size in a job (device buffers, host copies, the
#: xarray Dataset, the store's encoder).
RESULT_COPIES = 4
# Multiples are checked to this relative tolerance: 37 / 0.1 is 369.99999999999994 in floats.
_MULTIPLE_RTOL = 1e-9


def sweep_values(spec: Any, key: str = "values") -> np.ndarray:
    """Values of a sweep axis: a list, ``{start, stop, num}`` (linspace, stop included) or
    ``{start, stop, step}`` (arange, stop excluded, count computed without float drift)."""
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"start", "stop", "num", "step"}
        if unknown or "start" not in spec or "stop" not in spec:
            _fail(key, f"expected a list or {{start, stop, num|step}}, got {dict(spec)}")
        if "num" in spec:
            values = np.linspace(spec["start"], spec["stop"], int(spec["num"]))
        elif "step" in spec:
            if spec["step"] <= 0:
                _fail(key, f"step must be > 0, got {spec['step']}")
            count = math.ceil((spec["stop"] - spec["start"]) / spec["step"] - _MULTIPLE_RTOL)
            values = spec["start"] + spec["step"] * np.arange(max(count, 0))
        else:
            _fail(key, "give num (linspace) or step (arange)")
    else:
        values = np.asarray(spec, dtype=float)
    values = np.round(np.asarray(values, dtype=float), 12)
    if values.ndim != 1 or values.size == 0:
        _fail(key, "the sweep is empty; give at least one value")
    return values


def _steps(duration_ms: float, dt_ms: float, key: str) -> int:
    ratio = duration_ms / dt_ms
    count = round(ratio)
    if count <= 0 or abs(ratio - count) > _MULTIPLE_RTOL * max(1.0, ratio):
        _fail(key, f"{duration_ms} ms is not a positive whole multiple of dt_ms = {dt_ms}")
    return count


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A validated experiment, ready to be split into chunks and run."""

    name: str
    kind: str
    model: ModelSpec
    method: str
    dt_ms: float
    t_stop_ms: float
    precision: str
    device: str
    params: Mapping[str, float]
    protocol_kind: str | None
    protocol: Mapping[str, Any]
    initial: Mapping[str, Any]
    inputs: Mapping[str, float]
    grid_axes: Mapping[str, np.ndarray]
    zip_axes: Mapping[str, np.ndarray]
    seeds: tuple[int, ...]
    record_variables: tuple[str, ...]
    record_every_steps: int
    chunk_size: int
    function: str | None
    function_grid: np.ndarray | None
    guesses: Mapping[str, np.ndarray]
    plane: Mapping[str, np.ndarray]
    config: Mapping[str, Any]
    #: Variables with dims: the elements (neurons) whose ``record_variables`` are kept (empty: all).
    record_neurons: tuple[int, ...] = ()
    #: Store the model's time statistics (each neuron's input mean and sd over time).
    record_input_statistics: bool = True
    #: The analyses run on the collected dataset (names in :data:`neurosweep.analysis.ANALYSES`).
    analyses: tuple[str, ...] = ()
    #: (kind fixed_points, without guesses) also the spectrum of the simulation's step map at dt_ms.
    step_map: bool = False
    #: Analysis name -> keyword options it is called with (``analysis_options`` in config).
    analysis_options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    #: (kind continuation) the validated ``continuation`` block (see :func:`_resolve_continuation`).
    continuation: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    #: Scalar variables -> threshold: the first time each reaches it, tracked in the loop.
    record_first_crossing: tuple[tuple[str, float], ...] = ()
    #: ``record: {spikes: statistics}``: the window (t_start_ms, t_stop_ms] of the spike
    #: statistics computed in the loop instead of storing spike events; None stores the events.
    spike_statistics_window_ms: tuple[float, float] | None = None

    @property
    def spike_statistics_steps(self) -> tuple[int, int] | None:
        """The window in steps: a spike at step i (time (i + 1) dt) is in it when start < i + 1 <= stop."""
        if self.spike_statistics_window_ms is None:
            return None
        return tuple(int(math.floor(t / self.dt_ms + 1e-9)) for t in self.spike_statistics_window_ms)  # type: ignore[return-value]

    @property
    def fano_window_steps(self) -> int:
        """Steps per window of the Fano factor's spike counts, kept in the loop with the spike
        statistics; 0 (no Fano factor) where the window is not a whole number of steps."""
        steps = FANO_WINDOW_MS / self.dt_ms
        return round(steps) if self.spike_statistics_window_ms is not None and abs(steps - round(steps)) < 1e-9 else 0

    @property
    def n_steps(self) -> int:
        return round(self.t_stop_ms / self.dt_ms)

    @property
    def model_name(self) -> str:
        return self.model.name

    @property
    def sweep_axes(self) -> tuple[str, ...]:
        """The dims a collected dataset has besides point: grid axes (and seed), or none."""
        return tuple(self.grid_axes) + (("seed",) if len(self.seeds) > 1 else ())

    @property
    def sweep_grid(self) -> dict[str, np.ndarray]:
        """:attr:`sweep_axes` with their values, in the order the points run through them (C order)."""
        grid = {name: np.asarray(values) for name, values in self.grid_axes.items()}
        if len(self.seeds) > 1:
            grid["seed"] = np.asarray(self.seeds)
        return grid

    @property
    def is_grid(self) -> bool:
        return not self.zip_axes

    def point_columns(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """Sweep points ``start:stop`` as columns (one per swept name, and ``seed``), without pandas:
        the network runner and the benchmarks need no DataFrame, and pandas costs half a second to import."""
        grid = dict(self.grid_axes)
        if len(self.seeds) > 1 or not (self.grid_axes or self.zip_axes):
            grid["seed"] = np.asarray(self.seeds)
        zipped = list(zip(*self.zip_axes.values())) or [()]
        rows = list(itertools.islice(itertools.product(zipped, *grid.values()), start, stop))
        columns = {name: np.asarray([combo[0][k] for combo in rows]) for k, name in enumerate(self.zip_axes)}
        columns.update({name: np.asarray([combo[1 + k] for combo in rows]) for k, name in enumerate(grid)})
        columns["seed"] = columns["seed"].astype(int) if "seed" in columns else np.full(len(rows), int(self.seeds[0]))
        return columns

    def points(self) -> pd.DataFrame:
        """One row per sweep point, indexed by ``point`` (0..n-1), one column per swept name."""
        import pandas as pd

        frame = pd.DataFrame(self.point_columns())
        frame.index.name = "point"
        return frame

    @property
    def n_points(self) -> int:
        n_grid = math.prod(len(v) for v in self.grid_axes.values())
        n_zip = len(next(iter(self.zip_axes.values()))) if self.zip_axes else 1
        return n_grid * n_zip * len(self.seeds)

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.n_points / self.chunk_size)

    def chunk(self, index: int) -> pd.DataFrame:
        """The sweep points of chunk ``index`` (the last one may be short; the runner pads it)."""
        self._check_chunk(index)
        return self.points().iloc[index * self.chunk_size : (index + 1) * self.chunk_size]

    def chunk_columns(self, index: int) -> dict[str, np.ndarray]:
        """:meth:`chunk` as columns (no pandas)."""
        self._check_chunk(index)
        return self.point_columns(index * self.chunk_size, (index + 1) * self.chunk_size)

    def _check_chunk(self, index: int) -> None:
        if not 0 <= index < self.n_chunks:
            raise IndexError(f"chunk {index} of {self.name!r}: allowed 0..{self.n_chunks - 1}")

    @property
    def setup(self) -> Setup:
        """The static facts the model's functions get: the step, the integrator, what the model
        derives from the whole sweep (:attr:`ModelSpec.static`) and the ``init`` spec."""
        static = self.model.static(self.model.defaults(**self.params), {**self.grid_axes, **self.zip_axes})
        return Setup(dt=self.dt_ms, method=self.method, static=tuple(sorted(static.items())),
                     initial_spec=json.dumps(self.initial, sort_keys=True))  # fmt: skip

    def fingerprint(self) -> str:
        """What of the experiment's config changes its results, canonical: keys sorted (the
        sweep's axes keep their order: it is the order of the dims), no description."""
        config = {key: value for key, value in self.config.items() if key != "description"}
        sweep = config.pop("sweep", {})
        canonical = {
            **config,
            "sweep": {mode: [[axis, values] for axis, values in axes.items()] for mode, axes in sweep.items()},
            "chunk_size": self.chunk_size,
        }
        return json.dumps(canonical, sort_keys=True)

    def to_json(self) -> str:
        """The experiment's own config, canonical, for provenance and rerun triggers."""
        # Key order is kept: it is the order of the sweep's dims.
        return json.dumps({**self.config, "name": self.name, "chunk_size": self.chunk_size})


def _resolve_params(raw: Mapping[str, Any], model: ModelSpec, key: str) -> dict[str, float]:
    allowed = model.param_names
    for name, value in raw.items():
        if name not in allowed:
            _fail(f"{key}.{name}", f"{model.name} has no parameter {name!r}; allowed: {list(allowed)}")
        switch = model.param_domains.get(name) == "switch"
        if switch and not isinstance(value, bool):
            _fail(f"{key}.{name}", f"an on/off switch: allowed true or false, got {value!r}")
        if not switch and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            _fail(f"{key}.{name}", f"expected a number, got {value!r}")
    return {name: float(value) for name, value in raw.items()}


def _check_domains(domains: Mapping[str, str], owner: str, fixed: Mapping[str, Any], fixed_key: str, swept: Mapping[str, np.ndarray], key: str) -> None:
    """Every fixed or swept value of a name with a domain (a parameter's tau > 0, a protocol's
    coherence in [-100, 100] %) lies inside it; ``owner`` names whose names they are."""
    for name, domain in domains.items():
        inside = DOMAINS[domain]
        if fixed.get(name) is not None and not inside(fixed[name]):
            _fail(f"{fixed_key}.{name}", f"{fixed[name]:g} is outside the domain of {owner}.{name}: must be {domain}")
        for value in np.atleast_1d(swept.get(name, [])):
            if not inside(float(value)):
                _fail(f"{key}.sweep.{name}", f"{float(value):g} is outside the domain of {owner}.{name}: must be {domain}")


def _resolve_continuation(raw: Any, model: ModelSpec, key: str) -> dict[str, Any]:
    """A continuation block: the parameter ``name`` (with ``units``) moves the model's inputs as
    ``input = inputs[input] + direction[input] * p``; each start (a guess of the continuous
    variables at ``p = value``) is continued both ways for ``n_steps`` steps of arclength ``step``."""
    if not isinstance(raw, Mapping):
        _fail(key, "missing; give name, units, direction {input: coefficient}, starts [{variables..., value}], step, n_steps")
    allowed = {"name", "units", "direction", "starts", "step", "n_steps"}
    for field in raw:
        if field not in allowed | {"scale"}:
            _fail(f"{key}.{field}", f"unknown key; allowed: {sorted(allowed | {'scale'})}")
    missing = sorted(allowed - set(raw))
    if missing:
        _fail(f"{key}.{missing[0]}", f"missing; required: {sorted(allowed)}")
    for name, coefficient in raw["direction"].items():
        if name not in model.inputs or not isinstance(coefficient, (int, float)):
            _fail(f"{key}.direction.{name}", f"a number for one of {model.name}'s inputs {list(model.inputs)}")
    variables = list(model.continuous_names)
    for k, start in enumerate(raw["starts"]):
        if set(start) != {*variables, "value"}:
            _fail(f"{key}.starts[{k}]", f"give {variables} and value (the parameter there); got {sorted(start)}")
    if not raw["step"] > 0 or not float(raw["n_steps"]).is_integer() or raw["n_steps"] < 1:
        _fail(f"{key}.step", f"step must be > 0 and n_steps a whole number >= 1; got {raw['step']}, {raw['n_steps']}")
    return {**raw, "starts": [dict(start) for start in raw["starts"]]}


def _threshold(value: Any, variable: str, model: ModelSpec, key: str) -> float:
    """A threshold given with its unit, the variable's (``"20 Hz"`` for a rate in Hz): a bare
    number is ambiguous and rejected."""
    if variable not in model.variables or model.variables[variable].dims:
        scalar = sorted(name for name, v in model.variables.items() if not v.dims)
        _fail(key, f"a scalar variable of {model.name} is needed; allowed: {scalar}")
    units = model.variables[variable].units
    match = re.fullmatch(r"\s*([-+0-9.eE]+)\s*(\S+)\s*", value) if isinstance(value, str) else None
    number = float(match.group(1)) if match and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", match.group(1)) else None
    if number is None or match.group(2) != units or not math.isfinite(number):
        _fail(key, f"give the threshold with its unit, {variable}'s: e.g. '20 {units}'; got {value!r}")
    return number


def _record_neurons(record: Mapping[str, Any], model: ModelSpec, params: Mapping[str, float], key: str) -> tuple[int, ...]:
    """The recorded elements of variables with dims: indices in [0, size of the first dim)."""
    neurons = record.get("neurons", [])
    dims = {model.variables[v].dims[0] for v in record.get("variables", []) if v in model.variables and model.variables[v].dims}
    if neurons and not dims:
        _fail(f"{key}.record.neurons", f"only for variables with dims; {model.name}'s recorded variables have none")
    sizes = model.sizes(model.defaults(**params))
    for dim in dims:
        for neuron in neurons:
            if not isinstance(neuron, int) or isinstance(neuron, bool) or not 0 <= neuron < sizes[dim]:
                _fail(f"{key}.record.neurons", f"{dim} indices are whole numbers in [0, {sizes[dim]}); got {neuron!r}")
    return tuple(int(v) for v in neurons)


def _step_map(raw: Mapping[str, Any], kind: str, key: str) -> bool:
    wanted = bool(raw.get("step_map", False))
    if wanted and (kind != "fixed_points" or "guesses" in raw):
        _fail(f"{key}.step_map", "only for kind fixed_points without guesses (one fixed point per sweep point)")
    return wanted


def _spike_statistics_window(
    raw: Mapping[str, Any], kind: str, model: ModelSpec, analyses: tuple[str, ...], options: Mapping[str, Mapping[str, Any]],
    t_stop_ms: float, key: str,
) -> tuple[float, float] | None:
    """``record.spikes``: ``events`` (default, None) or ``statistics``: the window of the spike
    statistics computed in the loop, from ``analysis_options.spike_statistics`` (the window the
    analysis of stored events would use)."""
    from neurosweep.analysis import EVENT_ANALYSES

    spikes = raw.get("record", {}).get("spikes", "events")
    if spikes not in ("events", "statistics"):
        _fail(f"{key}.record.spikes", f"allowed: ['events', 'statistics'], got {spikes!r}")
    if spikes == "events":
        return None
    if kind != "simulation" or model.spikes is None:
        _fail(f"{key}.record.spikes", f"statistics of spikes need a simulation of a spiking model; {model.name} ({kind}) has none")
    for analysis in analyses:
        if analysis in EVENT_ANALYSES:
            _fail(f"{key}.analyses", f"{analysis!r} reads spike events, which record.spikes: statistics does not store; "
                                     f"allowed with it: the analyses other than {list(EVENT_ANALYSES)}")  # fmt: skip
    windows: dict[str, tuple[float, float]] = {}
    if "network_statistics" in analyses:
        transient = options.get("network_statistics", {}).get("transient_ms")
        windows["network_statistics"] = (float(transient) if transient is not None else min(TRANSIENT_MS, t_stop_ms / 5), float(t_stop_ms))
    if "spike_statistics" in analyses or not windows:
        window = options.get("spike_statistics", {})
        start_ms = float(window.get("t_start_ms", 0.0))
        stop_ms = float(window.get("t_stop_ms", t_stop_ms) if window.get("t_stop_ms") is not None else t_stop_ms)
        windows["spike_statistics"] = (start_ms, stop_ms)
    if len(set(windows.values())) > 1:
        _fail(f"{key}.analysis_options", "record.spikes: statistics counts spikes in one window, and the analyses ask for "
                                         f"two: {windows} (network_statistics: (transient_ms, t_stop_ms]); make them agree")  # fmt: skip
    start_ms, stop_ms = next(iter(windows.values()))
    if not 0 <= start_ms < stop_ms <= t_stop_ms:
        _fail(f"{key}.analysis_options.{next(iter(windows))}", f"the window needs 0 <= t_start_ms < t_stop_ms <= {t_stop_ms}; got ({start_ms}, {stop_ms}]")
    return start_ms, stop_ms


def _resolve_analysis_options(raw: Mapping[str, Any], analyses: tuple[str, ...], key: str) -> dict[str, dict[str, Any]]:
    """Options for the experiment's analyses, each checked against its function's keywords."""
    import inspect

    from neurosweep.analysis import get_analysis

    resolved = {}
    for name, options in raw.items():
        if name not in analyses:
            _fail(f"{key}.{name}", f"not one of this experiment's analyses {list(analyses)}")
        keywords = [p.name for p in inspect.signature(get_analysis(name)).parameters.values() if p.default is not inspect.Parameter.empty]
        for option in options:
            if option not in keywords:
                _fail(f"{key}.{name}.{option}", f"analysis {name!r} has no option {option!r}; allowed: {keywords}")
        resolved[name] = dict(options)
    return resolved


def _resolve_protocol(raw: Mapping[str, Any], key: str) -> tuple[str, dict[str, Any]]:
    kind = raw.get("kind")
    if kind not in PROTOCOLS:
        _fail(f"{key}.kind", f"unknown protocol {kind!r}; allowed: {sorted(PROTOCOLS)}")
    spec = PROTOCOLS[kind]
    fields = {k: v for k, v in raw.items() if k != "kind"}
    for name in fields:
        if name not in spec.fields:
            _fail(f"{key}.{name}", f"protocol {kind!r} has no field {name!r}; allowed: {list(spec.fields)}")
    resolved: dict[str, Any] = {}
    for name, default in spec.fields.items():
        value = fields.get(name, default)
        if name in spec.list_fields:
            if value is not None and (
                not isinstance(value, Sequence) or not value or isinstance(value, str)
            ):
                _fail(f"{key}.{name}", f"expected a non-empty list of numbers, got {value!r}")
            resolved[name] = None if value is None else [float(v) for v in value]
        else:
            if value is not None and not isinstance(value, (int, float)):
                _fail(f"{key}.{name}", f"expected a number, got {value!r}")
            resolved[name] = None if value is None else float(value)
    return kind, resolved


def _resolve_initial(raw: Mapping[str, Any], model: ModelSpec, key: str) -> dict[str, Any]:
    for name, value in raw.items():
        if name not in model.state_names:
            _fail(f"{key}.{name}", f"{model.name} has no state variable {name!r}; allowed: {list(model.state_names)}")
        if isinstance(value, Mapping):
            if len(value) != 1:
                _fail(f"{key}.{name}", "give one of {uniform: [low, high]} or {normal: [mean, std]}")
            ((dist, args),) = value.items()
            if dist not in ("uniform", "normal") or len(args) != 2:
                _fail(f"{key}.{name}", f"allowed: a number, {{uniform: [low, high]}}, {{normal: [mean, std]}}; got {dict(value)}")
            if dist == "uniform" and not args[0] < args[1]:
                _fail(f"{key}.{name}.uniform", f"needs low < high, got {list(args)}")
            if dist == "normal" and args[1] < 0:
                _fail(f"{key}.{name}.normal", f"standard deviation must be >= 0, got {args[1]}")
        elif not isinstance(value, (int, float)):
            _fail(f"{key}.{name}", f"expected a number or a distribution, got {value!r}")
    return dict(raw)


def parse_experiment(
    name: str, raw: Mapping[str, Any], default_chunk_size: int | None = None, chunk_memory_mb: float = DEFAULT_CHUNK_MEMORY_MB
) -> Experiment:
    """Validate one experiment's config; raise :class:`ConfigError` naming the key at fault."""
    key = f"experiments.{name}"
    known = {
        "kind", "description", "model", "method", "dt_ms", "t_stop_ms", "precision", "device",
        "params", "protocol", "init", "sweep", "seeds", "record", "chunk_size",
        "function", "grid", "inputs", "guesses", "plane", "analyses", "analysis_options", "continuation", "step_map",
    }  # fmt: skip
    for field in raw:
        if field not in known:
            _fail(f"{key}.{field}", f"unknown key; allowed: {sorted(known)}")
    kind = raw.get("kind", "simulation")
    if kind not in KINDS:
        _fail(f"{key}.kind", f"unknown kind {kind!r}; allowed: {list(KINDS)}")
    if "model" not in raw:
        _fail(f"{key}.model", f"missing; allowed: {available_models()}")
    try:
        model = get_model(raw["model"])
    except ValueError as error:
        raise ConfigError(f"{key}.model: {error}") from None

    if kind not in model.kinds:
        _fail(f"{key}.kind", f"{model.name} supports kinds {list(model.kinds)}; got {kind!r}")
    method = raw.get("method", model.methods[0])
    if method not in model.methods:
        _fail(f"{key}.method", f"unknown integrator {method!r}; allowed: {list(model.methods)}")
    precision = raw.get("precision", "float64" if kind != "simulation" else "float32")
    if precision not in PRECISIONS:
        _fail(f"{key}.precision", f"allowed: {list(PRECISIONS)}, got {precision!r}")
    device = raw.get("device", "auto")
    if device not in DEVICES:
        _fail(f"{key}.device", f"allowed: {list(DEVICES)}, got {device!r}")
    params = _resolve_params(raw.get("params", {}), model, f"{key}.params")
    initial = _resolve_initial(raw.get("init", {}), model, f"{key}.init")

    dt_ms = float(raw.get("dt_ms", 0.1))
    if not dt_ms > 0:
        _fail(f"{key}.dt_ms", f"must be > 0 ms, got {dt_ms}")
    protocol_kind, protocol, t_stop_ms = None, {}, dt_ms
    record_variables: tuple[str, ...] = ()
    record_neurons: tuple[int, ...] = ()
    first_crossing: dict[str, float] = {}
    record_every_steps = 1
    function, function_grid = None, None
    inputs = {}
    if kind == "simulation":
        if "t_stop_ms" not in raw:
            _fail(f"{key}.t_stop_ms", "missing; the duration of each run in ms")
        t_stop_ms = float(raw["t_stop_ms"])
        n_steps = _steps(t_stop_ms, dt_ms, f"{key}.t_stop_ms")
        if "protocol" not in raw:
            _fail(f"{key}.protocol", f"missing; allowed kinds: {sorted(PROTOCOLS)}")
        protocol_kind, protocol = _resolve_protocol(raw["protocol"], f"{key}.protocol")
        produced = set(PROTOCOLS[protocol_kind].outputs)
        if not produced <= set(model.inputs):
            _fail(f"{key}.protocol.kind", f"{model.name} takes inputs {list(model.inputs)}; {protocol_kind!r} gives {sorted(produced)}")
        record = raw.get("record", {})
        allowed_records = [*model.variables, *model.inputs]
        record_variables = tuple(record.get("variables", []))
        for variable in record_variables:
            if variable not in allowed_records:
                _fail(f"{key}.record.variables", f"{model.name} has no variable {variable!r}; allowed: {allowed_records}")
        record_neurons = _record_neurons(record, model, params, key)
        first_crossing = {variable: _threshold(threshold, variable, model, f"{key}.record.first_crossing.{variable}")
                          for variable, threshold in record.get("first_crossing", {}).items()}  # fmt: skip
        if "input_statistics" in record and not model.time_statistics:
            _fail(f"{key}.record.input_statistics", f"{model.name} keeps no time statistics")
        every_ms = float(record.get("every_ms", dt_ms))
        record_every_steps = _steps(every_ms, dt_ms, f"{key}.record.every_ms")
        if n_steps % record_every_steps:
            _fail(f"{key}.record.every_ms", f"t_stop_ms = {t_stop_ms} is not a whole multiple of every_ms = {every_ms}")
    elif kind == "function":
        if raw.get("function") not in model.functions:
            _fail(f"{key}.function", f"{model.name} has functions {sorted(model.functions)}; got {raw.get('function')!r}")
        function = raw["function"]
        if "grid" not in raw:
            _fail(f"{key}.grid", "missing; the values to evaluate the function at")
        function_grid = sweep_values(raw["grid"], f"{key}.grid")
    else:  # fixed_points, vector_field, slow_points
        if kind == "slow_points":
            # The flow each candidate follows before it is tested: t_stop_ms of forward Euler steps of dt_ms.
            if "t_stop_ms" not in raw:
                _fail(f"{key}.t_stop_ms", "missing; how long each candidate follows the flow, in ms")
            t_stop_ms = float(raw["t_stop_ms"])
            _steps(t_stop_ms, dt_ms, f"{key}.t_stop_ms")
        inputs = {field: float(v) for field, v in raw.get("inputs", {}).items()}
        for field in inputs:
            if field not in model.inputs:
                _fail(f"{key}.inputs.{field}", f"{model.name} takes inputs {list(model.inputs)}")
    plane = {}
    if kind == "vector_field":
        raw_plane = raw.get("plane", {})
        if set(raw_plane) != set(model.continuous_names):
            _fail(f"{key}.plane", f"give a grid for each of {list(model.continuous_names)}; got {sorted(raw_plane)}")
        plane = {name: sweep_values(raw_plane[name], f"{key}.plane.{name}") for name in model.continuous_names}
    elif "plane" in raw:
        _fail(f"{key}.plane", "only experiments of kind vector_field take a plane")
    continuation = _resolve_continuation(raw.get("continuation"), model, f"{key}.continuation") if kind == "continuation" else {}
    if kind != "continuation" and "continuation" in raw:
        _fail(f"{key}.continuation", "only experiments of kind continuation take it")
    guesses = {}
    for variable, values in raw.get("guesses", {}).items():
        if kind != "fixed_points":
            _fail(f"{key}.guesses", "only experiments of kind fixed_points take initial guesses")
        if variable not in model.continuous_names:
            _fail(f"{key}.guesses.{variable}", f"{model.name} has continuous variables {list(model.continuous_names)}")
        guesses[variable] = sweep_values(values, f"{key}.guesses.{variable}")

    sweep = raw.get("sweep", {})
    for mode in sweep:
        if mode not in ("grid", "zip"):
            _fail(f"{key}.sweep.{mode}", "allowed: grid, zip")
    grid_axes = {n: sweep_values(v, f"{key}.sweep.grid.{n}") for n, v in sweep.get("grid", {}).items()}
    zip_axes = {n: sweep_values(v, f"{key}.sweep.zip.{n}") for n, v in sweep.get("zip", {}).items()}
    if "grid" in sweep and not grid_axes:
        _fail(f"{key}.sweep.grid", "the sweep is empty; name at least one axis")
    if zip_axes and len({len(v) for v in zip_axes.values()}) > 1:
        _fail(f"{key}.sweep.zip", f"zipped axes need equal lengths, got { {n: len(v) for n, v in zip_axes.items()} }")
    sweepable = set(model.param_names)
    if kind == "simulation":
        sweepable |= {f for f in PROTOCOLS[protocol_kind].fields if f not in PROTOCOLS[protocol_kind].list_fields}
    if kind in CONSTANT_INPUT_KINDS:
        sweepable |= set(model.inputs)
    if kind in ("simulation", "fixed_points"):
        scalar = [name for name in model.state_names if name not in model.variables or not model.variables[name].dims]
        sweepable |= {f"{name}{INIT_SUFFIX}" for name in scalar}
    sweepable -= set(model.structural_params)
    for axis in [*grid_axes, *zip_axes]:
        if axis in grid_axes and axis in zip_axes:
            _fail(f"{key}.sweep.{axis}", "swept both in grid and in zip")
        if axis in model.structural_params:
            _fail(f"{key}.sweep.{axis}", f"{axis} fixes the network's array shapes: set it in params (one experiment per size), it cannot be swept")
        if axis not in sweepable:
            _fail(f"{key}.sweep.{axis}", f"not a parameter of {model.name}, its protocol or an initial value (<variable>_init); allowed: {sorted(sweepable)}")
    swept = {**grid_axes, **zip_axes}
    for section in ("params", "protocol", "inputs"):
        for axis in swept.keys() & raw.get(section, {}).keys():
            _fail(f"{key}.{section}.{axis}", f"also swept in {key}.sweep: fix it or sweep it, not both")
    _check_domains(model.param_domains, model.name, params, f"{key}.params", swept, key)
    if protocol_kind is not None:
        _check_domains(PROTOCOLS[protocol_kind].domains, f"protocol {protocol_kind}", protocol, f"{key}.protocol", swept, key)
    for field, value in protocol.items():
        if value is None and field not in grid_axes and field not in zip_axes:
            _fail(f"{key}.protocol.{field}", f"required by protocol {protocol_kind!r} (set it or sweep it)")

    raw_seeds = raw.get("seeds", [0])
    seeds = tuple(int(s) for s in (sweep_values(raw_seeds, f"{key}.seeds") if isinstance(raw_seeds, Mapping) else raw_seeds))
    if not seeds:
        _fail(f"{key}.seeds", "give at least one seed")
    if len(set(seeds)) != len(seeds):
        _fail(f"{key}.seeds", f"seeds repeat: {list(seeds)}")
    analyses = tuple(raw.get("analyses", model.analyses if kind == "simulation" else ()))
    if "analyses" not in raw and raw.get("record", {}).get("spikes") == "statistics":
        # The model's default analyses, less those that need the events this record does not keep.
        from neurosweep.analysis import EVENT_ANALYSES

        analyses = tuple(a for a in analyses if a not in EVENT_ANALYSES) or ("spike_statistics",)
    for analysis in analyses:
        if analysis not in ANALYSES:
            _fail(f"{key}.analyses", f"unknown analysis {analysis!r}; allowed: {sorted(ANALYSES)}")
    analysis_options = _resolve_analysis_options(raw.get("analysis_options", {}), analyses, f"{key}.analysis_options")
    spike_statistics_window_ms = _spike_statistics_window(raw, kind, model, analyses, analysis_options, t_stop_ms, key)
    chosen = raw.get("chunk_size", default_chunk_size)
    chunk_size = int(chosen) if chosen is not None else MAX_AUTO_CHUNK
    if chunk_size < 1:
        _fail(f"{key}.chunk_size", f"must be >= 1, got {chunk_size}")

    experiment = Experiment(
        name=name,
        kind=kind,
        model=model,
        method=method,
        dt_ms=dt_ms,
        t_stop_ms=t_stop_ms,
        precision=precision,
        device=device,
        params=params,
        protocol_kind=protocol_kind,
        protocol=protocol,
        initial=initial,
        inputs=inputs,
        grid_axes=grid_axes,
        zip_axes=zip_axes,
        seeds=seeds,
        record_variables=record_variables,
        record_every_steps=record_every_steps,
        record_neurons=record_neurons,
        record_input_statistics=bool(raw.get("record", {}).get("input_statistics", True)),
        record_first_crossing=tuple(first_crossing.items()),
        spike_statistics_window_ms=spike_statistics_window_ms,
        chunk_size=chunk_size,
        analyses=analyses,
        analysis_options=analysis_options,
        step_map=_step_map(raw, kind, key),
        function=function,
        function_grid=function_grid,
        guesses=guesses,
        plane=plane,
        continuation=continuation,
        config=dict(raw),
    )
    if chosen is None:
        return dataclasses.replace(experiment, chunk_size=auto_chunk_size(experiment, chunk_memory_mb))
    # A chunk never holds more than the sweep: padding a 1-point run to 64 would waste 63 runs.
    return dataclasses.replace(experiment, chunk_size=min(chunk_size, experiment.n_points))


def _n_elements(experiment: Experiment) -> int:
    """Elements (neurons, field points) of one sweep point's model: 1 for a point model."""
    model = experiment.model
    sizes = model.sizes(model.defaults(**experiment.params))
    return math.prod(sizes.values()) if sizes else 1


def result_bytes_per_point(experiment: Experiment) -> int:
    """An estimate of one sweep point's results in a simulate job: its recorded traces, its spike
    bits (one bit per step and spiking element, decoded into events later) and its state."""
    model = experiment.model
    n_elements = _n_elements(experiment)
    itemsize = 8 if experiment.precision == "float64" else 4
    n_steps = experiment.n_steps if experiment.kind == "simulation" else 1
    n_records = n_steps // experiment.record_every_steps if experiment.record_variables else 0
    recorded = 0
    for name in experiment.record_variables:
        dims = model.variables[name].dims if name in model.variables else ()
        recorded += (len(experiment.record_neurons) or n_elements) if dims else 1
    spikes = -(-n_steps // 32) * 4 * n_elements if model.spikes is not None and experiment.kind == "simulation" else 0
    if experiment.spike_statistics_window_ms is not None:
        spikes = 6 * 8 * n_elements  # the loop's running counts and sums, no bits
    state = 16 * itemsize * n_elements
    return n_records * recorded * itemsize + spikes + state


def auto_chunk_size(experiment: Experiment, chunk_memory_mb: float = DEFAULT_CHUNK_MEMORY_MB) -> int:
    """Points per job from the sweep's size and the memory budget: as many as fit the budget (at
    most :data:`MAX_AUTO_CHUNK`), then spread evenly over the jobs that takes, so that the last
    chunk is not mostly padding."""
    per_point = RESULT_COPIES * result_bytes_per_point(experiment)
    fits = max(1, min(MAX_AUTO_CHUNK, int(chunk_memory_mb * 1e6 // max(per_point, 1))))
    n_jobs = math.ceil(experiment.n_points / fits)
    return math.ceil(experiment.n_points / n_jobs)


#: An experiment of one chunk whose work (:func:`work_estimate`) is at most this runs its
#: simulation, collect and analyses as one job: most course experiments are well under a
#: second of work, and a job's start costs about 0.1 s of a 2-core machine.
ONE_JOB_MAX_WORK = 5e7


def work_estimate(experiment: Experiment) -> float:
    """A rough measure of an experiment's work, in element-steps: points x steps x elements for
    a simulation (and a slow-point search, each candidate following the flow), points x guesses
    x 1,000 for Newton's fixed points (60 iterations of 16 evaluations), one point's worth for
    a vector field, a function or a continuation."""
    n_elements = _n_elements(experiment)
    if experiment.kind in ("simulation", "slow_points"):
        return float(experiment.n_points * experiment.n_steps * n_elements)
    if experiment.kind == "fixed_points":
        n_guesses = math.prod(len(values) for values in experiment.guesses.values()) if experiment.guesses else 1
        return float(experiment.n_points * n_guesses * 1000 * n_elements)
    return float(n_elements)


def runs_as_one_job(experiment: Experiment) -> bool:
    """Whether the experiment is simulated, collected and analysed in one job (one chunk, small
    work): fewer jobs to start; a change of its analyses then reruns its simulation too."""
    return experiment.n_chunks == 1 and work_estimate(experiment) <= ONE_JOB_MAX_WORK


#: Sweeps above this many points get a warning with an estimate before anything runs.
LARGE_SWEEP_POINTS = 100_000
#: A job's own start-up (interpreter, imports, compile cache lookup, store write) on a 2-core CPU.
JOB_START_S = 4.0


def size_warnings(experiments: Mapping[str, Experiment]) -> list[str]:
    """A line for every experiment whose sweep is large enough to cost hours (before it runs)."""
    lines = []
    for name, experiment in experiments.items():
        if experiment.n_points > LARGE_SWEEP_POINTS:
            jobs = experiment.n_chunks
            results_mb = RESULT_COPIES * result_bytes_per_point(experiment) * experiment.chunk_size / 1e6
            lines.append(
                f"experiments.{name}: {experiment.n_points:,} sweep points in {jobs:,} jobs of {experiment.chunk_size:,} "
                f"(about {results_mb:,.0f} MB each at its peak); their start-up alone is about {jobs * JOB_START_S / 3600:.1f} "
                "CPU-hours, before the simulation. chunk_memory_mb sets the points per job; a GPU or the slurm profile runs "
                "the jobs side by side."
            )
    return lines


def chunking(config: Mapping[str, Any]) -> tuple[int | None, float]:
    """The config's ``default_chunk_size`` (None: chosen per experiment) and ``chunk_memory_mb``."""
    return config.get("default_chunk_size"), float(config.get("chunk_memory_mb", DEFAULT_CHUNK_MEMORY_MB))


def experiment_config(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Experiment ``name``'s raw config with the config's defaults filled in (``default_device``:
    ``snakemake --config default_device=gpu`` runs every experiment that names no device on the GPU)."""
    raw = dict(config["experiments"][name])
    if "default_device" in config:
        raw.setdefault("device", config["default_device"])
    return raw


def parse_config(config: Mapping[str, Any]) -> dict[str, Experiment]:
    """Validate a whole config (finite numbers, schema, figure references, then every experiment)."""
    check_config(config)
    return {name: parse_experiment(name, experiment_config(config, name), *chunking(config)) for name in config["experiments"]}


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a config file; return it (the experiments parse without error)."""
    config = read_config(path)
    parse_config(config)
    return config
