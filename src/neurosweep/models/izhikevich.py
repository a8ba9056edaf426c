"""Izhikevich neuron.

.. math::

    \\frac{dV}{dt} = 0.04 V^2 + 5 V + 140 - u + I, \\qquad \\frac{du}{dt} = a (b V - u)

At ``V >= V_th`` (30 mV): V <- c, u <- u + d. Defaults are the course's (a = 0.02, b = 0.2,
c = -65, d = 2). Reference: Izhikevich E.M. (2003) IEEE Trans. Neural Netw. 14:1569-1572.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp

from neurosweep.integrators import integrate
from neurosweep.models._fire import fire
from neurosweep.models.base import Setup, ModelSpec, Variable, param, pytree_dataclass


@pytree_dataclass
class Params:
    a: float = param(0.02, "1/ms", "recovery rate")
    b: float = param(0.2, "1", "recovery sensitivity to V")
    c: float = param(-65.0, "mV", "reset potential")
    d: float = param(2.0, "mV/ms", "recovery increment at a spike")
    V_th: float = param(30.0, "mV", "spike cut-off")


@pytree_dataclass
class State:
    V: jax.Array
    u: jax.Array


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    dV = 0.04 * state.V**2 + 5.0 * state.V + 140.0 - state.u + inputs["I"]
    du = params.a * (params.b * state.V - state.u)
    return State(V=dV, u=du)


def init_state(params: Params, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State:
    """Start at ``initial["V"]`` (default c) with u = b V unless given."""
    V = jnp.asarray(initial.get("V", params.c), dtype=params.a.dtype)
    return State(V=V, u=jnp.asarray(initial.get("u", params.b * V), dtype=V.dtype))


def step(
    state: State, params: Params, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup
) -> tuple[State, dict[str, jax.Array]]:
    new = integrate(setup.method, lambda s: derivatives(s, params, inputs), state, setup.dt)
    spike, V, _ = fire(new.V, params.V_th, params.c, inputs["t_ms"], inputs["t_ms"])
    return State(V=V, u=new.u + jnp.where(spike, params.d, 0.0)), {"spike": spike}


MODEL = ModelSpec(
    name="izhikevich",
    description="Izhikevich neuron",
    Params=Params,
    State=State,
    init_state=init_state,
    derivatives=derivatives,
    step=step,
    variables={"V": Variable("mV", "membrane potential"), "u": Variable("mV/ms", "recovery variable")},
    inputs={"I": "mV/ms"},
)
