"""Cheap counter-based random numbers for use inside a simulation loop.

Poisson inputs draw one number per neuron per step: a 2,000-neuron background is 32 million
draws in a 1.6-s trial. JAX's threefry (and XLA's Philox, which the CPU backend expands into many
small operations) cost 15-25 ns a number inside a step and took 0.6 of the 0.8 s of the Wang
(2002) trial; :func:`uniforms` is a counter-based generator of a few integer operations per
number, fused with what consumes it (0.26 s for the whole trial). It is keyed by a JAX key (the
step's key, a threefry key derived from the point's seed and the step index), so the draws are
reproducible and independent of chunking; within a draw each element hashes its own index.
Tested for uniformity and for correlations between elements and between steps
(``tests/test_network_kit.py``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

__all__ = ["normals", "uniforms"]

_WEYL = 0x9E3779B9  # 2^32 / golden ratio: consecutive indices land far apart before mixing


def _mix(x: jax.Array) -> jax.Array:
    """The ``lowbias32`` integer hash (C. Wellons, 2018): a bijection of uint32 with near-ideal avalanche."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def _bits(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """One well-mixed uint32 per element: ``mix(mix(j * golden + k0) ^ k1)`` of the key's words (k0, k1)."""
    data = jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    data = data.astype(jnp.uint32)
    index = jax.lax.iota(jnp.uint32, math.prod(shape)).reshape(shape)
    return _mix(_mix(index * jnp.uint32(_WEYL) + data[0]) ^ data[1])


def uniforms(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """float32 uniforms on [0, 1) (24-bit resolution), one per element of ``shape``, keyed by ``key``.

    Distinct elements give distinct, well-mixed words; distinct keys give unrelated streams.
    """
    return (_bits(key, shape) >> 8).astype(jnp.float32) * jnp.float32(2.0**-24)


def normals(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """float32 standard normal numbers by inverting the normal CDF at the centres of a 2^23-cell
    grid of (0, 1): both ends are exact in float32, so no draw is +/-inf (|z| <= 5.3)."""
    centred = ((_bits(key, shape) >> 9).astype(jnp.float32) + jnp.float32(0.5)) * jnp.float32(2.0**-23)
    return jax.scipy.special.ndtri(centred)
