"""Threshold, reset and refractoriness shared by the integrate-and-fire family."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def refractory(t_ms: jax.Array, t_last_spike_ms: jax.Array, tau_ref: jax.Array, dt: float) -> jax.Array:
    """True while ``t - t_spike <= tau_ref`` (BrainPy ``LifRef``).

    Half a step of slack makes the hold exactly ``round(tau_ref/dt)`` steps whatever the rounding
    of t.
    """
    return (t_ms - t_last_spike_ms) <= tau_ref + 0.5 * dt


def fire(
    V: jax.Array, V_th: jax.Array, V_reset: jax.Array, t_ms: jax.Array, t_last_spike_ms: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Spike where ``V >= V_th``: reset V and stamp the spike time. Returns (spike, V, t_last)."""
    spike = V >= V_th
    return spike, jnp.where(spike, V_reset, V), jnp.where(spike, t_ms, t_last_spike_ms)
