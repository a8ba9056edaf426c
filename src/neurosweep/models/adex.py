"""Adaptive exponential integrate-and-fire neuron (AdEx), with ExpIF and QIF as its relatives.

.. math::

    \\tau \\frac{dV}{dt} = -(V - V_{rest}) + \\Delta_T e^{(V - V_T)/\\Delta_T} - R w + R I

    \\tau_w \\frac{dw}{dt} = a (V - V_{rest}) - w

At ``V >= V_th``: V <- V_reset, w <- w + b, and V is held for ``tau_ref``. With ``a = b = 0`` and
``w = 0`` this is the exponential IF neuron (:mod:`neurosweep.models.expif`, its 1-D form). Defaults are BrainPy's ``bp.neurons.AdExIF``.

Reference: Brette R., Gerstner W. (2005) J. Neurophysiol. 94:3637-3642.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp

from neurosweep.models._fire import LAST_SPIKE, NEVER_MS, integrate_and_fire
from neurosweep.models.base import Setup, ModelSpec, Variable, param, pytree_dataclass

@pytree_dataclass
class Params:
    """AdEx parameters (BrainPy ``bp.neurons.AdExIF`` defaults)."""

    V_rest: float = param(-65.0, "mV", "resting potential")
    V_reset: float = param(-68.0, "mV", "reset potential")
    V_th: float = param(-55.0, "mV", "spike cut-off")
    V_T: float = param(-59.9, "mV", "threshold of the exponential term")
    delta_T: float = param(3.48, "mV", "spike slope factor", domain="> 0")
    a: float = param(1.0, "nS", "subthreshold adaptation coupling (pA of w per mV)")
    b: float = param(1.0, "pA", "spike-triggered adaptation increment")
    tau: float = param(10.0, "ms", "membrane time constant", domain="> 0")
    tau_w: float = param(30.0, "ms", "adaptation time constant", domain="> 0")
    R: float = param(1.0, "GOhm", "membrane resistance (mV per pA of input)", domain="> 0")
    tau_ref: float = param(0.0, "ms", "absolute refractory period", domain=">= 0")


@pytree_dataclass
class State:
    V: jax.Array
    w: jax.Array
    t_last_spike_ms: jax.Array


def exponential_leak(V: jax.Array, params: Params) -> jax.Array:
    """``-(V - V_rest) + delta_T exp((V - V_T) / delta_T)``: the leak plus the spike-initiation drive (mV)."""
    return -(V - params.V_rest) + params.delta_T * jnp.exp((V - params.V_T) / params.delta_T)


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    dV = (exponential_leak(state.V, params) - params.R * state.w + params.R * inputs["I"]) / params.tau
    dw = (params.a * (state.V - params.V_rest) - state.w) / params.tau_w
    return State(V=dV, w=dw, t_last_spike_ms=jnp.zeros_like(state.t_last_spike_ms))


def init_state(params: Params, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State:
    """Start at ``initial["V"]`` (default V_reset, as the textbook's patterns) and ``initial["w"]`` (default 0)."""
    V = jnp.asarray(initial.get("V", params.V_reset), dtype=params.tau.dtype)
    w = jnp.asarray(initial.get("w", 0.0), dtype=V.dtype)
    return State(V=V, w=w, t_last_spike_ms=jnp.full_like(V, NEVER_MS))


def step(
    state: State, params: Params, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup
) -> tuple[State, dict[str, jax.Array]]:
    integrated, spike, V, t_last = integrate_and_fire(state, params, inputs, setup.dt, setup.method, derivatives)
    w = integrated.w + jnp.where(spike, params.b, 0.0)
    return State(V=V, w=w, t_last_spike_ms=t_last), {"spike": spike}


MODEL = ModelSpec(
    name="adex",
    description="Adaptive exponential integrate-and-fire neuron",
    Params=Params,
    State=State,
    init_state=init_state,
    derivatives=derivatives,
    step=step,
    variables={
        "V": Variable("mV", "membrane potential"),
        "w": Variable("pA", "adaptation current"),
        "t_last_spike_ms": LAST_SPIKE,
    },
    inputs={"I": "pA"},
    continuous=("V", "w"),
)
