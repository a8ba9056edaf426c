"""Wang (2002) spiking network of two-choice decision making, as the course's ``DecisionMakingNet``.

course_figures.md section 3.4. 2,000 LIF neurons in four groups laid out along ``neuron``: two
selective excitatory groups A and B (``f n_E`` = 240 each), the non-selective excitatory group N
(1,120) and the inhibitory group I (400)::

    tau dV/dt = -(V - V_rest) + R I_syn,        I_syn in pA, R in GOhm (mV per pA)
    I_syn = g_AMPA (E_AMPA - V) + g_NMDA (E_NMDA - V) B(V) + g_GABA (E_GABA - V) + g_ext s_ext (E_AMPA - V)

E cells tau 20 ms, R 0.04, tau_ref 2 ms; I cells tau 10 ms, R 0.05, tau_ref 1 ms; V_rest -70,
V_reset -55, V_th -50 mV, V0 = V_rest. Synapses (network kit, :mod:`neurosweep.models.network`),
gated on the presynaptic side: AMPA (tau 2 ms, E = 0) and GABA_A (tau 5 ms, E = -70 mV) as
exponential synapses, NMDA with rise (2 ms), decay (100 ms) and saturation (a = 0.5 /ms), and the
Mg block B(V) = 1/(1 + [Mg]/3.57 e^{-0.062 V}), [Mg] = 1 mM. Recurrent projections are
all-to-all with weights uniform within each pair of groups, so each neuron's conductance is a
weighted sum of four group sums of the presynaptic gates (O(N) per step): E->E AMPA 0.05 and NMDA
0.165 nS, E->I AMPA 0.04 and NMDA 0.13, I->E GABA 1.3, I->I GABA 1.0, times w+ = 1.7 within A and
within B and w- = 1 - f (w+ - 1)/(1 - f) = 0.8765 (T21) from A to B, B to A and N to A and B.
They arrive after ``delay_ms`` = 0.5 ms (a delay line of 1 + 5 steps: the course's projections
also run before the neurons, one step). Each neuron has its own external AMPA synapse (g_ext 2.1 nS
on E cells, 1.62 on I cells) driven one-to-one by an independent 2,400 Hz Poisson train and, for
A and B, by the stimulus (inputs ``stimulus_A_hz``, ``stimulus_B_hz``: the ``decision_stimulus``
protocol, rates redrawn every 50 ms from N(mu0 (1 +/- c/100), 10 Hz)).

Update order (BrainPy ``DynSysGroup``): projections read the (delayed) gates, neurons step with
the synaptic current held over the step (LifRef's exponential step), then the synapses take the
new spikes. Poisson spikes come from the step's own key.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from neurosweep.models._fire import LAST_SPIKE, NEVER_MS
from neurosweep.models.base import ModelSpec, Setup, Variable, param, pytree_dataclass
from neurosweep.models.network import (
    DelayLine,
    NMDAState,
    Populations,
    conductance_current,
    delay_line,
    exponential,
    group_input,
    group_sums,
    initial_values,
    lif_update,
    mg_block,
    nmda_state,
    nmda_step,
    poisson_spikes,
)


@pytree_dataclass
class Params:
    """Wang (2002) as the course's ``DecisionMakingNet`` (conductances in nS, currents in pA)."""

    n_E: float = param(1600, "1", "number of excitatory neurons", domain="whole >= 1", structural=True)
    n_I: float = param(400, "1", "number of inhibitory neurons", domain="whole >= 1", structural=True)
    f: float = param(0.15, "1", "fraction of the excitatory neurons in each selective group", domain="[0, 1]", structural=True)
    delay_ms: float = param(0.5, "ms", "recurrent transmission delay", domain=">= 0", structural=True)
    V_rest: float = param(-70.0, "mV", "resting potential")
    V_reset: float = param(-55.0, "mV", "reset potential")
    V_th: float = param(-50.0, "mV", "spike threshold")
    tau_E: float = param(20.0, "ms", "membrane time constant of E cells", domain="> 0")
    tau_I: float = param(10.0, "ms", "membrane time constant of I cells", domain="> 0")
    R_E: float = param(0.04, "GOhm", "membrane resistance of E cells (mV per pA)", domain="> 0")
    R_I: float = param(0.05, "GOhm", "membrane resistance of I cells (mV per pA)", domain="> 0")
    tau_ref_E: float = param(2.0, "ms", "refractory period of E cells", domain=">= 0")
    tau_ref_I: float = param(1.0, "ms", "refractory period of I cells", domain=">= 0")
    E_AMPA: float = param(0.0, "mV", "AMPA (and NMDA) reversal potential")
    E_GABA: float = param(-70.0, "mV", "GABA_A reversal potential")
    tau_AMPA: float = param(2.0, "ms", "AMPA decay time constant", domain="> 0")
    tau_GABA: float = param(5.0, "ms", "GABA_A decay time constant", domain="> 0")
    tau_NMDA_decay: float = param(100.0, "ms", "NMDA decay time constant", domain="> 0")
    tau_NMDA_rise: float = param(2.0, "ms", "NMDA rise time constant", domain="> 0")
    a_NMDA: float = param(0.5, "1/ms", "NMDA saturation rate", domain=">= 0")
    Mg_mM: float = param(1.0, "mM", "extracellular magnesium concentration", domain=">= 0")
    g_E2E_AMPA: float = param(0.05, "nS", "AMPA conductance E -> E (per synapse)", domain=">= 0")
    g_E2I_AMPA: float = param(0.04, "nS", "AMPA conductance E -> I", domain=">= 0")
    g_E2E_NMDA: float = param(0.165, "nS", "NMDA conductance E -> E", domain=">= 0")
    g_E2I_NMDA: float = param(0.13, "nS", "NMDA conductance E -> I", domain=">= 0")
    g_I2E_GABA: float = param(1.3, "nS", "GABA_A conductance I -> E", domain=">= 0")
    g_I2I_GABA: float = param(1.0, "nS", "GABA_A conductance I -> I", domain=">= 0")
    g_ext_E: float = param(2.1, "nS", "external AMPA conductance onto E cells", domain=">= 0")
    g_ext_I: float = param(1.62, "nS", "external AMPA conductance onto I cells", domain=">= 0")
    w_plus: float = param(1.7, "1", "weight factor within a selective group", domain=">= 0")
    background_hz: float = param(2400.0, "Hz", "rate of each neuron's own Poisson background", domain=">= 0")
    tau_readout: float = param(20.0, "ms", "time constant of the smoothed rates of A and B (the decision readout)", domain="> 0")


def w_minus(params: Params) -> Any:
    """``w- = 1 - f (w+ - 1) / (1 - f)``: keeps the mean excitatory drive unchanged (T21: 0.8765)."""
    return 1.0 - params.f * (params.w_plus - 1.0) / (1.0 - params.f)


@pytree_dataclass
class State:
    """Per neuron: V, last spike, the external AMPA gate; per presynaptic E cell: AMPA and NMDA
    gates; per I cell: the GABA gate; in flight: the group sums of the gates (AMPA of A, B, N;
    NMDA of A, B, N; GABA of I) for the recurrent delay; the readout: the population rates of A
    and B smoothed exponentially over ``tau_readout``."""

    V: jax.Array
    t_last_spike_ms: jax.Array
    s_ext: jax.Array
    s_AMPA: jax.Array
    nmda: NMDAState
    s_GABA: jax.Array
    in_flight: DelayLine
    rate_A_hz: jax.Array
    rate_B_hz: jax.Array


def populations(params: Params) -> Populations:
    n_selective = int(params.f * params.n_E)  # BrainPy: int(f * num_exc)
    return Populations.of(A=n_selective, B=n_selective, N=int(params.n_E) - 2 * n_selective, I=params.n_I)


def static(params: Params, swept: Mapping[str, Any]) -> dict[str, Hashable]:
    return {"populations": populations(params), "delay_ms": float(params.delay_ms)}


def _delay_steps(setup: Setup) -> int:
    return 1 + round(setup["delay_ms"] / setup.dt)


def _sums(s_AMPA: jax.Array, s_NMDA: jax.Array, s_GABA: jax.Array, layout: Populations) -> jax.Array:
    excitatory = layout.bounds[:3]
    return jnp.concatenate([group_sums(s_AMPA, excitatory), group_sums(s_NMDA, excitatory), jnp.sum(s_GABA)[None]])


def init_state(params: Params, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> State:
    """At rest (or the config's V), every gate closed, never spiked."""
    layout: Populations = setup["populations"]
    n, n_E = layout.n, layout.bounds[2][1]
    dtype = params.tau_E.dtype
    spec = setup.initial("V")
    z = jax.random.normal(key, (n,), dtype) if isinstance(spec, Mapping) else jnp.zeros((n,), dtype)
    zeros = jnp.zeros((n,), dtype)
    return State(V=initial_values(spec, z, params.V_rest), t_last_spike_ms=jnp.full((n,), NEVER_MS, dtype), s_ext=zeros,
                 s_AMPA=zeros[:n_E], nmda=nmda_state((n_E,), dtype), s_GABA=zeros[n_E:],
                 in_flight=delay_line(jnp.zeros((7,), dtype), _delay_steps(setup)),
                 rate_A_hz=jnp.zeros((), dtype), rate_B_hz=jnp.zeros((), dtype))  # fmt: skip


def _recurrent_weights(params: Params) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Conductances (nS) from each presynaptic group (rows A, B, N; I) to each postsynaptic group
    (columns A, B, N, I), for AMPA, NMDA and GABA_A."""
    w_p, w_m = params.w_plus, w_minus(params)
    structure = jnp.stack([jnp.stack([w_p, w_m, 1.0, 1.0]), jnp.stack([w_m, w_p, 1.0, 1.0]), jnp.stack([w_m, w_m, 1.0, 1.0])])

    def scaled(to_E: jax.Array, to_I: jax.Array) -> jax.Array:
        return structure * jnp.stack([to_E, to_E, to_E, to_I])

    gaba = jnp.stack([params.g_I2E_GABA, params.g_I2E_GABA, params.g_I2E_GABA, params.g_I2I_GABA])[None]
    return scaled(params.g_E2E_AMPA, params.g_E2I_AMPA), scaled(params.g_E2E_NMDA, params.g_E2I_NMDA), gaba


def step(state: State, params: Params, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> tuple[State, dict[str, jax.Array]]:
    layout: Populations = setup["populations"]
    dt, n_E = setup.dt, layout.bounds[2][1]
    group = layout.index

    def by_type(excitatory: jax.Array, inhibitory: jax.Array) -> jax.Array:
        return layout.per_neuron({"A": excitatory, "B": excitatory, "N": excitatory, "I": inhibitory})

    sums = state.in_flight.delayed
    w_ampa, w_nmda, w_gaba = _recurrent_weights(params)
    g_AMPA = group_input(sums[0:3], w_ampa, group)
    g_NMDA = group_input(sums[3:6], w_nmda, group)
    g_GABA = group_input(sums[6:7], w_gaba, group)
    g_ext = by_type(params.g_ext_E, params.g_ext_I)
    V = state.V
    I_syn = (conductance_current(g_AMPA, params.E_AMPA, V)
             + conductance_current(g_NMDA, params.E_AMPA, V) * mg_block(V, params.Mg_mM)
             + conductance_current(g_GABA, params.E_GABA, V)
             + conductance_current(g_ext * state.s_ext, params.E_AMPA, V))  # fmt: skip
    decay = by_type(jnp.exp(-dt / params.tau_E), jnp.exp(-dt / params.tau_I))
    V_inf = params.V_rest + by_type(params.R_E, params.R_I) * I_syn
    spike, V, t_last = lif_update(V, state.t_last_spike_ms, V_inf, decay, params.V_th, params.V_reset,
                                  by_type(params.tau_ref_E, params.tau_ref_I), inputs["t_ms"], dt)  # fmt: skip
    # External spikes, one draw: the background of every neuron, then the stimulus of A and B only
    # (the other groups get none: no draws wasted on them).
    n_selective = layout.bounds[1][1]
    rates = jnp.concatenate([jnp.broadcast_to(params.background_hz, (layout.n,)),
                             jnp.repeat(jnp.stack([inputs["stimulus_A_hz"], inputs["stimulus_B_hz"]]), n_selective // 2)])  # fmt: skip
    external = poisson_spikes(key, rates, dt, rates.shape).astype(V.dtype)
    arriving = external[: layout.n].at[:n_selective].add(external[layout.n :])
    s_ext = exponential(state.s_ext, jnp.exp(-dt / params.tau_AMPA), arriving)
    spike_E, spike_I = spike[:n_E].astype(V.dtype), spike[n_E:].astype(V.dtype)
    s_AMPA = exponential(state.s_AMPA, jnp.exp(-dt / params.tau_AMPA), spike_E)
    nmda = nmda_step(state.nmda, spike_E, params.tau_NMDA_decay, params.tau_NMDA_rise, params.a_NMDA, dt)
    s_GABA = exponential(state.s_GABA, jnp.exp(-dt / params.tau_GABA), spike_I)
    # The readout: each selective group's spike count this step as a rate, smoothed exactly.
    smoothing = jnp.exp(-dt / params.tau_readout)
    now = [jnp.mean(spike[layout.slice(name)], dtype=V.dtype) * (1000.0 / dt) for name in ("A", "B")]
    new = State(V=V, t_last_spike_ms=t_last, s_ext=s_ext, s_AMPA=s_AMPA, nmda=nmda, s_GABA=s_GABA,
                in_flight=state.in_flight.push(_sums(s_AMPA, nmda.s, s_GABA, layout)),
                rate_A_hz=now[0] + (state.rate_A_hz - now[0]) * smoothing, rate_B_hz=now[1] + (state.rate_B_hz - now[1]) * smoothing)  # fmt: skip
    return new, {"spike": spike, "I_syn": I_syn}


_NEURON = ("neuron",)

MODEL = ModelSpec(
    name="wang2002",
    description="Wang (2002) spiking network of two-choice decision making (AMPA, NMDA, GABA_A)",
    Params=Params,
    State=State,
    init_state=init_state,
    step=step,
    variables={
        "V": Variable("mV", "membrane potential", _NEURON),
        "I_syn": Variable("pA", "total synaptic current into the cell", _NEURON),
        "s_ext": Variable("1", "external AMPA gate", _NEURON),
        "t_last_spike_ms": Variable(LAST_SPIKE.units, LAST_SPIKE.long_name, _NEURON),
        "spike": Variable("1", "spike", _NEURON),
        "rate_A_hz": Variable("Hz", "rate of A smoothed over tau_readout"),
        "rate_B_hz": Variable("Hz", "rate of B smoothed over tau_readout"),
    },
    inputs={"stimulus_A_hz": "Hz", "stimulus_B_hz": "Hz"},
    methods=("exp_euler",),
    static=static,
    sizes=lambda params: {"neuron": populations(params).n},
    coords=lambda params: populations(params).coords(),
    analyses=("network_statistics",),
    random=True,
)

__all__ = ["MODEL", "Params", "State", "init_state", "step", "w_minus"]
