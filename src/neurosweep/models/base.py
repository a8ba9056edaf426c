"""The one interface every model family implements.

A model is a module in :mod:`neurosweep.models` that defines ``MODEL``, a :class:`ModelSpec`.
Everything a model knows is pure JAX over frozen pytrees:

* ``Params``: a frozen dataclass of scalar parameters (one field per parameter, units in the
  field's ``metadata``), registered as a pytree so a batch of parameter sets is one ``Params``
  whose leaves have a leading ``point`` axis.
* ``State``: a frozen dataclass pytree of the dynamical variables.
* ``derivatives(state, params, inputs)``: the continuous vector field (what the integrators and
  the dynamics toolkit use).
* ``step(state, params, inputs, dt, method)``: one time step, resets and refractoriness
  included, returning ``(new_state, observables)``; ``observables["spike"]`` is a boolean.

A model never sees files, config or figures; the runner in :mod:`neurosweep.simulate` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax

__all__ = ["ModelSpec", "Variable", "param", "pytree_dataclass", "param_units"]


@dataclasses.dataclass(frozen=True)
class Variable:
    """A recordable quantity: a state variable or a derived observable."""

    units: str
    long_name: str


DOMAINS: dict[str, Callable[[float], bool]] = {
    "> 0": lambda value: value > 0,
    ">= 0": lambda value: value >= 0,
    "[0, 1]": lambda value: 0 <= value <= 1,
    "whole >= 1": lambda value: value >= 1 and float(value).is_integer(),
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


def _no_functions() -> dict[str, Callable[..., Any]]:
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
    init_state:
        ``init_state(params, initial) -> State``; ``initial`` maps some state variable names to
        values (already sampled); the model fills in the others (e.g. HH gates at x_inf(V)).
    derivatives:
        ``derivatives(state, params, inputs) -> State`` of time derivatives (per ms).
    step:
        ``step(state, params, inputs, dt, method) -> (State, dict)``.
    variables:
        Every recordable name (state variables and observables) with units and long name.
    inputs:
        Input names the model accepts (e.g. ``("I", "V_clamp")``) with their units.
    methods:
        Integrators the model supports; the first is the default (the course's). Every model
        written as ``derivatives`` + ``integrate`` supports all three.
    functions:
        Named analytic functions ``f(params, grid) -> dict[name, array]`` evaluated over a grid
        (e.g. HH gate kinetics), with the grid variable's name, units and outputs' metadata.
    continuous:
        The state variables of the continuous vector field (fixed points and phase planes act on
        these); None means all. Bookkeeping such as the last spike time is left out.
    """

    name: str
    Params: type
    State: type
    init_state: Callable[..., Any]
    derivatives: Callable[..., Any]
    step: Callable[..., Any]
    variables: Mapping[str, Variable]
    inputs: Mapping[str, str]
    description: str = ""
    methods: tuple[str, ...] = ("exp_euler", "rk4", "euler")
    functions: Mapping[str, "ModelFunction"] = dataclasses.field(default_factory=_no_functions)
    continuous: tuple[str, ...] | None = None
    #: A network model (populations of neurons and random projections): see :class:`NetworkSpec`.
    network: "NetworkSpec | None" = None

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


@dataclasses.dataclass(frozen=True)
class ModelFunction:
    """An analytic function of a model evaluated on a 1-D grid (no time integration)."""

    fn: Callable[..., Mapping[str, Any]]
    grid_name: str
    grid_units: str
    outputs: Mapping[str, Variable]


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
    """What a network model adds to :class:`ModelSpec`.

    A network model's own ``init_state`` and ``step`` (on :class:`ModelSpec`) take other arguments
    than a single neuron's: ``init_state(params, key, sizes, initial, dt) -> State`` for one point
    (``dt`` lets it hold per-neuron propagators such as exp(-dt/tau), computed once, not every step), and
    ``step(state, params, connectivity, inputs, dt, buffer_size) -> (State, observables)`` on a
    batch (leading axis ``point``; observables hold ``spike`` and per-neuron currents). The step is
    batched explicitly because the event-driven delivery searches the whole batch's spikes at once.

    Attributes
    ----------
    sizes:
        ``sizes(params) -> {population: size}`` from the structural parameters (Python ints).
    connect:
        ``connect(params, key, sizes, max_out_degree) -> Connectivity`` for ONE point (mapped
        over the batch by the runner).
    max_out_degree:
        ``max_out_degree(sizes, largest_p) -> int``: the width of the connectivity table.
    neuron_variables:
        Per-neuron recordable names (traces of chosen neurons) with units and long names.
    """

    sizes: Callable[[Any], Mapping[str, int]]
    connect: Callable[..., Any]
    max_out_degree: Callable[[Mapping[str, int], float], int]
    neuron_variables: Mapping[str, Variable]
    connection_probability: str = "p_conn"
