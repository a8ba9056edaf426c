"""The one contract every model implements, neuron or network.

A model is a module in :mod:`neurosweep.models` that defines ``MODEL``, a :class:`ModelSpec`.
Everything a model knows is pure JAX over frozen pytrees, written for ONE sweep point (the
runner ``vmap``s it across the points of a chunk):

* ``Params``: a frozen dataclass of scalar parameters (one field per parameter, unit, meaning
  and domain in the field's ``metadata``, see :func:`param`).
* ``State``: a frozen dataclass pytree of the dynamical variables (scalars for a neuron,
  arrays with a ``neuron`` or ``x`` dim for a network or a field).
* ``init_state(params, initial, key, setup) -> State``: ``initial`` maps state variables to the
  point's initial values (numbers, seeded draws or swept values: the runner resolves them);
  ``key`` is the point's root key (:func:`stream` derives independent streams from it).
* ``step(state, params, inputs, key, setup) -> (State, observables)``: one step of
  ``setup.dt`` ms. ``inputs`` are the protocol's named inputs at this step plus ``t_ms``; ``key``
  is this step's own key (derived from the point's seed and the step index, so a point's noise
  never depends on the chunk it runs in) for a model that declares ``random``, else None; ``observables`` holds derived quantities, spikes among
  them when the model declares ``spikes``.
* ``derivatives(state, params, inputs) -> State`` (optional): the continuous vector field, for the
  integrators and the dynamics toolkit (fixed points, phase planes).

Every recordable quantity is a :class:`Variable` with units, a long name and its dims; a model
with dims supplies their sizes (``sizes``) and coordinates (``coords``). A model never sees
files, config or figures; the runner in :mod:`neurosweep.runner` does.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["ModelSpec", "ModelFunction", "Setup", "Variable", "param", "pytree_dataclass", "param_units", "stream"]


@dataclasses.dataclass(frozen=True)
class Variable:
    """A recordable quantity: a state variable or a derived observable, with its dims."""

    units: str
    long_name: str
    #: Named dims besides ``point`` and ``time`` (``("neuron",)`` for a network, ``("x",)`` for a ring).
    dims: tuple[str, ...] = ()


DOMAINS: dict[str, Callable[[float], bool]] = {
    "> 0": lambda value: value > 0,
    ">= 0": lambda value: value >= 0,
    "[0, 1]": lambda value: 0 <= value <= 1,
    "[-100, 100]": lambda value: -100 <= value <= 100,
    #: An on/off parameter: true/false in config, 1.0/0.0 inside the model.
    "switch": lambda value: value in (0, 1),
    "whole >= 1": lambda value: value >= 1 and float(value).is_integer(),
    "whole >= 2": lambda value: value >= 2 and float(value).is_integer(),
}


def param(default: float, units: str, doc: str, domain: str | None = None, structural: bool = False) -> Any:
    """A model parameter field with its default, unit, meaning and (optionally) its domain.

    ``domain`` is a key of :data:`DOMAINS`; config values outside it are rejected before any job runs.
    A ``structural`` parameter (a population size) fixes array shapes: it can be set, not swept.
    """
    if domain is not None and domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; allowed: {list(DOMAINS)}")
    metadata = {"units": units, "doc": doc, "domain": domain, "structural": structural}
    return dataclasses.field(default=default, metadata=metadata)


def pytree_dataclass(cls: type) -> type:
    """Freeze ``cls`` and register every field as a pytree leaf."""
    cls = dataclasses.dataclass(frozen=True)(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    return jax.tree_util.register_dataclass(cls, data_fields=names, meta_fields=[])


def param_units(params_cls: type) -> dict[str, str]:
    """Map each parameter name of a ``Params`` class to its unit."""
    return {f.name: f.metadata.get("units", "1") for f in dataclasses.fields(params_cls)}


def stream(root: jax.Array, index: int) -> jax.Array:
    """Independent random stream ``index`` of a point whose root key is ``PRNGKey(seed)``.

    The root is the threefry key ``(0, seed)``; stream ``index`` is ``(index, seed)``. Distinct
    keys give independent streams and, unlike ``fold_in``, deriving them costs no threefry call
    (each random kernel is a sizeable part of a network job's cold compile).
    """
    data = jax.random.key_data(root) if jnp.issubdtype(root.dtype, jax.dtypes.prng_key) else root
    return data.at[0].set(jnp.uint32(index))


#: The streams of a point (the runner derives the per-step and protocol keys; models may use the others).
STEP_STREAM, PROTOCOL_STREAM = 3, 4


@dataclasses.dataclass(frozen=True)
class Setup:
    """The static facts of a run (hashable: the compiled program depends on them and nothing else).

    ``static`` holds what the model derives from the whole experiment before it runs
    (:attr:`ModelSpec.static`: population sizes, a connectivity table's width); ``initial_spec``
    the config's ``init`` (JSON), for models that draw per-element initial values themselves.
    """

    dt: float
    method: str = "exp_euler"
    static: tuple[tuple[str, Hashable], ...] = ()
    initial_spec: str = "{}"

    def __getitem__(self, name: str) -> Any:
        return dict(self.static)[name]

    def initial(self, name: str) -> Any:
        """The config's initial-value spec of ``name`` (a number, a distribution, or None)."""
        return json.loads(self.initial_spec).get(name)


def _no_functions() -> dict[str, "ModelFunction"]:
    return {}


def _no_static(params: Any, swept: Mapping[str, Any]) -> dict[str, Hashable]:
    return {}


def _no_sizes(params: Any) -> dict[str, int]:
    return {}


def _no_coords(params: Any) -> dict[str, Any]:
    return {}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Everything the runner, the dynamics toolkit and the validator need to know of a model.

    Attributes
    ----------
    name:
        Registry name used in config (``model: hh``).
    Params, State:
        The frozen pytree classes.
    init_state, step:
        The init/step pair (module docstring).
    derivatives:
        The continuous vector field, or None for a model that is only stepped (a network):
        such a model supports ``kind: simulation`` only.
    variables:
        Every recordable name (state variables and observables) with units, long name and dims.
    inputs:
        Input names the model accepts with their units (e.g. ``{"I": "uA/cm2", "V_clamp": "mV"}``);
        an input the protocol does not drive is left out of a simulation's step.
    input_defaults:
        The value of an input that nothing sets where every input is given (fixed points,
        vector fields, a step map); default 0. HH's ``V_clamp`` is NaN there: a free membrane.
    spikes:
        The observable holding the step's spikes (booleans of the spiking dims), or None.
    methods:
        Integrators the model supports; the first is the default (the course's).
    functions:
        Named analytic functions over a grid (e.g. HH gate kinetics).
    continuous:
        The state variables of the continuous vector field; None means all.
    static:
        ``static(params, swept) -> {name: hashable}`` from the fixed parameters (a ``Params`` of
        Python floats) and every swept value: what fixes array shapes (sizes, table widths).
    sizes:
        ``sizes(params) -> {dim: size}`` of the model's dims (e.g. ``{"neuron": 2000}``).
    coords:
        ``coords(params) -> {name: (dim, values, attrs)}``: coordinates of those dims.
    constants:
        State fields stored once, from the initial state (e.g. a network's out-degrees).
    totals:
        Observables summed over the run (integers, e.g. synaptic events delivered).
    time_statistics:
        Observables whose time mean and sd per element are stored as ``<name>_mean``/``_sd``
        (switched off by ``record: {input_statistics: false}``).
    analyses:
        The analyses (names in :mod:`neurosweep.analysis`) an experiment of this model gets
        when its config names none.
    random:
        Whether ``step`` draws random numbers: it then gets the step's key; a deterministic model
        gets ``None`` (its program carries no key derivation: 0.15 s less compile for an HH sweep).
    """

    name: str
    Params: type
    State: type
    init_state: Callable[..., Any]
    step: Callable[..., Any]
    variables: Mapping[str, Variable]
    inputs: Mapping[str, str]
    derivatives: Callable[..., Any] | None = None
    description: str = ""
    spikes: str | None = "spike"
    methods: tuple[str, ...] = ("exp_euler", "rk4", "euler")
    functions: Mapping[str, "ModelFunction"] = dataclasses.field(default_factory=_no_functions)
    continuous: tuple[str, ...] | None = None
    static: Callable[[Any, Mapping[str, Any]], Mapping[str, Hashable]] = _no_static
    sizes: Callable[[Any], Mapping[str, int]] = _no_sizes
    coords: Callable[[Any], Mapping[str, Any]] = _no_coords
    constants: Mapping[str, Variable] = dataclasses.field(default_factory=dict)
    totals: Mapping[str, Variable] = dataclasses.field(default_factory=dict)
    time_statistics: Mapping[str, Variable] = dataclasses.field(default_factory=dict)
    analyses: tuple[str, ...] = ("spike_statistics",)
    random: bool = False
    input_defaults: Mapping[str, float] = dataclasses.field(default_factory=dict)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.Params))

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.State))

    @property
    def continuous_names(self) -> tuple[str, ...]:
        return self.continuous or self.state_names

    @property
    def param_units(self) -> dict[str, str]:
        return param_units(self.Params)

    @property
    def structural_params(self) -> tuple[str, ...]:
        """Parameters that fix array shapes (population sizes): settable, not sweepable."""
        return tuple(f.name for f in dataclasses.fields(self.Params) if f.metadata.get("structural"))

    @property
    def param_domains(self) -> dict[str, str]:
        """Parameters with a restricted domain -> that domain (a key of :data:`DOMAINS`)."""
        return {f.name: f.metadata["domain"] for f in dataclasses.fields(self.Params) if f.metadata.get("domain")}

    @property
    def kinds(self) -> tuple[str, ...]:
        """The experiment kinds the model supports: analysis needs its vector field."""
        if self.derivatives is None:
            return ("simulation",) + (("function",) if self.functions else ())
        if any(self.variables[name].dims for name in self.continuous_names if name in self.variables):
            # A field (hundreds of dims): fixed points by the slow-point finder, not grids or continuation.
            return ("simulation", "slow_points")
        return ("simulation", "function", "fixed_points", "vector_field", "continuation")

    def defaults(self, **overrides: float) -> Any:
        """The default ``Params`` (Python floats) with ``overrides``."""
        return self.Params(**{**dataclasses.asdict(self.Params()), **overrides})


@dataclasses.dataclass(frozen=True)
class ModelFunction:
    """An analytic function of a model evaluated on a 1-D grid (no time integration)."""

    fn: Callable[..., Mapping[str, Any]]
    grid_name: str
    grid_units: str
    outputs: Mapping[str, Variable]
