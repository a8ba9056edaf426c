"""Reduced Wong-Wang (2006) rate model of two-choice decision making.

course_figures.md section 3.4. Two populations, each with an NMDA gating variable S_i::

    dS_i/dt = -S_i / tau + (1 - S_i) gamma F(x_i),      F(x) = (a x - b) / (1 - exp(-d (a x - b)))

    x_1 = J_E S_1 - J_I S_2 + I_0 + I_noise,1 + J_ext mu_1,    x_2 likewise with 1 <-> 2

with a = 270 Hz/nA, b = 108 Hz, d = 0.154 s, tau = 100 ms, gamma = 0.641 / (s Hz), J_E = 0.2609,
J_I = 0.0497 (subtracted), I_0 = 0.3255 nA, J_ext = 5.2e-4 nA/Hz. The inputs ``stimulus_A_hz``
and ``stimulus_B_hz`` are mu_1 = mu0 (1 + c/100) and mu_2 = mu0 (1 - c/100) (the
``decision_stimulus`` protocol with ``sd_hz: 0``). The rates r_i = F(x_i) are read out from the
same x_i (with -J_I) that drives the dynamics (the spec's decision on the course's +J_I quirk).

Noise (the pipeline's decision): zero-mean Ornstein-Uhlenbeck noise per population, tau_n = 2 ms,
sigma = 0.02 nA, by Euler-Maruyama ``I <- I - (dt/tau_n) I + sigma sqrt(dt/tau_n) xi``, from the
step's key; ``params: {noise: false}`` reproduces the course's deterministic trials. S takes BrainPy's
``exp_auto`` step (each S_i linearised in itself, the other held).
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp

from neurosweep.integrators import integrate
from neurosweep.models.base import ModelSpec, Setup, Variable, param, pytree_dataclass
from neurosweep.rng import normals


@pytree_dataclass
class Params:
    """Wong & Wang (2006) reduced model, the course's values (nA, Hz, ms)."""

    a: float = param(270.0, "Hz/nA", "gain of the input-output function")
    b: float = param(108.0, "Hz", "threshold of the input-output function")
    d: float = param(0.154, "s", "curvature of the input-output function", domain="> 0")
    tau: float = param(100.0, "ms", "NMDA gating time constant", domain="> 0")
    gamma: float = param(6.41e-4, "1/(ms Hz)", "kinetic parameter of the gating", domain=">= 0")
    J_E: float = param(0.2609, "nA", "self-excitation")
    J_I: float = param(0.0497, "nA", "cross-inhibition (subtracted)")
    I_0: float = param(0.3255, "nA", "background input")
    J_ext: float = param(5.2e-4, "nA/Hz", "gain of the stimulus")
    tau_noise: float = param(2.0, "ms", "correlation time of the noise", domain="> 0")
    sigma_noise: float = param(0.02, "nA", "noise amplitude", domain=">= 0")
    noise: float = param(1.0, "1", "OU noise on (true) or off (false: the course's deterministic trials)", domain="switch")


@pytree_dataclass
class State:
    S1: jax.Array
    S2: jax.Array
    I_noise1: jax.Array
    I_noise2: jax.Array


def rate_hz(x: jax.Array, params: Params) -> jax.Array:
    """F(x) = (a x - b) / (1 - exp(-d (a x - b))) (Hz); its limit 1/d at a x = b."""
    drive = params.a * x - params.b
    small = jnp.abs(drive) < 1e-6
    safe = jnp.where(small, 1.0, drive)
    return jnp.where(small, 1.0 / params.d + drive / 2.0, safe / (-jnp.expm1(-params.d * safe)))


def inputs_nA(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
    """x_1, x_2 (nA)."""
    x1 = params.J_E * state.S1 - params.J_I * state.S2 + params.I_0 + state.I_noise1 + params.J_ext * inputs["stimulus_A_hz"]
    x2 = params.J_E * state.S2 - params.J_I * state.S1 + params.I_0 + state.I_noise2 + params.J_ext * inputs["stimulus_B_hz"]
    return x1, x2


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    x1, x2 = inputs_nA(state, params, inputs)
    dS1 = -state.S1 / params.tau + (1.0 - state.S1) * params.gamma * rate_hz(x1, params)
    dS2 = -state.S2 / params.tau + (1.0 - state.S2) * params.gamma * rate_hz(x2, params)
    zero = jnp.zeros_like(state.I_noise1)
    return State(S1=dS1, S2=dS2, I_noise1=zero, I_noise2=zero)


def init_state(params: Params, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State:
    """S_1 = S_2 = 0.15 (the course's), no noise current, unless given."""
    dtype = params.tau.dtype
    value = {name: jnp.asarray(initial.get(name, default), dtype) for name, default in (("S1", 0.15), ("S2", 0.15), ("I_noise1", 0.0), ("I_noise2", 0.0))}
    return State(**value)


def step(state: State, params: Params, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> tuple[State, dict[str, jax.Array]]:
    """S by the integrator (noise held over the step), then the OU noise by Euler-Maruyama."""
    new = integrate(setup.method, lambda s: derivatives(s, params, inputs), state, setup.dt)
    ratio = setup.dt / params.tau_noise
    xi = normals(key, (2,)).astype(state.S1.dtype)
    kick = params.noise * params.sigma_noise * jnp.sqrt(ratio) * xi
    new = State(S1=new.S1, S2=new.S2, I_noise1=state.I_noise1 * (1.0 - ratio) + kick[0], I_noise2=state.I_noise2 * (1.0 - ratio) + kick[1])
    x1, x2 = inputs_nA(new, params, inputs)
    return new, {"r1": rate_hz(x1, params), "r2": rate_hz(x2, params)}


MODEL = ModelSpec(
    name="wong_wang",
    description="Reduced Wong-Wang (2006) two-population rate model of decision making",
    Params=Params,
    State=State,
    init_state=init_state,
    step=step,
    derivatives=derivatives,
    variables={
        "S1": Variable("1", "NMDA gating of population 1"),
        "S2": Variable("1", "NMDA gating of population 2"),
        "I_noise1": Variable("nA", "noise current of population 1"),
        "I_noise2": Variable("nA", "noise current of population 2"),
        "r1": Variable("Hz", "rate of population 1"),
        "r2": Variable("Hz", "rate of population 2"),
    },
    inputs={"stimulus_A_hz": "Hz", "stimulus_B_hz": "Hz"},
    spikes=None,
    continuous=("S1", "S2"),
    analyses=(),
    random=True,
)

__all__ = ["MODEL", "Params", "State", "derivatives", "init_state", "rate_hz", "step"]
