"""E/I balanced network of LIF neurons with conductance-based exponential synapses (COBA).

Vogels & Abbott (2005), the Brette et al. (2007) COBA benchmark, and the course's ``EINet``
(course_figures.md section 3.3): ``n_exc`` excitatory and ``n_inh`` inhibitory LIF neurons,

.. math::

    \\tau \\frac{dV}{dt} = (V_{rest} - V) + g_e (E_e - V) + g_i (E_i - V) + R I_{ext}

    \\frac{dg_e}{dt} = -g_e / \\tau_e, \\qquad \\frac{dg_i}{dt} = -g_i / \\tau_i

every pair connected with probability ``p_conn`` (EE, EI, IE, II; self-connections included, as
BrainPy's ``FixedProb``). A spike of an excitatory neuron adds ``w_exc`` to the g_e of each of
its targets, an inhibitory one ``w_inh`` to g_i.

Update order and integration are the course's (BrainPy ``EINet.update`` with ``LifRef``): the
projections run first, so the conductances see the previous step's spikes (a one-step delay
with ``delay = 0``): ``g <- g exp(-dt/tau_syn) + w * (spikes)``. Then the neurons: the synaptic
current ``g (E - V)`` is computed from V at the start of the step and held, and the exponential
step integrates the leak exactly. At ``V >= V_th``: V <- V_reset, held while
``t - t_spike <= tau_ref``. ``tau_sd > 0`` draws each excitatory neuron's tau from
N(tau, tau_sd) (the textbook's heterogeneous ``EINet``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from neurosweep.models._fire import LAST_SPIKE, NEVER_MS, refractory
from neurosweep.models._network import Connectivity, deliver, fixed_probability, out_degree_bound
from neurosweep.models.base import ModelSpec, NetworkSpec, Variable, param, pytree_dataclass


@pytree_dataclass
class Params:
    """Course ``EINet`` defaults (Brette et al. 2007 COBA with I_ext = 20)."""

    n_exc: float = param(3200, "1", "number of excitatory neurons", domain="whole >= 1", structural=True)
    n_inh: float = param(800, "1", "number of inhibitory neurons", domain="whole >= 1", structural=True)
    V_rest: float = param(-60.0, "mV", "resting potential")
    V_th: float = param(-50.0, "mV", "spike threshold")
    V_reset: float = param(-60.0, "mV", "reset potential")
    tau: float = param(20.0, "ms", "membrane time constant", domain="> 0")
    tau_sd: float = param(0.0, "ms", "standard deviation of the excitatory neurons' tau", domain=">= 0")
    tau_ref: float = param(5.0, "ms", "absolute refractory period", domain=">= 0")
    R: float = param(1.0, "mV", "membrane resistance (mV per unit of input)", domain="> 0")
    E_exc: float = param(0.0, "mV", "excitatory reversal potential")
    E_inh: float = param(-80.0, "mV", "inhibitory reversal potential")
    tau_exc: float = param(5.0, "ms", "excitatory synaptic time constant", domain="> 0")
    tau_inh: float = param(10.0, "ms", "inhibitory synaptic time constant", domain="> 0")
    w_exc: float = param(0.6, "1", "excitatory conductance increment per spike (relative to the leak)", domain=">= 0")
    w_inh: float = param(6.7, "1", "inhibitory conductance increment per spike (relative to the leak)", domain=">= 0")
    p_conn: float = param(0.02, "1", "connection probability of every pair", domain="[0, 1]")


@pytree_dataclass
class State:
    """Per neuron (point, neuron); ``spike`` is the last step's, which the projections deliver;
    ``membrane_decay`` = exp(-dt / tau) of each neuron (its own tau when ``tau_sd > 0``)."""

    V: jax.Array
    g_exc: jax.Array
    g_inh: jax.Array
    t_last_spike_ms: jax.Array
    spike: jax.Array
    membrane_decay: jax.Array


def sizes(params: Params) -> dict[str, int]:
    return {"E": int(params.n_exc), "I": int(params.n_inh)}


def max_out_degree(population_sizes: Mapping[str, int], largest_p: float) -> int:
    return out_degree_bound(sum(population_sizes.values()), largest_p)


def connect(params: Params, key: jax.Array, population_sizes: Mapping[str, int], width: int) -> Connectivity:
    """One draw of the four projections: slot ``post`` for an excitatory sender, ``n + post`` for an inhibitory one."""
    n_exc, n = population_sizes["E"], sum(population_sizes.values())
    slot_offset = jnp.where(jnp.arange(n) >= n_exc, n, 0).astype(jnp.int32)
    return fixed_probability(key, n, n, params.p_conn, slot_offset, width, 2 * n)


def _from_normal(spec: Any, z: jax.Array, default: jax.Array) -> jax.Array:
    """Values of an initial-value spec (a number, ``{"normal": [mean, sd]}`` or
    ``{"uniform": [low, high]}``; ``None``: ``default``) from standard normal numbers ``z``."""
    if spec is None:
        return jnp.full(z.shape, default, z.dtype)
    if isinstance(spec, Mapping):
        ((dist, (a, b)),) = spec.items()
        if dist == "uniform":  # through the normal CDF: uniform on (0, 1)
            return a + (b - a) * jax.scipy.stats.norm.cdf(z)
        return a + b * z
    return jnp.full(z.shape, spec, z.dtype)


def init_state(params: Params, key: jax.Array, population_sizes: Mapping[str, int], initial: Mapping[str, Any], dt: float) -> State:
    """Per-neuron initial V (a number or a distribution; default V_rest), no conductance, never spiked.

    One draw of 2n standard normal numbers (V's, then the tau spread's): a single random kernel,
    which keeps the cold compile short.
    """
    n_exc, n = population_sizes["E"], sum(population_sizes.values())
    dtype = params.tau.dtype
    z = jax.random.normal(key, (2 * n,), dtype)
    V = _from_normal(initial.get("V"), z[:n], params.V_rest)
    spread = jnp.where(jnp.arange(n) < n_exc, params.tau_sd * z[n:], 0.0)
    zeros = jnp.zeros((n,), dtype)
    return State(V=V, g_exc=zeros, g_inh=zeros, t_last_spike_ms=jnp.full((n,), NEVER_MS, dtype),
                 spike=jnp.zeros((n,), bool), membrane_decay=jnp.exp(-dt / jnp.maximum(params.tau + spread, 0.1)))  # fmt: skip


def step(
    state: State, params: Params, connectivity: Connectivity, inputs: Mapping[str, jax.Array], dt: float, buffer_size: int
) -> tuple[State, dict[str, jax.Array]]:
    """One step for a batch (leading axis ``point``): projections, then neurons."""
    p = jax.tree_util.tree_map(lambda leaf: leaf[:, None], params)  # point, 1: broadcasts over neurons
    n = state.V.shape[1]
    dtype = state.V.dtype
    events = deliver(state.spike, connectivity.targets, 2 * n, dtype, buffer_size)
    g_exc = state.g_exc * jnp.exp(-dt / p.tau_exc) + p.w_exc * events[:, :n]
    g_inh = state.g_inh * jnp.exp(-dt / p.tau_inh) + p.w_inh * events[:, n:]
    I_exc = g_exc * (p.E_exc - state.V)
    I_inh = g_inh * (p.E_inh - state.V)
    V_inf = p.V_rest + I_exc + I_inh + p.R * inputs["I"][:, None]
    V = V_inf + (state.V - V_inf) * state.membrane_decay
    t = inputs["t_ms"]
    V = jnp.where(refractory(t, state.t_last_spike_ms, p.tau_ref, dt), state.V, V)
    spike = V >= p.V_th
    new = State(V=jnp.where(spike, p.V_reset, V), g_exc=g_exc, g_inh=g_inh,
                t_last_spike_ms=jnp.where(spike, t, state.t_last_spike_ms), spike=spike, membrane_decay=state.membrane_decay)  # fmt: skip
    return new, {"spike": spike, "I_exc": I_exc, "I_inh": I_inh, "events": jnp.sum(events, axis=1)}


NEURON_VARIABLES = {
    "V": Variable("mV", "membrane potential"),
    "g_exc": Variable("1", "excitatory conductance (relative to the leak)"),
    "g_inh": Variable("1", "inhibitory conductance (relative to the leak)"),
    "I_exc": Variable("mV", "excitatory input g_e (E_e - V)"),
    "I_inh": Variable("mV", "inhibitory input g_i (E_i - V)"),
}

MODEL = ModelSpec(
    name="ei_network",
    description="E/I balanced network of LIF neurons with COBA exponential synapses",
    Params=Params,
    State=State,
    init_state=init_state,
    derivatives=None,
    step=step,
    variables={**NEURON_VARIABLES, "t_last_spike_ms": LAST_SPIKE},
    inputs={"I": "1"},
    methods=("exp_euler",),
    continuous=("V",),
    network=NetworkSpec(
        sizes=sizes,
        connect=connect,
        max_out_degree=max_out_degree,
        neuron_variables=NEURON_VARIABLES,
    ),
)

__all__ = ["MODEL", "Params", "State", "connect", "step", "init_state"]
