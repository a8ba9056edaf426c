"""FitzHugh-Nagumo neuron.

.. math::

    \\frac{dV}{dt} = V - V^3/3 - w + I, \\qquad \\frac{dw}{dt} = (V + a - b w) / \\tau

Dimensionless; a = 0.7, b = 0.8, tau = 12.5 (the course's). A "spike" is an upward crossing of
``V_th``. Reference: FitzHugh R. (1961) Biophys. J. 1:445-466.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp

from neurosweep.integrators import integrate
from neurosweep.models.base import Setup, ModelSpec, Variable, param, pytree_dataclass


@pytree_dataclass
class Params:
    a: float = param(0.7, "1", "recovery offset")
    b: float = param(0.8, "1", "recovery self-coupling")
    tau: float = param(12.5, "1", "recovery time scale", domain="> 0")
    V_th: float = param(1.0, "1", "spike detection threshold (upward crossing)")


@pytree_dataclass
class State:
    V: jax.Array
    w: jax.Array


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    dV = state.V - state.V**3 / 3.0 - state.w + inputs["I"]
    dw = (state.V + params.a - params.b * state.w) / params.tau
    return State(V=dV, w=dw)


def init_state(params: Params, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State:
    V = jnp.asarray(initial.get("V", 0.0), dtype=params.a.dtype)
    return State(V=V, w=jnp.asarray(initial.get("w", 0.0), dtype=V.dtype))


def step(
    state: State, params: Params, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup
) -> tuple[State, dict[str, jax.Array]]:
    new = integrate(setup.method, lambda s: derivatives(s, params, inputs), state, setup.dt)
    return new, {"spike": (state.V < params.V_th) & (new.V >= params.V_th)}


MODEL = ModelSpec(
    name="fhn",
    description="FitzHugh-Nagumo neuron",
    Params=Params,
    State=State,
    init_state=init_state,
    derivatives=derivatives,
    step=step,
    variables={"V": Variable("1", "membrane variable"), "w": Variable("1", "recovery variable")},
    inputs={"I": "1"},
)
