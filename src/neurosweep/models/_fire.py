"""Threshold, reset and refractoriness shared by the integrate-and-fire family."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from neurosweep.integrators import integrate
from neurosweep.models.base import Setup, Variable, pytree_dataclass

#: "Never spiked": far enough in the past that no refractory window is open at t = 0.
NEVER_MS = -1.0e7
#: The recordable last-spike time of every integrate-and-fire state.
LAST_SPIKE = Variable("ms", "time of the last spike")


@pytree_dataclass
class VoltageState:
    """The state of a one-variable integrate-and-fire neuron."""

    V: jax.Array
    t_last_spike_ms: jax.Array


def voltage_state(V: Any, dtype: Any) -> VoltageState:
    """A neuron at ``V`` that has never spiked."""
    V = jnp.asarray(V, dtype=dtype)
    return VoltageState(V=V, t_last_spike_ms=jnp.full_like(V, NEVER_MS))


def voltage_rate(dV: jax.Array) -> VoltageState:
    """The time derivative of a :class:`VoltageState` whose V changes at ``dV`` (the spike time does not)."""
    return VoltageState(V=dV, t_last_spike_ms=jnp.zeros_like(dV))


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


def integrate_and_fire(
    state: Any, params: Any, inputs: Mapping[str, jax.Array], dt: float, method: str, derivatives: Callable[..., Any]
) -> tuple[Any, jax.Array, jax.Array, jax.Array]:
    """One step of an integrate-and-fire model with a ``V`` and a ``t_last_spike_ms`` field.

    V is integrated except while refractory (then held), then thresholded and reset. Returns the
    integrated state (for the model's other variables), the spike flag, the new V and the new
    last-spike time.
    """
    t = inputs["t_ms"]
    held = refractory(t, state.t_last_spike_ms, params.tau_ref, dt)
    integrated = integrate(method, lambda s: derivatives(s, params, inputs), state, dt)
    V = jnp.where(held, state.V, integrated.V)
    spike, V, t_last = fire(V, params.V_th, params.V_reset, t, state.t_last_spike_ms)
    return integrated, spike, V, t_last


def voltage_init(params: Any, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> VoltageState:
    """A one-variable neuron's initial state: ``initial["V"]`` (default V_rest), never having spiked."""
    return voltage_state(initial.get("V", params.V_rest), params.tau.dtype)


def voltage_step(derivatives: Callable[..., Any]) -> Callable[..., tuple[VoltageState, dict[str, jax.Array]]]:
    """The ``step`` of a one-variable integrate-and-fire neuron whose membrane obeys ``derivatives``."""

    def step(
        state: VoltageState, params: Any, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup
    ) -> tuple[VoltageState, dict[str, jax.Array]]:
        _, spike, V, t_last = integrate_and_fire(state, params, inputs, setup.dt, setup.method, derivatives)
        return VoltageState(V=V, t_last_spike_ms=t_last), {"spike": spike}

    return step
