"""Fixed points of a high-dimensional field model (a CANN's ring of bumps), and their spectra.

Newton on a grid of guesses (:mod:`neurosweep.dynamics.fixed_points`) suits a model of a few
variables. A field of hundreds of variables whose fixed points form a continuous manifold (a
ring of bumps: every translate of a bump is a fixed point, so the Jacobian there is singular)
needs what BrainPy's ``SlowPointFinder`` does: start from candidates and minimise the speed
``q(x) = |f(x)|^2 / (2 n)``. Here each candidate follows the flow ``dx/dt = f(x)`` (forward
Euler, the model's own ``derivatives``): on an attracting manifold that is steepest descent of
``q`` in every direction but the neutral one, it cannot slide along the manifold (the flow does
not move along it), and it needs no learning rate. Candidates whose final speed is below a
tolerance (BrainPy's ``filter_loss``) are fixed points; the Jacobian (``jax.jacfwd``) at each
gives the spectrum. This finds the attracting and neutral fixed points (the bump ring), not
saddles: for those use Newton.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from neurosweep.dynamics.fixed_points import flat_field

__all__ = ["SPEED_TOLERANCE", "follow_flow"]

#: A candidate whose speed q = |f|^2 / (2 n) is below this is a fixed point (BrainPy's filter_loss(1e-7)).
SPEED_TOLERANCE = 1e-7


def follow_flow(
    derivatives: Any, state: Any, params: Any, inputs: Mapping[str, jax.Array], n_steps: int, dt: float, variables: Sequence[str]
) -> dict[str, jax.Array]:
    """Follow ``dx/dt = f(x)`` for ``n_steps`` Euler steps of ``dt`` from ``state``; return the end
    point (a state pytree), its speed q, the Jacobian's eigenvalues there (sorted by real part,
    largest first) and whether q is below :data:`SPEED_TOLERANCE`."""
    flat, full, field = flat_field(derivatives, state, params, inputs, tuple(variables))
    x = jax.lax.fori_loop(0, n_steps, lambda _, x: x + dt * field(x), flat)
    speed = 0.5 * jnp.mean(field(x) ** 2)
    eigenvalues = jnp.linalg.eigvals(jax.jacfwd(field)(x))
    eigenvalues = eigenvalues[jnp.argsort(-jnp.real(eigenvalues))]
    return {
        "state": full(x),
        "speed": speed,
        "eigenvalues": eigenvalues,
        "converged": jnp.isfinite(speed) & (speed < SPEED_TOLERANCE),
    }
