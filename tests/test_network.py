"""E/I network: closed forms, exact event accounting, statistics over seeds, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import simulate

from neurosweep.analysis import network_statistics
from neurosweep.experiments import ConfigError, parse_experiment
from neurosweep.runner import run_chunk

# Tolerances, named: what "asynchronous irregular" means here (course network, 4000 neurons).
AI_RATE_HZ = (5.0, 60.0)  # the course's picture settles near 20 Hz
AI_MIN_CV = 0.8  # irregular: CV of ISI near or above 1
SMALL = {"n_exc": 320, "n_inh": 80}


def _network(t_stop_ms: float, **config) -> dict:
    base = {"model": "ei_network", "dt_ms": 0.1, "t_stop_ms": t_stop_ms, "init": {"V": {"normal": [-55, 2]}},
            "protocol": {"kind": "constant", "I": 20.0}}  # fmt: skip
    swept = {name for mode in config.get("sweep", {}).values() for name in mode}
    if "protocol" not in config and swept & set(base["protocol"]):
        base["protocol"] = {k: v for k, v in base["protocol"].items() if k not in swept}  # a value is fixed or swept, not both
    return {**base, **config}


#: Spikes of the E/I network recorded with the code before the network kit (commit 18da7e3, the
#: runner of ``simulate_network.py``): three configurations, f32 and f64, chunked, with traces.
REFERENCE = Path(__file__).parent / "data" / "ei_reference_spikes.npz"
REFERENCE_CASES = {
    "course_f32": _network(100.0, seeds=[0, 1]),
    "small_grid_f32": _network(200.0, params={"n_exc": 800, "n_inh": 200, "p_conn": 0.08}, protocol={"kind": "constant"},
                               sweep={"grid": {"I": [12, 20, 40], "w_inh": [4, 6.7]}}, chunk_size=4),
    "small_f64_tausd": _network(150.0, precision="float64", init={"V": {"normal": [-60, 4]}}, seeds=[5, 7, 12345],
                                params={"n_exc": 400, "n_inh": 100, "p_conn": 0.05, "tau_sd": 3.0, "w_exc": 0.3, "w_inh": 3.2},
                                protocol={"kind": "ramp_hold", "I_start": 12, "I_end": 72, "t_start_ms": 50, "t_end_ms": 70},
                                record={"variables": ["V", "I_exc", "I_inh", "I"], "neurons": [3, 199], "every_ms": 0.5}),
}  # fmt: skip


def _statistics(dataset, t_stop_ms: float):
    dataset.attrs.update(t_stop_ms=t_stop_ms, dt_ms=0.1, populations="E I")
    return network_statistics(dataset)


@pytest.mark.parametrize("case", sorted(REFERENCE_CASES))
def test_the_composed_network_gives_the_same_spikes_as_the_code_before_it(case):
    """Spike for spike (times, neurons), synaptic events and recorded traces, bit for bit."""
    reference = np.load(REFERENCE)
    experiment = parse_experiment(case, REFERENCE_CASES[case])
    for chunk in range(experiment.n_chunks):
        run = run_chunk(experiment, chunk)
        for k in range(run.sizes["point"]):
            key, n = f"{case}/{chunk}/{k}", int(run["n_spikes"][k])
            np.testing.assert_array_equal(run["spike_time_ms"].values[k, :n], reference[f"{key}/time"])
            np.testing.assert_array_equal(run["spike_neuron"].values[k, :n], reference[f"{key}/neuron"])
            assert int(run["synaptic_events"][k]) == int(reference[f"{key}/events"])
            if f"{key}/V" in reference.files:
                np.testing.assert_array_equal(run["V"].values[k], reference[f"{key}/V"])
                np.testing.assert_array_equal(run["I_exc"].values[k], reference[f"{key}/I_exc"])


def test_without_recurrent_synapses_every_neuron_follows_the_lif_closed_form():
    """p_conn = 0: each neuron is an LIF with tau_ref = 5, so ISI = tau_ref + tau ln((I + V_rest - V_reset)/(I + V_rest - V_th)).

    V0 = V_reset, so the first spike comes after the ISI's integration part; one dt of detection per ISI.
    """
    current = 20.0
    run = simulate(_network(1000.0, params={**SMALL, "p_conn": 0.0}, init={"V": -60.0}, protocol={"kind": "constant", "I": current}))
    integration = 20.0 * np.log(current / (current - 10.0))
    isi = 5.0 + integration
    times, neurons = run["spike_time_ms"].values[0], run["spike_neuron"].values[0]
    first_neuron = times[neurons == 0]
    assert np.all(np.abs(np.diff(first_neuron) - isi) <= 0.1 + 1e-9)
    assert abs(first_neuron[0] - integration) <= 0.1 + 1e-9
    # Every neuron identical (no coupling): the same spike times, and a count within one spike of 1000 / ISI.
    counts = np.bincount(neurons[neurons >= 0], minlength=400)
    assert np.all(counts == counts[0]) and abs(counts[0] - 1000.0 / isi) <= 1.0
    assert int(run["synaptic_events"].item()) == 0


def test_synaptic_events_are_spikes_times_out_degree_exactly():
    """Every spike (except those of the last step, not yet delivered) reaches each of its targets once."""
    run = simulate(_network(200.0, params=SMALL, seeds=[3]))
    times, neurons = run["spike_time_ms"].values[0], run["spike_neuron"].values[0]
    delivered = (neurons >= 0) & (times < 200.0 - 1e-9)
    expected = int(run["out_degree"].values[0][neurons[delivered]].sum())
    assert int(run["n_spikes"].item()) > 100
    assert int(run["synaptic_events"].item()) == expected


def test_a_step_in_which_every_neuron_spikes_is_delivered_in_full():
    """All 4000 neurons start above threshold: the first step carries 4000 spikes (past every buffer), none dropped."""
    run = simulate(_network(0.2, init={"V": -40.0}))
    assert int(run["n_spikes"].item()) == 4000
    assert int(run["synaptic_events"].item()) == int(run["out_degree"].sum())


def test_connectivity_is_binomial_and_reproducible_from_the_seed():
    """Out-degrees of a FixedProb(p) draw: Binomial(N, p) mean and variance; same seed, same network."""
    one = simulate(_network(0.1, seeds=[0, 1]))
    degree = one["out_degree"].values
    n, p = 4000, 0.02
    for row in degree:
        # Mean of 4000 binomials: sd sqrt(N p (1-p) / 4000) = 0.14; variance within 10 % of N p (1 - p).
        assert abs(row.mean() - n * p) < 5 * np.sqrt(n * p * (1 - p) / 4000)
        assert row.var() == pytest.approx(n * p * (1 - p), rel=0.1)
    assert not np.array_equal(degree[0], degree[1])
    again = simulate(_network(0.1, seeds=[1]))
    np.testing.assert_array_equal(again["out_degree"].values[0], degree[1])
    assert int(one["table_rows_full"].sum()) == 0


def test_chunking_does_not_change_a_network():
    """The same three seeds run as one chunk of 3 and as three chunks of 1 give identical spikes."""
    config = _network(50.0, params=SMALL, seeds=[0, 1, 2])
    together = simulate({**config, "chunk_size": 3})
    for chunk in range(3):
        alone = simulate({**config, "chunk_size": 1}, chunk=chunk)
        count = int(alone["n_spikes"].item())
        assert count == int(together["n_spikes"][chunk])
        np.testing.assert_array_equal(alone["spike_neuron"].values[0, :count], together["spike_neuron"].values[chunk, :count])


def test_course_network_is_asynchronous_irregular_and_balanced_over_seeds():
    """Four seeds of the course network (I_ext = 20), 600 ms, statistics after 100 ms."""
    stats = _statistics(simulate(_network(600.0, seeds=[0, 1, 2, 3])), 600.0)
    rates = stats["rate_hz"].values
    assert np.all((rates > AI_RATE_HZ[0]) & (rates < AI_RATE_HZ[1])), rates
    assert float(stats["cv_isi"].mean()) > AI_MIN_CV
    # Balance: large excitatory and inhibitory inputs that cancel to a few percent of either.
    exc, inh = stats["input_exc_mean"].values, stats["input_inh_mean"].values
    assert np.all(exc > 50) and np.all(inh < -50)
    assert np.all(np.abs(stats["balance_index"].values) < 0.1)


def test_rates_rise_monotonically_with_the_external_input():
    """Mean over three seeds of the E and I rates at I_ext = 10, 20, 40, 80 (400 ms each)."""
    run = simulate(_network(400.0, sweep={"grid": {"I": [10.0, 20.0, 40.0, 80.0]}}, seeds=[0, 1, 2]))
    stats = _statistics(run, 400.0)
    frame = stats[["rate_hz"]].to_dataframe().reset_index()
    table = run[["I", "seed"]].to_dataframe().reset_index()
    merged = frame.merge(table, on="point").groupby(["population_name", "I"])["rate_hz"].mean().unstack("I")
    assert np.all(np.diff(merged.values, axis=1) > 0), merged


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"params": {"p_conn": 1.5}}, r"experiments\.x\.params\.p_conn: 1\.5 is outside the domain of ei_network\.p_conn: must be \[0, 1\]"),
        ({"params": {"n_exc": 0}}, r"experiments\.x\.params\.n_exc: 0 is outside the domain of ei_network\.n_exc: must be whole >= 1"),
        ({"sweep": {"grid": {"n_inh": [100, 200]}}}, r"experiments\.x\.sweep\.n_inh: n_inh fixes the network's array shapes"),
        ({"record": {"variables": ["V"], "neurons": [4000]}}, r"experiments\.x\.record\.neurons: neuron indices are whole numbers in \[0, 4000\)"),
        ({"record": {"variables": ["I"], "neurons": [3]}}, r"experiments\.x\.record\.neurons: only for variables with dims"),
        ({"kind": "fixed_points"}, r"experiments\.x\.kind: ei_network supports kinds \['simulation'\]; got 'fixed_points'"),
        ({"sweep": {"grid": {"V_init": [-60, -55]}}}, r"experiments\.x\.sweep\.V_init: not a parameter of ei_network"),
    ],
)
def test_bad_network_input_is_rejected_with_its_key(change, message):
    with pytest.raises(ConfigError, match=message):
        parse_experiment("x", {**_network(10.0), **change})


def test_input_statistics_kept_in_the_loop_are_those_of_the_recorded_inputs():
    """Per-neuron time mean and sd of I_exc, I_inh and I_net, kept in the loop (a word's steps
    added at its end), equal those of the same inputs recorded at every step; 1003 steps end
    in a partial word."""
    run = simulate(_network(100.3, params=SMALL, seeds=[3], record={"variables": ["I_exc", "I_inh", "I_net"], "every_ms": 0.1}))
    for name in ("I_exc", "I_inh", "I_net"):
        trace = run[name].isel(point=0).values.astype(np.float64)  # (time, neuron)
        assert trace.shape[0] == 1003
        np.testing.assert_allclose(run[f"{name}_mean"].isel(point=0).values, trace.mean(axis=0), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(run[f"{name}_sd"].isel(point=0).values, trace.std(axis=0), rtol=1e-6, atol=1e-8)
