"""Continuous attractor neural networks (CANN): a bump of activity on a ring or a torus.

course_figures.md section 3.5. N neurons at ``x_i = -pi + 2 pi i / N`` on a ring (rho = N / 2 pi),
each with a synaptic input u_i and a rate ``r_i = u_i^2 / (1 + k sum_j u_j^2)`` (global
divisive inhibition)::

    tau du/dt = -u + sum_j J(x_i - x_j) r_j + I_ext + sigma xi        (cann1d, Wu, Hamaguchi & Amari 2008)
    J(d) = J0 exp(-d^2 / (2 a^2)) / (sqrt(2 pi) a),    I_ext = A exp(-d(x, z)^2 / (4 a^2))

with d the ring distance, z and A the stimulus' centre and strength (the inputs
``stimulus_position_rad`` and ``stimulus_amplitude``), sigma xi fresh Gaussian input noise per
neuron and step (``noise_sd``). The recurrent sum is a circular convolution, computed by FFT
(:mod:`neurosweep.models.network.fields`). Variants:

* ``cann1d_sfa`` (Mi et al. 2014): ``-v`` added to du, ``tau_v dv/dt = -v + m u``; u rectified.
* ``cann1d_stp``: short-term plasticity of the recurrent synapses,
  ``I_rec = J * [(g + G (1 - g)) h r]``, ``dg/dt = -g / tau_f + G (1 - g) r``,
  ``dh/dt = (1 - h) / tau_d - (g + G (1 - g)) h r`` (the course code: no tau factor); u rectified.
* ``cann2d``: the adaptive CANN on an ``n_side x n_side`` torus (Euclidean distance of the two
  ring distances), with ``m`` redrawn every step from N(m, m_sd) (noisy adaptation, Levy flights).

Integration is the course's forward Euler (BrainPy ``odeint`` default), r and every variable's
rate taken from the state at the start of the step; rectification follows the step.

Decisions: the positions exclude pi (the course's ``linspace(-pi, pi, N)`` counts -pi and pi as
two neurons at one place), so the weights are exactly circulant and rho = N / 2 pi is exact, as the
closed forms (k_c, the bump height) assume. The initial state is u = ``bump0_height``
exp(-d(x, ``bump0_position_rad``)^2 / (4 a^2)) (zero by default, the course's u0 = 0): starting
from a bump is how sweeps over k and m and the fixed-point finder place their candidates. The
closed forms of the bump (k_c, its height) are in :mod:`neurosweep.analysis.bump`.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.models.base import ModelSpec, Setup, Variable, param, pytree_dataclass
from neurosweep.models.network.fields import (
    circular_convolution,
    gaussian_spectrum,
    ring_distance,
    ring_positions,
)
from neurosweep.rng import normals


def _rate(u: jax.Array, k: jax.Array) -> jax.Array:
    squared = u * u
    return squared / (1.0 + k * jnp.sum(squared))


def _bump(positions: tuple[jax.Array, ...], centre: tuple[jax.Array, ...], height: jax.Array, a: jax.Array) -> jax.Array:
    """``height exp(-|d|^2 / (4 a^2))`` around ``centre`` (one ring distance per axis)."""
    d2 = sum(ring_distance(p, c) ** 2 for p, c in zip(positions, centre))
    return height * jnp.exp(-d2 / (4.0 * a * a))


# --------------------------------------------------------------------------------------------
# 1-D ring: the base model and its adaptive and short-term-plastic variants share one step.


@pytree_dataclass
class Params:
    """CANN1D (Wu et al. 2008), the course's defaults."""

    n_neurons: float = param(512, "1", "number of neurons on the ring", domain="whole >= 2", structural=True)
    tau: float = param(1.0, "ms", "time constant of u", domain="> 0")
    k: float = param(8.1, "1", "strength of the global divisive inhibition", domain=">= 0")
    a: float = param(0.5, "rad", "width of the connection kernel", domain="> 0")
    J0: float = param(4.0, "1", "strength of the recurrent connections", domain=">= 0")
    noise_sd: float = param(0.0, "1", "sd of the Gaussian input noise per neuron and step", domain=">= 0")
    bump0_height: float = param(0.0, "1", "height of the initial bump of u (0: u starts at 0)", domain=">= 0")
    bump0_position_rad: float = param(0.0, "rad", "centre of the initial bump")


@pytree_dataclass
class SFAParams(Params):
    """CANN1D_SFA (Mi et al. 2014): spike-frequency adaptation."""

    m: float = param(0.1, "1", "adaptation strength", domain=">= 0")
    tau_v: float = param(10.0, "ms", "adaptation time constant", domain="> 0")


@pytree_dataclass
class STPParams(Params):
    """CANN1D with short-term facilitation (g) and depression (h) of the recurrent synapses."""

    J0: float = param(12.0, "1", "strength of the recurrent connections", domain=">= 0")
    tau_f: float = param(1.0, "ms", "facilitation time constant", domain="> 0")
    tau_d: float = param(30.0, "ms", "depression recovery time constant", domain="> 0")
    G: float = param(0.2, "1", "facilitation increment", domain="[0, 1]")


@pytree_dataclass
class State:
    u: jax.Array
    v: jax.Array
    g: jax.Array
    h: jax.Array
    #: The real spectrum of the point's kernel (a constant of the run, carried so it is computed once).
    kernel: jax.Array


def _variant(params: Params) -> str:
    return "sfa" if isinstance(params, SFAParams) else "stp" if isinstance(params, STPParams) else "base"


def _n(setup: Setup) -> int:
    return int(setup["n_neurons"])


def _static(params: Params, swept: Mapping) -> dict:
    return {"n_neurons": int(params.n_neurons)}


def init_state(params: Params, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State:
    """u = the initial bump (zero by default), v = g = 0, h = 1."""
    n, dtype = _n(setup), params.tau.dtype
    x = ring_positions(n, dtype)
    u = _bump((x,), (params.bump0_position_rad,), params.bump0_height, params.a)
    zeros = jnp.zeros(n, dtype)
    return State(u=u, v=zeros, g=zeros, h=jnp.ones(n, dtype), kernel=gaussian_spectrum(params.J0, params.a, (n,)))


def _vector_field(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> tuple[State, jax.Array, jax.Array]:
    """The deterministic rates, with the step's firing rate r and stimulus (the step records them)."""
    x = ring_positions(state.u.shape[-1], state.u.dtype)
    r = _rate(state.u, params.k)
    variant = _variant(params)
    zero = jnp.zeros_like(state.u)
    dv = dg = dh = zero
    if variant == "stp":
        efficacy = state.g + params.G * (1.0 - state.g)
        recurrent = circular_convolution(state.kernel, efficacy * state.h * r)
        dg = -state.g / params.tau_f + params.G * (1.0 - state.g) * r
        dh = (1.0 - state.h) / params.tau_d - efficacy * state.h * r
    else:
        recurrent = circular_convolution(state.kernel, r)
    stimulus = _bump((x,), (inputs.get("stimulus_position_rad", 0.0),), inputs.get("stimulus_amplitude", 0.0), params.a)
    drive = -state.u + recurrent + stimulus
    if variant == "sfa":
        drive = drive - state.v
        dv = (-state.v + params.m * state.u) / params.tau_v
    return State(u=drive / params.tau, v=dv, g=dg, h=dh, kernel=jnp.zeros_like(state.kernel)), r, stimulus


def derivatives(state: State, params: Params, inputs: Mapping[str, jax.Array]) -> State:
    """The deterministic vector field (no noise, no rectification)."""
    return _vector_field(state, params, inputs)[0]


def step(state: State, params: Params, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> tuple[State, dict[str, jax.Array]]:
    """One forward-Euler step, the noise entering the input; then u rectified (SFA, STP)."""
    rates, r, stimulus = _vector_field(state, params, inputs)
    noise = params.noise_sd * normals(key, state.u.shape).astype(state.u.dtype)
    u = state.u + setup.dt * (rates.u + noise / params.tau)
    if _variant(params) != "base":
        u = jnp.maximum(u, 0.0)
    new = State(u=u, v=state.v + setup.dt * rates.v, g=state.g + setup.dt * rates.g, h=state.h + setup.dt * rates.h, kernel=state.kernel)
    return new, {"r": r, "I_ext": stimulus + noise}


def _sizes(params: Params) -> dict[str, int]:
    return {"x": int(params.n_neurons)}


def _coords(params: Params) -> dict:
    x = np.asarray(ring_positions(int(params.n_neurons), jnp.float64))
    return {"x": ("x", x, {"units": "rad", "long_name": "preferred stimulus (position on the ring)"})}


_FIELD_VARIABLES = {
    "u": Variable("1", "synaptic input", ("x",)),
    "r": Variable("1", "firing rate", ("x",)),
    "I_ext": Variable("1", "external input (the stimulus and the input noise)", ("x",)),
}
_INPUTS = {"stimulus_position_rad": "rad", "stimulus_amplitude": "1"}


def _ring_model(name: str, description: str, params_cls: type, extra: Mapping[str, Variable], continuous: tuple[str, ...]) -> ModelSpec:
    return ModelSpec(
        name=name,
        description=description,
        Params=params_cls,
        State=State,
        init_state=init_state,
        step=step,
        derivatives=derivatives,
        variables={**_FIELD_VARIABLES, **extra},
        inputs=_INPUTS,
        spikes=None,
        methods=("euler",),
        continuous=continuous,
        static=_static,
        sizes=_sizes,
        coords=_coords,
        analyses=("bump",),
        random=True,
    )


CANN1D = _ring_model("cann1d", "1-D continuous attractor network (Wu, Hamaguchi & Amari 2008)", Params, {}, ("u",))
CANN1D_SFA = _ring_model(
    "cann1d_sfa",
    "1-D CANN with spike-frequency adaptation (Mi et al. 2014)",
    SFAParams,
    {"v": Variable("1", "adaptation current", ("x",))},
    ("u", "v"),
)
CANN1D_STP = _ring_model(
    "cann1d_stp",
    "1-D CANN with short-term facilitation and depression",
    STPParams,
    {"g": Variable("1", "facilitation (release probability increment)", ("x",)), "h": Variable("1", "available resources (depression)", ("x",))},
    ("u", "g", "h"),
)


# --------------------------------------------------------------------------------------------
# 2-D torus with noisy adaptation.


@pytree_dataclass
class Params2D:
    """CANN2D with adaptation (course 2 W3_4); m is redrawn each step from N(m, m_sd)."""

    n_side: float = param(100, "1", "neurons along each side of the sheet", domain="whole >= 2", structural=True)
    tau: float = param(1.0, "ms", "time constant of u", domain="> 0")
    tau_v: float = param(5.0, "ms", "adaptation time constant", domain="> 0")
    k: float = param(8.1, "1", "strength of the global divisive inhibition", domain=">= 0")
    a: float = param(0.5, "rad", "width of the connection kernel", domain="> 0")
    J0: float = param(4.0, "1", "strength of the recurrent connections", domain=">= 0")
    m: float = param(0.3, "1", "mean adaptation strength", domain=">= 0")
    m_sd: float = param(0.0, "1", "sd of the adaptation strength, redrawn every step", domain=">= 0")
    noise_sd: float = param(0.0, "1", "sd of the Gaussian input noise per neuron and step", domain=">= 0")
    bump0_height: float = param(0.0, "1", "height of the initial bump of u (0: u starts at 0)", domain=">= 0")


@pytree_dataclass
class State2D:
    u: jax.Array
    v: jax.Array
    kernel: jax.Array


def _n_side(setup: Setup) -> int:
    return int(setup["n_side"])


def init_state_2d(params: Params2D, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State2D:
    """u = the initial bump at the centre of the sheet (zero by default), v = 0."""
    n, dtype = _n_side(setup), params.tau.dtype
    x = ring_positions(n, dtype)
    u = _bump((x[None, :], x[:, None]), (0.0, 0.0), params.bump0_height, params.a)
    return State2D(u=u, v=jnp.zeros((n, n), dtype), kernel=gaussian_spectrum(params.J0, params.a, (n, n)))


def _drive_2d(state: State2D, params: Params2D, inputs: Mapping[str, jax.Array], m: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """du/dt and dv/dt at adaptation strength m, with the firing rate r (the step records it)."""
    x = ring_positions(state.u.shape[-1], state.u.dtype)
    r = _rate(state.u, params.k)
    recurrent = circular_convolution(state.kernel, r)
    centre = (inputs.get("stimulus_position_rad", 0.0), inputs.get("stimulus_position_y_rad", 0.0))
    stimulus = _bump((x[None, :], x[:, None]), centre, inputs.get("stimulus_amplitude", 0.0), params.a)
    du = (-state.u + recurrent + stimulus - state.v) / params.tau
    dv = (-state.v + m * state.u) / params.tau_v
    return du, dv, r


def derivatives_2d(state: State2D, params: Params2D, inputs: Mapping[str, jax.Array]) -> State2D:
    """The deterministic vector field at the mean adaptation strength."""
    du, dv, _ = _drive_2d(state, params, inputs, params.m)
    return State2D(u=du, v=dv, kernel=jnp.zeros_like(state.kernel))


def step_2d(state: State2D, params: Params2D, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> tuple[State2D, dict[str, jax.Array]]:
    """Forward Euler with this step's m ~ N(m, m_sd) and input noise; u rectified."""
    draws = normals(key, (state.u.size + 1,)).astype(state.u.dtype)
    m = params.m + params.m_sd * draws[-1]
    du, dv, r = _drive_2d(state, params, inputs, m)
    noise = params.noise_sd * draws[:-1].reshape(state.u.shape)
    u = jnp.maximum(state.u + setup.dt * (du + noise / params.tau), 0.0)
    return State2D(u=u, v=state.v + setup.dt * dv, kernel=state.kernel), {"r": r, "m_step": m}


def _coords_2d(params: Params2D) -> dict:
    x = np.asarray(ring_positions(int(params.n_side), jnp.float64))
    return {
        "x": ("x", x, {"units": "rad", "long_name": "preferred stimulus, first feature"}),
        "y": ("y", x, {"units": "rad", "long_name": "preferred stimulus, second feature"}),
    }


CANN2D = ModelSpec(
    name="cann2d",
    description="2-D continuous attractor network with (noisy) adaptation on a torus",
    Params=Params2D,
    State=State2D,
    init_state=init_state_2d,
    step=step_2d,
    derivatives=derivatives_2d,
    variables={
        "u": Variable("1", "synaptic input", ("y", "x")),
        "v": Variable("1", "adaptation current", ("y", "x")),
        "r": Variable("1", "firing rate", ("y", "x")),
        "m_step": Variable("1", "adaptation strength drawn this step"),
    },
    inputs={**_INPUTS, "stimulus_position_y_rad": "rad"},
    spikes=None,
    methods=("euler",),
    continuous=("u", "v"),
    static=lambda params, swept: {"n_side": int(params.n_side)},
    sizes=lambda params: {"y": int(params.n_side), "x": int(params.n_side)},
    coords=_coords_2d,
    analyses=("bump_2d",),
    random=True,
)

MODELS = (CANN1D, CANN1D_SFA, CANN1D_STP, CANN2D)

__all__ = ["CANN1D", "CANN1D_SFA", "CANN1D_STP", "CANN2D", "MODELS"]
