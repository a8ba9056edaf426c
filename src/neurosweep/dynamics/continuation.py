"""Branches of equilibria traced through their folds by pseudo-arclength continuation.

For f(x, p) = 0 (x in R^n, one parameter p), the branch is followed by arclength s rather than by
p, so it turns around a fold (a saddle-node, where dp/ds = 0) instead of ending there::

    predictor:  y* = y_k + ds t_k                       (y = (x, p), t the unit tangent)
    corrector:  Newton on  f(y) = 0,  t_k . (y - y*) = 0
    tangent:    [f_x  f_p; t_k^T] t_{k+1} = (0, 1), normalised (it keeps its orientation)

Folds are where the tangent's p-component changes sign while the bordered determinant
det([f_x f_p; t^T]) keeps its sign (at a branch point, where branches cross, both flip and the
continuation may go on along the other branch), located by linear interpolation between the two
points; each point's Jacobian eigenvalues classify its stability as the
fixed-point finder does. Pure JAX: one ``lax.scan`` of predictor-corrector steps.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.dynamics.fixed_points import classify

__all__ = ["continue_branch", "folds"]

#: Newton iterations of the corrector (quadratic convergence: a handful reach round-off).
CORRECTOR_ITERATIONS = 8


def _tangent(jacobian: jax.Array, previous: jax.Array) -> jax.Array:
    n = jacobian.shape[0]
    augmented = jnp.concatenate([jacobian, previous[None]], axis=0)
    t = jnp.linalg.solve(augmented, jnp.zeros(n + 1).at[n].set(1.0))
    return t / jnp.linalg.norm(t)


def continue_branch(
    field: Callable[[jax.Array, jax.Array], jax.Array], x0: jax.Array, p0: float, ds: float, n_steps: int, direction: float = 1.0, p_scale: float = 1.0
) -> dict[str, jax.Array]:
    """Trace the branch through the equilibrium ``x0`` of ``field(x, p)`` at ``p0`` for ``n_steps`` steps of arclength ``ds``.

    The arclength is measured in (x, p / p_scale): choose ``p_scale`` so that p / p_scale varies
    about as much as x along the branch. ``direction`` (+1 or -1) sets the initial sense of p.
    Returns per step ``x`` (n_steps, n), ``p``, ``tangent_p`` (the sign of dp/ds), ``eigenvalues``
    of f_x, ``stability`` codes and the corrector's ``residual``.
    """

    def g(y: jax.Array) -> jax.Array:
        return field(y[:-1], y[-1] * p_scale)

    y0 = jnp.concatenate([jnp.asarray(x0, jnp.float64), jnp.asarray([p0 / p_scale], jnp.float64)])
    n = y0.shape[0] - 1
    t0 = _tangent(jax.jacfwd(g)(y0), jnp.zeros(n + 1).at[n].set(direction))

    def step(carry: tuple, _: None) -> tuple:
        y, t = carry
        guess = y + ds * t

        def newton(z: jax.Array, _: None) -> tuple:
            residual = jnp.concatenate([g(z), jnp.dot(t, z - guess)[None]])
            jacobian = jnp.concatenate([jax.jacfwd(g)(z), t[None]], axis=0)
            return z - jnp.linalg.solve(jacobian, residual), None

        y_new, _ = jax.lax.scan(newton, guess, None, length=CORRECTOR_ITERATIONS)
        jacobian = jax.jacfwd(g)(y_new)
        t_new = _tangent(jacobian, t)
        eigenvalues = jnp.linalg.eigvals(jacobian[:, :n])
        residual = jnp.max(jnp.abs(g(y_new)))
        # The bordered determinant changes sign at a branch point (where branches cross), not at a fold.
        bordered = jnp.linalg.det(jnp.concatenate([jacobian, t_new[None]], axis=0))
        out = {"x": y_new[:n], "p": y_new[n] * p_scale, "tangent_p": t_new[n], "eigenvalues": eigenvalues, "residual": residual, "bordered_det": bordered}
        return (y_new, t_new), out

    _, branch = jax.lax.scan(step, (y0, t0), None, length=n_steps)
    branch["stability"] = jax.vmap(classify)(branch["eigenvalues"], branch["residual"] < 1e-9)
    return branch


def folds(p: np.ndarray, tangent_p: np.ndarray, bordered_det: np.ndarray) -> np.ndarray:
    """Parameter values of the folds along a traced branch: dp/ds changes sign while the bordered
    determinant keeps its sign (a branch point, where the continuation may switch branches, flips
    both); located by linear interpolation of dp/ds."""
    p, tangent_p, bordered_det = np.asarray(p), np.asarray(tangent_p), np.asarray(bordered_det)
    turn = np.sign(tangent_p[:-1]) * np.sign(tangent_p[1:]) < 0
    k = np.flatnonzero(turn & (np.sign(bordered_det[:-1]) == np.sign(bordered_det[1:])))
    weight = tangent_p[k] / (tangent_p[k] - tangent_p[k + 1])
    return p[k] + weight * (p[k + 1] - p[k])
