"""Neural fields: populations laid out on a ring or a torus, coupled by a translation-invariant kernel.

On a ring of N neurons at ``x_i = -pi + 2 pi i / N`` (or a torus of N x N), a weight that depends
only on the distance between two neurons makes the recurrent input a circular convolution,
``I_i = sum_j J(d(x_i, x_j)) r_j``. :func:`circular_convolution` computes it by FFT, O(N log N)
per step instead of the O(N^2) product with the dense matrix (:func:`dense_kernel`, kept as the
reference the FFT is tested against). The kernel is even (J(d) = J(-d)), so its spectrum is real
and is computed once per point (:func:`kernel_spectrum`).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["circular_convolution", "dense_kernel", "gaussian_spectrum", "kernel_spectrum", "ring_distance", "ring_positions"]


def ring_positions(n: int, dtype: jnp.dtype = jnp.float64) -> jax.Array:
    """The n positions of a ring of circumference 2 pi: ``-pi + 2 pi i / n`` (rad)."""
    return jnp.asarray(-np.pi + 2.0 * np.pi * np.arange(n) / n, dtype)


def ring_distance(x: jax.Array, y: jax.Array) -> jax.Array:
    """The distance on the ring between angles x and y (rad, in [0, pi])."""
    d = jnp.abs(jnp.mod(x - y + jnp.pi, 2.0 * jnp.pi) - jnp.pi)
    return d


def _offset_distances(shape: tuple[int, ...], dtype: jnp.dtype) -> jax.Array:
    """Squared ring distance of every lattice offset from offset 0 (one axis per dim)."""
    squares = []
    for axis, n in enumerate(shape):
        m = np.arange(n)
        d = 2.0 * np.pi * np.minimum(m, n - m) / n
        squares.append(np.expand_dims(d**2, tuple(a for a in range(len(shape)) if a != axis)))
    return jnp.asarray(sum(squares), dtype)


def kernel_spectrum(profile: jax.typing.ArrayLike, shape: tuple[int, ...]) -> jax.Array:
    """The real spectrum (``rfftn``) of an even kernel given by its values at every lattice offset."""
    return jnp.real(jnp.fft.rfftn(profile, s=shape))


def gaussian_spectrum(J0: jax.Array, a: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Spectrum of ``J(d) = J0 exp(-d^2 / (2 a^2)) / (sqrt(2 pi) a)`` on a ring (or torus) of ``shape``."""
    d2 = _offset_distances(shape, jnp.result_type(a))
    profile = J0 * jnp.exp(-0.5 * d2 / a**2) / (math.sqrt(2.0 * math.pi) * a)
    return kernel_spectrum(profile, shape)


def circular_convolution(spectrum: jax.Array, values: jax.Array) -> jax.Array:
    """``sum_j J(x_i - x_j) values_j`` over a ring or torus, by FFT (``spectrum`` from :func:`kernel_spectrum`)."""
    shape = values.shape[-spectrum.ndim :]
    axes = tuple(range(-spectrum.ndim, 0))
    return jnp.fft.irfftn(jnp.fft.rfftn(values, axes=axes) * spectrum, s=shape, axes=axes).astype(values.dtype)


def dense_kernel(J0: float, a: float, n: int) -> np.ndarray:
    """The dense N x N weight matrix of the Gaussian ring kernel (the O(N^2) reference)."""
    x = np.asarray(ring_positions(n))
    d = np.abs(np.mod(x[:, None] - x[None, :] + np.pi, 2.0 * np.pi) - np.pi)
    return J0 * np.exp(-0.5 * d**2 / a**2) / (math.sqrt(2.0 * math.pi) * a)
