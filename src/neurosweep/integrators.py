"""One-step integrators over state pytrees.

``exp_euler`` is BrainPy's ``exp_auto``: every variable ``x`` takes an exponential Euler step
with its own linear coefficient ``a = df_x/dx`` (found by forward-mode autodiff, all other
variables held at their old values)::

    x_new = x + f_x(y) * expm1(a * dt) / a    (computed without cancellation, see _exponential_step)

which is exact for variables whose derivative is linear in themselves (HH gates, the LIF leak).
``rk4`` is the classical fourth-order Runge-Kutta step; ``euler`` is forward Euler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp

__all__ = ["METHODS", "integrate", "euler", "rk4", "exp_euler"]

S = TypeVar("S")
VectorField = Callable[[Any], Any]


def euler(vector_field: VectorField, state: S, dt: float) -> S:
    """Forward Euler: ``y + dt * f(y)``."""
    rate = vector_field(state)
    return jax.tree_util.tree_map(lambda y, dy: y + dt * dy, state, rate)


def rk4(vector_field: VectorField, state: S, dt: float) -> S:
    """Classical fourth-order Runge-Kutta step."""

    def shifted(k: Any, scale: float) -> Any:
        return jax.tree_util.tree_map(lambda y, dy: y + scale * dt * dy, state, k)

    k1 = vector_field(state)
    k2 = vector_field(shifted(k1, 0.5))
    k3 = vector_field(shifted(k2, 0.5))
    k4 = vector_field(shifted(k3, 1.0))
    return jax.tree_util.tree_map(
        lambda y, a, b, c, d: y + dt / 6.0 * (a + 2.0 * b + 2.0 * c + d), state, k1, k2, k3, k4
    )


#: Below this |a dt| the exponential step uses its Taylor series (error (a dt)^3 / 24, < 1e-12).
_SERIES_BELOW = 1e-4


def _exponential_step(x: jax.Array, rate: jax.Array, slope: jax.Array, dt: float) -> jax.Array:
    """``x + rate * expm1(slope dt) / slope``: exact relaxation of the linearised equation.

    Written as ``(x - s) + s exp(slope dt)`` with ``s = rate / slope``, the distance to the
    linearisation's fixed point: one ``exp`` and no cancellation of ``exp(z) - 1`` (its rounding
    error is that of ``s``, about one ulp of the state). Near ``slope dt = 0`` the series takes over.
    An infinite rate gives an infinite step (see below).
    """
    z = slope * dt
    tiny = jnp.abs(z) < _SERIES_BELOW
    shift = rate / jnp.where(tiny, 1.0, slope)
    relaxed = (x - shift) + shift * jnp.exp(z)
    series = x + rate * dt * (1.0 + z * (0.5 + z / 6.0))
    # A rate that overflowed (an exponential spike drive past its float range) is a step to
    # infinity, not inf/inf = NaN: the threshold of an integrate-and-fire model then resets it.
    return jnp.where(jnp.isinf(rate), rate, jnp.where(tiny, series, relaxed))


def exp_euler(
    vector_field: VectorField, state: S, dt: float, relaxation: Callable[[Any], tuple[Any, Any]] | None = None
) -> S:
    """Exponential Euler with per-variable linearisation (BrainPy ``exp_auto``).

    ``relaxation(state)``, when given, returns in closed form each variable's linearised
    steady state ``x_inf = x - f_x / a`` and slope ``a = df_x/dx`` (two pytrees like ``state``);
    the step is then ``x_inf + (x - x_inf) exp(a dt)``, the Rush-Larsen form of the same
    update (tests check both agree). Without it the slope comes from forward-mode autodiff.
    A model gives ``relaxation`` only where ``a`` is bounded away from zero.
    """
    leaves, treedef = jax.tree_util.tree_flatten(state)
    if relaxation is not None:
        targets, slopes = (jax.tree_util.tree_leaves(tree) for tree in relaxation(state))
        return treedef.unflatten(
            [target + (x - target) * jnp.exp(a * dt) for x, target, a in zip(leaves, targets, slopes)]
        )
    rate_leaves = jax.tree_util.tree_leaves(vector_field(state))
    new_leaves = []
    for index, (value, rate) in enumerate(zip(leaves, rate_leaves)):

        def own_rate(x: jax.Array, index: int = index) -> jax.Array:
            trial = list(leaves)
            trial[index] = x
            return jax.tree_util.tree_leaves(vector_field(treedef.unflatten(trial)))[index]

        # d f_x / d x: a forward-mode derivative along x alone; elementwise models make it the
        # diagonal of the Jacobian, so a unit tangent gives every element's own coefficient.
        _, slope = jax.jvp(own_rate, (value,), (jnp.ones_like(value),))
        new_leaves.append(_exponential_step(value, rate, slope, dt))
    return treedef.unflatten(new_leaves)


METHODS: dict[str, Callable[[VectorField, Any, float], Any]] = {
    "exp_euler": exp_euler,
    "rk4": rk4,
    "euler": euler,
}


def integrate(
    method: str,
    vector_field: VectorField,
    state: S,
    dt: float,
    relaxation: Callable[[Any], tuple[Any, Any]] | None = None,
) -> S:
    """Advance ``state`` by one step of ``dt`` with the named method.

    ``relaxation`` (closed-form steady states and slopes) is used by ``exp_euler`` only.
    """
    if method not in METHODS:
        raise ValueError(f"unknown integrator {method!r}; allowed: {sorted(METHODS)}")
    if method == "exp_euler":
        return exp_euler(vector_field, state, dt, relaxation)
    return METHODS[method](vector_field, state, dt)
