"""Quadratic integrate-and-fire neuron.

.. math::

    \\tau \\frac{dV}{dt} = a_0 (V - V_{rest})(V - V_c) + R I

At ``V >= V_th`` (the cut-off, 0 mV): V <- V_reset, held for ``tau_ref``. Defaults are the
textbook's. Rheobase: a0 (V_c - V_rest)^2 / (4 R) (course_figures.md T8).
"""

from __future__ import annotations

from collections.abc import Mapping

import jax

from neurosweep.models._fire import LAST_SPIKE, VoltageState, voltage_init, voltage_rate, voltage_step
from neurosweep.models.base import ModelSpec, Variable, param, pytree_dataclass

@pytree_dataclass
class Params:
    V_rest: float = param(-65.0, "mV", "resting potential (stable fixed point at I = 0)")
    V_c: float = param(-50.0, "mV", "critical potential (unstable fixed point at I = 0)")
    a0: float = param(0.07, "1/mV", "curvature")
    R: float = param(1.0, "mV", "membrane resistance (mV per unit of input)", domain="> 0")
    tau: float = param(10.0, "ms", "membrane time constant", domain="> 0")
    V_th: float = param(0.0, "mV", "spike cut-off")
    V_reset: float = param(-68.0, "mV", "reset potential")
    tau_ref: float = param(5.0, "ms", "absolute refractory period", domain=">= 0")


State = VoltageState


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    dV = (params.a0 * (state.V - params.V_rest) * (state.V - params.V_c) + params.R * inputs["I"]) / params.tau
    return voltage_rate(dV)


init_state = voltage_init
step = voltage_step(derivatives)


MODEL = ModelSpec(
    name="qif",
    description="Quadratic integrate-and-fire neuron",
    Params=Params,
    State=State,
    init_state=init_state,
    derivatives=derivatives,
    step=step,
    variables={"V": Variable("mV", "membrane potential"), "t_last_spike_ms": LAST_SPIKE},
    inputs={"I": "1"},
    continuous=("V",),
)
