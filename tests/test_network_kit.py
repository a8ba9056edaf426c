"""The network kit against numbers from outside the code: closed forms, formulas, statistics."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import chisquare

from neurosweep.models.network import (
    Populations,
    delay_line,
    deliver,
    dense_input,
    group_input,
    group_sums,
    mg_block,
    nmda_state,
    nmda_step,
    poisson_spikes,
)
from neurosweep.rng import uniforms

# Named tolerances.
NMDA_ERROR_AT_DT_0_01 = 2e-3  # max |s - s_exact| (s <= 1): exponential Euler with x held over the step is first order
NMDA_FIRST_ORDER = (7.0, 13.0)  # error ratio when dt shrinks tenfold
POISSON_SIGMAS = 4.0


def _nmda_exact(t: float, tau_decay: float = 100.0, tau_rise: float = 2.0, a: float = 0.5) -> float:
    """s(t) after one presynaptic spike at t = 0 (x(0) = 1, s(0) = 0): the solution of the linear
    ODE ds/dt = -(1/tau_d + a x) s + a x with x = e^{-t/tau_r}, as an integral (by quadrature)::

        s(t) = int_0^t a x(u) exp(-(t - u)/tau_d - a tau_r (e^{-u/tau_r} - e^{-t/tau_r})) du
    """

    def integrand(u: float) -> float:
        return a * np.exp(-u / tau_rise) * np.exp(-(t - u) / tau_decay - a * tau_rise * (np.exp(-u / tau_rise) - np.exp(-t / tau_rise)))

    return quad(integrand, 0.0, t, limit=200)[0]


def _nmda_run(dt: float, t_stop_ms: float) -> np.ndarray:
    """s after each step; the spike arrives in step 0 (x jumps at its end, so s starts at t = dt)."""
    n = round(t_stop_ms / dt)
    spikes = jnp.zeros(n).at[0].set(1.0)

    def step(state, spike):
        state = nmda_step(state, spike[None], 100.0, 2.0, 0.5, dt)
        return state, state.s[0]

    _, s = jax.lax.scan(step, nmda_state((1,), jnp.float64), spikes)
    return np.asarray(s)


def test_nmda_conductance_after_one_spike_follows_its_closed_form():
    t_stop = 300.0
    errors = {}
    for dt in (0.1, 0.01):
        s = _nmda_run(dt, t_stop)
        times = np.arange(1, len(s) + 1) * dt - dt  # time since the spike took effect
        checked = np.arange(len(s))[:: round(1.0 / dt)]  # every 1 ms
        exact = np.array([_nmda_exact(times[k]) for k in checked])
        errors[dt] = np.max(np.abs(s[checked] - exact))
        assert 0.3 < exact.max() < 0.7  # the rise saturates well below 1 for one spike
    assert errors[0.01] < NMDA_ERROR_AT_DT_0_01
    assert NMDA_FIRST_ORDER[0] < errors[0.1] / errors[0.01] < NMDA_FIRST_ORDER[1]


@pytest.mark.parametrize("V", [-80.0, -70.0, -55.0, -40.0, 0.0, 20.0])
def test_mg_block_is_jahr_and_stevens(V):
    """B(V) = 1 / (1 + [Mg]/3.57 mM exp(-0.062 V / mV)) with [Mg] = 1 mM (Jahr & Stevens 1990)."""
    assert float(mg_block(jnp.float64(V), 1.0)) == pytest.approx(1.0 / (1.0 + np.exp(-0.062 * V) / 3.57), rel=1e-12)


def test_poisson_counts_match_rate_times_time_and_neurons_are_independent():
    rate_hz, dt, n_steps, n_neurons = 40.0, 0.1, 20_000, 500  # 2 s
    keys = jax.vmap(lambda i: jax.random.fold_in(jax.random.PRNGKey(7), i))(jnp.arange(n_steps))
    spikes = np.asarray(jax.vmap(lambda k: poisson_spikes(k, rate_hz, dt, (n_neurons,)))(keys))
    p = rate_hz * dt / 1000.0
    total, expected = spikes.sum(), n_steps * n_neurons * p
    assert abs(total - expected) < POISSON_SIGMAS * np.sqrt(n_steps * n_neurons * p * (1 - p))
    counts = spikes.sum(axis=0)  # each neuron's count over 2 s: Binomial(n_steps, p), mean 80
    assert counts.var() == pytest.approx(n_steps * p * (1 - p), rel=0.2)
    # Independence: coincidences of neuron pairs (i, i + 1) at the rate p^2 of independent trains.
    coincidences = (spikes[:, :-1] & spikes[:, 1:]).sum()
    pairs = n_steps * (n_neurons - 1)
    assert abs(coincidences - pairs * p * p) < POISSON_SIGMAS * np.sqrt(pairs * p * p)
    assert not np.array_equal(spikes[:, 0], spikes[:, 1])


def test_uniforms_are_uniform_and_uncorrelated_across_elements_and_steps():
    """2,000 steps x 2,000 elements from step keys as the runner derives them (fold_in of the step index)."""
    root = jax.random.PRNGKey(11)
    draws = np.asarray(jax.vmap(lambda i: uniforms(jax.random.fold_in(root, i), (2000,)))(jnp.arange(2000)))
    counts, _ = np.histogram(draws, bins=200, range=(0.0, 1.0))
    assert chisquare(counts).pvalue > 1e-3
    assert draws.min() >= 0.0 and draws.max() < 1.0
    limit = POISSON_SIGMAS / np.sqrt(draws.size)  # sd of a correlation estimate of independent samples
    centred = draws - 0.5
    for lagged in (centred[:, 1:] * centred[:, :-1], centred[1:] * centred[:-1]):  # neighbours, next step
        assert abs(lagged.mean() / centred.var()) < limit


@pytest.mark.parametrize("d", [1, 3, 6])
def test_a_value_pushed_at_step_k_is_read_at_step_k_plus_d(d):
    line = delay_line(jnp.zeros(4), d)
    k, reads = 5, []
    for step in range(k + d + 3):
        reads.append(np.asarray(line.delayed))
        line = line.push(jnp.full(4, 1.0 if step == k else 0.0))
    arrivals = [step for step, value in enumerate(reads) if value.any()]
    assert arrivals == [k + d]


def test_group_sums_equal_the_dense_all_to_all_product():
    layout = Populations.of(A=7, B=7, N=20, I=9)
    values = jax.random.uniform(jax.random.PRNGKey(0), (layout.n,), jnp.float64)
    weights = jax.random.uniform(jax.random.PRNGKey(1), (4, 4), jnp.float64)
    dense = np.asarray(weights)[layout.index][:, layout.index]  # dense[i, j] = weights[group(i), group(j)]
    expected = dense_input(values, jnp.asarray(dense))
    found = group_input(group_sums(values, layout.bounds), weights, layout.index)
    np.testing.assert_allclose(found, expected, rtol=1e-12)
    np.testing.assert_allclose(found, np.asarray(values) @ dense, rtol=1e-12)


def test_normals_are_standard_normal_and_never_infinite():
    from neurosweep.rng import normals

    draws = np.asarray(jax.vmap(lambda i: normals(jax.random.fold_in(jax.random.PRNGKey(5), i), (1000,)))(jnp.arange(2000))).ravel()
    assert np.all(np.isfinite(draws)) and np.abs(draws).max() < 5.5
    assert abs(draws.mean()) < POISSON_SIGMAS / np.sqrt(draws.size)
    assert draws.std() == pytest.approx(1.0, rel=4 * np.sqrt(0.5 / draws.size))


@pytest.mark.parametrize("n_spiking", [0, 1, 16, 17, 80, 81, 500, 1000])
@pytest.mark.parametrize("sizes", [(16, 64), (16, 16), (4, 7)])
def test_delivery_counts_each_synapse_of_each_spike_once_whatever_the_pass_sizes(n_spiking, sizes):
    """Event counts per slot equal a bincount of the spiking rows' targets (padding dropped),
    for volleys that fill the first pass, spill over it, and take many later passes."""
    rng = np.random.default_rng(n_spiking)
    n, width, n_slots = 1000, 12, 2000
    targets = rng.integers(0, n_slots + 1, size=(n + 1, width)).astype(np.int32)  # n_slots: padding
    targets[-1] = n_slots
    spike = np.zeros(n, bool)
    spike[rng.choice(n, n_spiking, replace=False)] = True
    counts = deliver(jnp.asarray(spike), jnp.asarray(targets), n_slots, jnp.float32, *sizes)
    expected = np.bincount(targets[:-1][spike].ravel(), minlength=n_slots + 1)[:n_slots]
    np.testing.assert_array_equal(np.asarray(counts), expected)
