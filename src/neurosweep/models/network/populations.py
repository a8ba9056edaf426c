"""Populations: named groups of neurons laid out one after another, each with its own parameters.

A network's neurons are one array (dim ``neuron``); :class:`Populations` knows which slice is
which population, spreads per-population parameters over the neurons, and gives the
coordinates that label them. ``lif_update`` is the LIF membrane step every network here uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.models._fire import refractory

__all__ = ["Populations", "initial_values", "lif_update"]


@dataclasses.dataclass(frozen=True)
class Populations:
    """Population names and sizes, in the order of the ``neuron`` dim (hashable: static)."""

    sizes: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, **sizes: float) -> Populations:
        return cls(tuple((name, int(size)) for name, size in sizes.items()))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.sizes)

    @property
    def n(self) -> int:
        return sum(size for _, size in self.sizes)

    @property
    def bounds(self) -> tuple[tuple[int, int], ...]:
        """``[start, stop)`` of each population along ``neuron``."""
        stops = np.cumsum([size for _, size in self.sizes])
        return tuple((int(stop - size), int(stop)) for (_, size), stop in zip(self.sizes, stops))

    def slice(self, name: str) -> slice:
        return slice(*self.bounds[self.names.index(name)])

    @property
    def index(self) -> np.ndarray:
        """The population (its position in ``names``) of each neuron."""
        return np.repeat(np.arange(len(self.sizes)), [size for _, size in self.sizes])

    def per_neuron(self, values: Mapping[str, Any]) -> jax.Array:
        """One value per neuron from one value per population (every population named)."""
        return jnp.stack([jnp.asarray(values[name]) for name in self.names])[self.index]

    def coords(self) -> dict[str, Any]:
        """Coordinates of the ``neuron`` dim: its index and population (flag values, CF style)."""
        return {
            "neuron": ("neuron", np.arange(self.n), {"units": "1", "long_name": "neuron index"}),
            "population": ("neuron", self.index.astype(np.int8), {
                "long_name": "population", "flag_values": list(range(len(self.sizes))), "flag_meanings": " ".join(self.names),
            }),
        }  # fmt: skip


def initial_values(spec: Any, z: jax.Array, default: jax.Array) -> jax.Array:
    """Per-neuron initial values from a config spec (a number, ``{"normal": [mean, sd]}`` or
    ``{"uniform": [low, high]}``; ``None``: ``default``) and standard normal numbers ``z``."""
    if spec is None:
        return jnp.full(z.shape, default, z.dtype)
    if isinstance(spec, Mapping):
        ((dist, (a, b)),) = spec.items()
        if dist == "uniform":  # through the normal CDF: uniform on (0, 1)
            return a + (b - a) * jax.scipy.stats.norm.cdf(z)
        return a + b * z
    return jnp.full(z.shape, spec, z.dtype)


def lif_update(
    V: jax.Array, t_last_spike_ms: jax.Array, V_inf: jax.Array, decay: jax.Array,
    V_th: jax.Array, V_reset: jax.Array, tau_ref: jax.Array, t_ms: jax.Array, dt: float,
) -> tuple[jax.Array, jax.Array, jax.Array]:  # fmt: skip
    """One LIF step (BrainPy ``LifRef``): ``V <- V_inf + (V - V_inf) exp(-dt/tau)``, the input held
    over the step (``V_inf`` = V_rest + R I, ``decay`` = exp(-dt/tau)); V held while refractory;
    a spike at ``V >= V_th`` resets V and stamps the time. Returns (spike, V, t_last_spike_ms).
    """
    V_new = V_inf + (V - V_inf) * decay
    V_new = jnp.where(refractory(t_ms, t_last_spike_ms, tau_ref, dt), V, V_new)
    spike = V_new >= V_th
    return spike, jnp.where(spike, V_reset, V_new), jnp.where(spike, t_ms, t_last_spike_ms)
