"""Synapse kinetics with their own state, and the currents they make (pure JAX, per element).

Units: conductances in the model's unit (nS, or relative to the leak), potentials in mV, time
in ms. Updates are the course's (BrainPy ``exp_auto``): exact for the linear decays, exponential
Euler for NMDA's saturating gate.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from neurosweep.models.base import pytree_dataclass

__all__ = ["NMDAState", "conductance_current", "exponential", "mg_block", "nmda_state", "nmda_step"]

#: BrainPy ``MgBlock`` defaults (Jahr & Stevens 1990): B(V) = 1 / (1 + [Mg] / beta exp(-alpha V)).
MG_ALPHA_PER_MV = 0.062
MG_BETA_MM = 3.57


def exponential(g: jax.Array, decay: jax.Array, increment: jax.Array) -> jax.Array:
    """An exponential synapse (BrainPy ``Expon``): ``g <- g exp(-dt/tau) + increment``.

    ``decay`` is ``exp(-dt/tau)``; ``increment`` the weight times the spikes (or events) that arrive.
    """
    return g * decay + increment


def conductance_current(g: jax.Array, E: jax.Array, V: jax.Array) -> jax.Array:
    """A conductance-based (COBA) current into the cell: ``g (E - V)``."""
    return g * (E - V)


def mg_block(V: jax.Array, mg_mM: jax.Array, alpha: float = MG_ALPHA_PER_MV, beta: float = MG_BETA_MM) -> jax.Array:
    """The NMDA magnesium block ``B(V) = 1 / (1 + [Mg] / beta exp(-alpha V))`` (Jahr & Stevens 1990)."""
    return 1.0 / (1.0 + mg_mM / beta * jnp.exp(-alpha * V))


@pytree_dataclass
class NMDAState:
    """NMDA gating of each presynaptic neuron: the open fraction ``s`` and the rise variable ``x``."""

    s: jax.Array
    x: jax.Array


def nmda_state(shape: tuple[int, ...], dtype: jnp.dtype) -> NMDAState:
    return NMDAState(s=jnp.zeros(shape, dtype), x=jnp.zeros(shape, dtype))


def nmda_step(state: NMDAState, spike: jax.Array, tau_decay: jax.Array, tau_rise: jax.Array, a: jax.Array, dt: float) -> NMDAState:
    """One step of NMDA kinetics with rise, decay and saturation (BrainPy ``NMDA``)::

        ds/dt = -s / tau_decay + a x (1 - s),     dx/dt = -x / tau_rise,     x <- x + spike

    Exponential Euler with x held over the step (s relaxes exactly to its momentary steady
    state ``a x / (1/tau_decay + a x)`` at rate ``1/tau_decay + a x``); x decays exactly; the
    spike is added after the step.
    """
    rate = 1.0 / tau_decay + a * state.x
    s_inf = a * state.x / rate
    s = s_inf + (state.s - s_inf) * jnp.exp(-rate * dt)
    return NMDAState(s=s, x=state.x * jnp.exp(-dt / tau_rise) + spike)
