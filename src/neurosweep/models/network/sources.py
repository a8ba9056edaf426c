"""Sources: groups of neurons that emit spikes at given rates (pure JAX)."""

from __future__ import annotations

import jax

from neurosweep.rng import uniforms

__all__ = ["poisson_spikes"]


def poisson_spikes(key: jax.Array, rate_hz: jax.Array, dt: float, shape: tuple[int, ...]) -> jax.Array:
    """Independent Poisson spike trains (BrainPy ``PoissonGroup``): a spike where a uniform draw
    is below ``rate_hz dt / 1000``; a rate at or below zero never spikes.

    ``rate_hz`` broadcasts against ``shape`` (one rate for all, or one per neuron).
    """
    return uniforms(key, shape) < rate_hz * (dt / 1000.0)
