"""Hodgkin-Huxley neuron (squid giant axon), as in the course and BrainPy's ``bp.dyn.HH``.

.. math::

    C \\frac{dV}{dt} = -g_{Na} m^3 h (V - E_{Na}) - g_K n^4 (V - E_K) - g_L (V - E_L) + I

    \\frac{dx}{dt} = \\phi [\\alpha_x(V)(1 - x) - \\beta_x(V) x], \\quad x \\in \\{m, h, n\\}

with the rate functions of Hodgkin & Huxley (1952) in the modern sign convention (V in mV,
rest near -65 mV for gL = 0.3), and phi = 3^((T - 6.3)/10).

Inputs: ``I`` (uA/cm2) and ``V_clamp`` (mV): where ``V_clamp`` is finite the membrane is held
at it (voltage clamp) and only the gates evolve. A spike is an upward crossing of ``V_th``.

Defaults are BrainPy's (``gL = 0.03`` mS/cm2, not the classical 0.3; ``EL = -54.387`` mV), which
put the resting state at V = -70.676 mV (course_figures.md T1).

Reference: Hodgkin A.L., Huxley A.F. (1952) J. Physiol. 117:500-544.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.integrators import integrate
from neurosweep.models.base import Setup, ModelFunction, ModelSpec, Variable, param, pytree_dataclass

#: The course's initial membrane potential (textbook voltage-clamp class), mV.
V_INIT_MV = -70.67647


@pytree_dataclass
class Params:
    """HH parameters (BrainPy ``bp.dyn.HH`` defaults)."""

    ENa: float = param(50.0, "mV", "sodium reversal potential")
    gNa: float = param(120.0, "mS/cm2", "maximal sodium conductance", domain=">= 0")
    EK: float = param(-77.0, "mV", "potassium reversal potential")
    gK: float = param(36.0, "mS/cm2", "maximal potassium conductance", domain=">= 0")
    EL: float = param(-54.387, "mV", "leak reversal potential")
    gL: float = param(0.03, "mS/cm2", "leak conductance", domain=">= 0")
    C: float = param(1.0, "uF/cm2", "membrane capacitance", domain="> 0")
    V_th: float = param(20.0, "mV", "spike detection threshold (upward crossing)")
    T: float = param(6.3, "degC", "temperature; gates scale by phi = 3^((T - 6.3)/10)")


@pytree_dataclass
class State:
    V: jax.Array
    m: jax.Array
    h: jax.Array
    n: jax.Array


_EXP_M05 = float(np.exp(-0.5))
_EXP_M2 = float(np.exp(-2.0))


def _alpha_linear(u: jax.Array, exp_minus_u_over_10: jax.Array) -> jax.Array:
    """``0.1 u / (1 - exp(-u/10))``, continued to 1 + u/20 near its removable singularity u = 0."""
    small = jnp.abs(u) < 1e-3
    denominator = jnp.where(small, 1.0, 1.0 - exp_minus_u_over_10)
    return jnp.where(small, 1.0 + u / 20.0, 0.1 * u / denominator)


def gate_rates(V: jax.Array) -> dict[str, tuple[jax.Array, jax.Array]]:
    """Opening and closing rates (1/ms) of the m, h and n gates at membrane potential V (mV)."""
    # alpha_m = 0.1 (V+40) / (1 - exp(-(V+40)/10)) = 1 / exprel(-(V+40)/10); alpha_n likewise.
    # exp(-(V+40)/10) and exp(-(V+55)/10) are exp(-(V+35)/10) times constants, so the three
    # sigmoid-type rates share one exponential (exact algebra, one exp instead of three).
    e35 = jnp.exp(-(V + 35.0) / 10.0)
    alpha_m = _alpha_linear(V + 40.0, e35 * _EXP_M05)
    alpha_n = 0.1 * _alpha_linear(V + 55.0, e35 * _EXP_M2)
    beta_h = 1.0 / (1.0 + e35)
    beta_m = 4.0 * jnp.exp(-(V + 65.0) / 18.0)
    alpha_h = 0.07 * jnp.exp(-(V + 65.0) / 20.0)
    beta_n = 0.125 * jnp.exp(-(V + 65.0) / 80.0)
    return {"m": (alpha_m, beta_m), "h": (alpha_h, beta_h), "n": (alpha_n, beta_n)}


def steady_state(V: jax.Array) -> dict[str, jax.Array]:
    """Gate values at steady state, x_inf(V) = alpha / (alpha + beta)."""
    return {name: a / (a + b) for name, (a, b) in gate_rates(V).items()}


def _phi(params: Params) -> jax.Array:
    return 3.0 ** ((params.T - 6.3) / 10.0)


def conductances(state: State, params: Params) -> dict[str, jax.Array]:
    """Sodium and potassium conductances (mS/cm2)."""
    return {
        "g_Na": params.gNa * state.m**3 * state.h,
        "g_K": params.gK * state.n**4,
    }


def currents(state: State, params: Params) -> dict[str, jax.Array]:
    """Ionic currents (uA/cm2), outward positive: I_x = g_x (V - E_x)."""
    g = conductances(state, params)
    I_Na = g["g_Na"] * (state.V - params.ENa)
    I_K = g["g_K"] * (state.V - params.EK)
    I_L = params.gL * (state.V - params.EL)
    return {"I_Na": I_Na, "I_K": I_K, "I_L": I_L, "I_ion": I_Na + I_K + I_L}


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    """Time derivatives (per ms) of V, m, h, n."""
    phi = _phi(params)
    rates = gate_rates(state.V)
    gates = {"m": state.m, "h": state.h, "n": state.n}
    d_gates = {x: phi * (a * (1.0 - gates[x]) - b * gates[x]) for x, (a, b) in rates.items()}
    dV = (inputs["I"] - currents(state, params)["I_ion"]) / params.C
    return State(V=dV, **d_gates)


def relaxation(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> tuple[State, State]:
    """Each variable's instantaneous steady state and rate, the exponential-Euler form.

    Gates relax to x_inf = alpha/(alpha + beta) at rate -phi (alpha + beta); V relaxes to the
    conductance-weighted reversal potential E = (sum g_x E_x + I) / g at rate -g / C, with
    g = gNa m^3 h + gK n^4 + gL > 0.
    """
    phi = _phi(params)
    g = conductances(state, params)
    g_total = g["g_Na"] + g["g_K"] + params.gL
    E = (g["g_Na"] * params.ENa + g["g_K"] * params.EK + params.gL * params.EL + inputs["I"]) / g_total
    rates = gate_rates(state.V)
    targets = State(V=E, **{x: a / (a + b) for x, (a, b) in rates.items()})
    slopes = State(V=-g_total / params.C, **{x: -phi * (a + b) for x, (a, b) in rates.items()})
    return targets, slopes


def init_state(params: Params, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State:
    """Start at ``initial["V"]`` (default -70.67647 mV) with unspecified gates at x_inf(V)."""
    V = jnp.asarray(initial.get("V", V_INIT_MV), dtype=params.C.dtype)
    gates = steady_state(V)
    values = {x: jnp.asarray(initial.get(x, gates[x]), dtype=V.dtype) for x in gates}
    return State(V=V, **values)


def step(
    state: State, params: Params, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup
) -> tuple[State, dict[str, jax.Array]]:
    """One step of ``dt`` ms; under voltage clamp V is held at ``inputs["V_clamp"]``.

    A clamp is a static choice: without a ``V_clamp`` input the membrane is free (and a
    ``V_clamp`` that is NaN frees it too).
    """
    start = state
    if "V_clamp" in inputs:
        clamped = jnp.isfinite(inputs["V_clamp"])
        start = dataclasses.replace(state, V=jnp.where(clamped, inputs["V_clamp"], state.V))
    new = integrate(
        setup.method, lambda s: derivatives(s, params, inputs), start, setup.dt, lambda s: relaxation(s, params, inputs)
    )
    if "V_clamp" in inputs:
        new = dataclasses.replace(new, V=jnp.where(clamped, inputs["V_clamp"], new.V))
    spike = (start.V < params.V_th) & (new.V >= params.V_th)
    return new, {"spike": spike, **conductances(new, params), **currents(new, params)}


def gate_kinetics(params: Params, V: jax.Array) -> dict[str, jax.Array]:
    """alpha_x, beta_x, tau_x = 1/(alpha+beta) and x_inf = alpha/(alpha+beta) for x in m, h, n."""
    phi = _phi(params)
    out = {}
    for x, (a, b) in gate_rates(V).items():
        out[f"alpha_{x}"] = phi * a
        out[f"beta_{x}"] = phi * b
        out[f"tau_{x}"] = 1.0 / (phi * (a + b))
        out[f"{x}_inf"] = a / (a + b)
    return out


def _gate_outputs() -> dict[str, Variable]:
    out = {}
    for x in ("m", "h", "n"):
        out[f"alpha_{x}"] = Variable("1/ms", f"opening rate of {x}")
        out[f"beta_{x}"] = Variable("1/ms", f"closing rate of {x}")
        out[f"tau_{x}"] = Variable("ms", f"time constant of {x}")
        out[f"{x}_inf"] = Variable("1", f"steady-state value of {x}")
    return out


MODEL = ModelSpec(
    name="hh",
    description="Hodgkin-Huxley neuron",
    Params=Params,
    State=State,
    init_state=init_state,
    derivatives=derivatives,
    step=step,
    variables={
        "V": Variable("mV", "membrane potential"),
        "m": Variable("1", "Na activation gate m"),
        "h": Variable("1", "Na inactivation gate h"),
        "n": Variable("1", "K activation gate n"),
        "g_Na": Variable("mS/cm2", "sodium conductance"),
        "g_K": Variable("mS/cm2", "potassium conductance"),
        "I_Na": Variable("uA/cm2", "sodium current (outward positive)"),
        "I_K": Variable("uA/cm2", "potassium current (outward positive)"),
        "I_L": Variable("uA/cm2", "leak current (outward positive)"),
        "I_ion": Variable("uA/cm2", "total ionic current (outward positive)"),
    },
    inputs={"I": "uA/cm2", "V_clamp": "mV"},
    input_defaults={"V_clamp": float("nan")},
    functions={
        "gate_kinetics": ModelFunction(
            fn=gate_kinetics, grid_name="V", grid_units="mV", outputs=_gate_outputs()
        )
    },
)
