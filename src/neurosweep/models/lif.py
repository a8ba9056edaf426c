"""Leaky integrate-and-fire neuron with an absolute refractory period.

.. math::

    \\tau \\frac{dV}{dt} = -(V - V_{rest}) + R I

When V reaches ``V_th`` (``V >= V_th``, BrainPy ``LifRef``) a spike is emitted, V is set to
``V_reset`` and held there while ``t - t_spike <= tau_ref`` (``round(tau_ref/dt)`` steps after the
spike step). The input ``I`` is the course's dimensionless input, multiplied by R (mV per unit).

Closed form for constant I above rheobase (V_th - V_rest)/R (course_figures.md T2-T7)::

    f = 1 / (tau_ref + tau * ln((R I + V_rest - V_reset) / (R I + V_rest - V_th)))

Defaults are BrainPy's ``bp.dyn.LifRef``; the course's hand-written neuron sets ``tau_ref = 5``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.models._fire import LAST_SPIKE, VoltageState, voltage_init, voltage_rate, voltage_step
from neurosweep.models.base import ModelFunction, ModelSpec, Variable, param, pytree_dataclass

@pytree_dataclass
class Params:
    """LIF parameters (BrainPy ``bp.dyn.LifRef`` defaults)."""

    V_rest: float = param(0.0, "mV", "resting potential")
    V_reset: float = param(-5.0, "mV", "reset potential")
    V_th: float = param(20.0, "mV", "spike threshold")
    R: float = param(1.0, "mV", "membrane resistance (mV per unit of input)", domain="> 0")
    tau: float = param(10.0, "ms", "membrane time constant", domain="> 0")
    tau_ref: float = param(0.0, "ms", "absolute refractory period", domain=">= 0")


State = VoltageState


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    dV = (-(state.V - params.V_rest) + params.R * inputs["I"]) / params.tau
    return voltage_rate(dV)


init_state = voltage_init
step = voltage_step(derivatives)


def firing_rate_hz(I: np.ndarray, params: Params | None = None, **overrides: float) -> np.ndarray:
    """Closed-form firing rate (Hz) for constant input ``I`` (zero at or below rheobase)."""
    p = dataclasses.replace(params or Params(), **overrides)
    return np.asarray(_closed_form_rate(np, p, np.asarray(I, dtype=float)))


def _closed_form_rate(xp: Any, p: Params, I: Any) -> Any:
    drive = p.R * I + p.V_rest
    above = drive > p.V_th
    safe_gap = xp.where(above, drive - p.V_th, 1.0)
    charge_ms = p.tau * xp.log(xp.where(above, drive - p.V_reset, 2.0) / safe_gap)
    return xp.where(above, 1000.0 / (p.tau_ref + charge_ms), 0.0)


def closed_form(params: Params, I: jax.Array) -> dict[str, jax.Array]:
    """The closed-form rate on a grid of inputs (``kind: function``, ``function: closed_form``)."""
    return {"firing_rate_hz": _closed_form_rate(jnp, params, I)}


MODEL = ModelSpec(
    name="lif",
    description="Leaky integrate-and-fire neuron with refractoriness",
    Params=Params,
    State=State,
    init_state=init_state,
    derivatives=derivatives,
    step=step,
    variables={
        "V": Variable("mV", "membrane potential"),
        "t_last_spike_ms": LAST_SPIKE,
    },
    inputs={"I": "1"},
    continuous=("V",),
    functions={
        "closed_form": ModelFunction(
            fn=closed_form, grid_name="I", grid_units="1", outputs={"firing_rate_hz": Variable("Hz", "closed-form firing rate")}
        )
    },
)
