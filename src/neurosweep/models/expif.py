"""Exponential integrate-and-fire neuron (ExpIF), the one-variable member of the AdEx family.

.. math::

    \\tau \\frac{dV}{dt} = -(V - V_{rest}) + \\Delta_T e^{(V - V_T)/\\Delta_T} + R I

At ``V >= V_th`` (the cut-off): V <- V_reset, held for ``tau_ref``. Defaults are the textbook's
(course_figures.md section 3.2). Rheobase: ``(V_T - V_rest - delta_T) / R``, reached at ``V = V_T``
(T10). The membrane drive is AdEx's (:func:`neurosweep.models.adex.exponential_leak`) without ``w``.

Reference: Fourcaud-Trocme N. et al. (2003) J. Neurosci. 23:11628-11640.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax

from neurosweep.models._fire import LAST_SPIKE, VoltageState, voltage_init, voltage_rate, voltage_step
from neurosweep.models.adex import exponential_leak
from neurosweep.models.base import ModelSpec, Variable, param, pytree_dataclass


@pytree_dataclass
class Params:
    V_rest: float = param(-65.0, "mV", "resting potential")
    V_reset: float = param(-68.0, "mV", "reset potential")
    V_th: float = param(20.0, "mV", "spike cut-off")
    V_T: float = param(-60.0, "mV", "threshold of the exponential term")
    delta_T: float = param(1.0, "mV", "spike slope factor", domain="> 0")
    R: float = param(1.0, "mV", "membrane resistance (mV per unit of input)", domain="> 0")
    tau: float = param(10.0, "ms", "membrane time constant", domain="> 0")
    tau_ref: float = param(2.0, "ms", "absolute refractory period", domain=">= 0")


State = VoltageState


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    return voltage_rate((exponential_leak(state.V, params) + params.R * inputs["I"]) / params.tau)


init_state = voltage_init
step = voltage_step(derivatives)


MODEL = ModelSpec(
    name="expif",
    description="Exponential integrate-and-fire neuron",
    Params=Params,
    State=State,
    init_state=init_state,
    derivatives=derivatives,
    step=step,
    variables={"V": Variable("mV", "membrane potential"), "t_last_spike_ms": LAST_SPIKE},
    inputs={"I": "1"},
    continuous=("V",),
)
