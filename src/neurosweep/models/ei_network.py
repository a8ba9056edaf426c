"""E/I balanced network of LIF neurons with conductance-based exponential synapses (COBA).

Vogels & Abbott (2005), the Brette et al. (2007) COBA benchmark, and the course's ``EINet``
(course_figures.md section 3.3): ``n_exc`` excitatory and ``n_inh`` inhibitory LIF neurons,

.. math::

    \\tau \\frac{dV}{dt} = (V_{rest} - V) + g_e (E_e - V) + g_i (E_i - V) + R I_{ext}

    \\frac{dg_e}{dt} = -g_e / \\tau_e, \\qquad \\frac{dg_i}{dt} = -g_i / \\tau_i

every pair connected with probability ``p_conn`` (EE, EI, IE, II; self-connections included, as
BrainPy's ``FixedProb``). A spike of an excitatory neuron adds ``w_exc`` to the g_e of each of
its targets, an inhibitory one ``w_inh`` to g_i. A composition of the network kit
(:mod:`neurosweep.models.network`): two LIF populations, one fixed-probability projection
delivered event by event, exponential conductance synapses.

Update order and integration are the course's (BrainPy ``EINet.update`` with ``LifRef``): the
projections run first, so the conductances see the previous step's spikes (a delay line of
one step, the course's ``delay = 0``): ``g <- g exp(-dt/tau_syn) + w * (spikes)``. Then the neurons: the synaptic
current ``g (E - V)`` is computed from V at the start of the step and held, and the exponential
step integrates the leak exactly. At ``V >= V_th``: V <- V_reset, held while
``t - t_spike <= tau_ref``. ``tau_sd > 0`` draws each excitatory neuron's tau from
N(tau, tau_sd) (the textbook's heterogeneous ``EINet``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from neurosweep.models._fire import LAST_SPIKE, NEVER_MS
from neurosweep.models.base import ModelSpec, Setup, Variable, param, pytree_dataclass, stream
from neurosweep.models.network import (
    BUFFER_SIZE,
    DelayLine,
    Populations,
    conductance_current,
    delay_line,
    deliver,
    exponential,
    fixed_probability,
    initial_values,
    lif_update,
    out_degree_bound,
)

#: The point's random streams (:func:`neurosweep.models.base.stream`).
CONNECTIVITY_STREAM, INITIAL_STATE_STREAM = 1, 2


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
    """Per neuron: membrane, conductances, the spikes in flight to the projections (one step),
    each neuron's exp(-dt / tau) (its own tau when ``tau_sd > 0``), and the drawn connectivity
    (out-edge table, out-degrees, rows filled to the table's width)."""

    V: jax.Array
    g_exc: jax.Array
    g_inh: jax.Array
    t_last_spike_ms: jax.Array
    in_flight: DelayLine
    membrane_decay: jax.Array
    targets: jax.Array
    out_degree: jax.Array
    table_rows_full: jax.Array


def populations(params: Params) -> Populations:
    return Populations.of(E=params.n_exc, I=params.n_inh)


def static(params: Params, swept: Mapping[str, Any]) -> dict[str, Hashable]:
    """The layout and the table width, sized for the largest connection probability of the sweep."""
    largest_p = max([float(params.p_conn), *(float(v) for v in swept.get("p_conn", []))])
    layout = populations(params)
    return {"populations": layout, "width": out_degree_bound(layout.n, largest_p)}


def init_state(params: Params, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State:
    """Draw the connectivity (stream 1) and per-neuron V (stream 2: one normal draw of 2n numbers,
    V's then the tau spread's); no conductance, never spiked."""
    layout: Populations = setup["populations"]
    n_exc, n = layout.sizes[0][1], layout.n
    dtype = params.tau.dtype
    slot_offset = jnp.asarray(np.where(np.arange(n) >= n_exc, n, 0), jnp.int32)  # I senders hit g_inh slots
    targets, degree, full = fixed_probability(stream(key, CONNECTIVITY_STREAM), n, n, params.p_conn, slot_offset, setup["width"], 2 * n)
    z = jax.random.normal(stream(key, INITIAL_STATE_STREAM), (2 * n,), dtype)
    V = initial.get("V", initial_values(setup.initial("V"), z[:n], params.V_rest))
    spread = jnp.where(jnp.arange(n) < n_exc, params.tau_sd * z[n:], 0.0)
    zeros = jnp.zeros((n,), dtype)
    return State(V=V, g_exc=zeros, g_inh=zeros, t_last_spike_ms=jnp.full((n,), NEVER_MS, dtype),
                 in_flight=delay_line(jnp.zeros((n,), bool), 1),
                 membrane_decay=jnp.exp(-setup.dt / jnp.maximum(params.tau + spread, 0.1)),
                 targets=targets, out_degree=degree, table_rows_full=full)  # fmt: skip


def step(state: State, params: Params, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> tuple[State, dict[str, jax.Array]]:
    """One step: projections (the last step's spikes), then neurons."""
    n, dt = state.V.shape[0], setup.dt
    events = deliver(state.in_flight.delayed, state.targets, 2 * n, state.V.dtype, BUFFER_SIZE)
    g_exc = exponential(state.g_exc, jnp.exp(-dt / params.tau_exc), params.w_exc * events[:n])
    g_inh = exponential(state.g_inh, jnp.exp(-dt / params.tau_inh), params.w_inh * events[n:])
    I_exc = conductance_current(g_exc, params.E_exc, state.V)
    I_inh = conductance_current(g_inh, params.E_inh, state.V)
    V_inf = params.V_rest + I_exc + I_inh + params.R * inputs["I"]
    spike, V, t_last = lif_update(state.V, state.t_last_spike_ms, V_inf, state.membrane_decay,
                                  params.V_th, params.V_reset, params.tau_ref, inputs["t_ms"], dt)  # fmt: skip
    new = State(V=V, g_exc=g_exc, g_inh=g_inh, t_last_spike_ms=t_last, in_flight=state.in_flight.push(spike),
                membrane_decay=state.membrane_decay, targets=state.targets, out_degree=state.out_degree,
                table_rows_full=state.table_rows_full)  # fmt: skip
    observables = {"spike": spike, "I_exc": I_exc, "I_inh": I_inh, "I_net": I_exc + I_inh,
                   "synaptic_events": jnp.sum(events.astype(jnp.int64))}  # fmt: skip
    return new, observables


_NEURON = ("neuron",)

MODEL = ModelSpec(
    name="ei_network",
    description="E/I balanced network of LIF neurons with COBA exponential synapses",
    Params=Params,
    State=State,
    init_state=init_state,
    step=step,
    variables={
        "V": Variable("mV", "membrane potential", _NEURON),
        "g_exc": Variable("1", "excitatory conductance (relative to the leak)", _NEURON),
        "g_inh": Variable("1", "inhibitory conductance (relative to the leak)", _NEURON),
        "I_exc": Variable("mV", "excitatory input g_e (E_e - V)", _NEURON),
        "I_inh": Variable("mV", "inhibitory input g_i (E_i - V)", _NEURON),
        "I_net": Variable("mV", "net synaptic input", _NEURON),
        "t_last_spike_ms": Variable(LAST_SPIKE.units, LAST_SPIKE.long_name, _NEURON),
        "spike": Variable("1", "spike", _NEURON),
    },
    inputs={"I": "1"},
    methods=("exp_euler",),
    static=static,
    sizes=lambda params: {"neuron": populations(params).n},
    coords=lambda params: populations(params).coords(),
    constants={
        "out_degree": Variable("1", "synapses per presynaptic neuron", _NEURON),
        "table_rows_full": Variable("1", "connectivity rows filled to the table width, which may have lost synapses (must be 0)"),
    },
    totals={"synaptic_events": Variable("1", "synaptic events delivered (spikes x out-degree)")},
    time_statistics={
        "I_exc": Variable("mV", "excitatory input g_e (E_e - V)", _NEURON),
        "I_inh": Variable("mV", "inhibitory input g_i (E_i - V)", _NEURON),
        "I_net": Variable("mV", "net synaptic input", _NEURON),
    },
    analyses=("network_statistics",),
)

__all__ = ["MODEL", "Params", "State", "init_state", "step"]
