"""``record: {spikes: statistics}``: the spike statistics computed in the loop equal the same
statistics computed afterwards from the stored spike events, on the same seeds."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from neurosweep.analysis import spike_statistics
from neurosweep.experiments import ConfigError, parse_experiment, result_bytes_per_point
from neurosweep.runner import run_chunk, spike_events

WINDOW = {"t_start_ms": 50.05, "t_stop_ms": 250}  # a start between steps: the edge rule matters

NOISY_LIF = {
    "model": "lif",
    "dt_ms": 0.1,
    "t_stop_ms": 300,
    "params": {"tau_ref": 2},
    "init": {"V": 0},
    "protocol": {"kind": "ou_noise", "sigma": 6, "tau_ms": 5},
    "sweep": {"grid": {"I_mean": [15, 21, 26, 40]}},
    "seeds": [0, 1, 2],
    "analysis_options": {"spike_statistics": WINDOW},
}

HH = {
    "model": "hh",
    "dt_ms": 0.01,
    "t_stop_ms": 300,
    "init": {"V": {"uniform": [-70, -60]}},
    "protocol": {"kind": "constant"},
    "sweep": {"grid": {"I": [0.0, 6.0, 10.0, 20.0]}},
    "seeds": [0, 1],
    "analysis_options": {"spike_statistics": WINDOW},
}

# A named tolerance: the events' times are rounded to 1e-9 ms and differenced in floating point;
# the loop's intervals are whole steps.
RTOL = 1e-9


def _both(config: dict) -> tuple:
    with_statistics = copy.deepcopy(config)
    with_statistics["record"] = {**config.get("record", {}), "spikes": "statistics"}
    events = run_chunk(parse_experiment("x", config), 0)
    in_loop = run_chunk(parse_experiment("x", with_statistics), 0)
    for dataset in (events, in_loop):
        dataset.attrs["t_stop_ms"] = config["t_stop_ms"]
    return events, in_loop


@pytest.mark.parametrize("config", [NOISY_LIF, HH], ids=["lif_ou_noise", "hh"])
def test_statistics_in_the_loop_equal_those_of_the_stored_spikes(config):
    events, in_loop = _both(config)
    assert "spike_time_ms" not in in_loop and "spike_count" in in_loop
    expected = spike_statistics(events, **WINDOW)
    got = spike_statistics(in_loop, **WINDOW)
    assert float(expected["spike_count"].sum()) > 30, "the sweep must spike for the test to mean anything"
    assert np.isfinite(expected["cv_isi"]).any()
    for name in expected.data_vars:
        np.testing.assert_allclose(got[name], expected[name], rtol=RTOL, atol=1e-12, err_msg=name)


def test_network_statistics_in_the_loop_are_per_neuron():
    """For a network each neuron has its own count, first spike and ISI statistics: checked
    against the events of the same run, neuron by neuron."""
    network = {
        "model": "ei_network",
        "dt_ms": 0.1,
        "t_stop_ms": 200,
        "params": {"n_exc": 400, "n_inh": 100, "p_conn": 0.1},
        "init": {"V": {"normal": [-55, 2]}},
        "protocol": {"kind": "constant", "I": 20},
        "analyses": ["spike_statistics"],
        "analysis_options": {"spike_statistics": {"t_start_ms": 20, "t_stop_ms": 200}},
    }
    events = parse_experiment("x", network)
    loop = parse_experiment("x", {**network, "record": {"spikes": "statistics"}})
    from neurosweep.runner import Plan, chunk_arguments, simulate

    out = simulate(*chunk_arguments(events))
    times, neurons = spike_events(np.asarray(out["spike_words"]), 0.1)[0]
    in_loop = run_chunk(loop, 0)
    keep = (times > 20) & (times <= 200)
    times, neurons = times[keep], neurons[keep]
    count = np.bincount(neurons, minlength=500)
    assert count.sum() > 500
    np.testing.assert_array_equal(in_loop["spike_count"].values[0], count)
    first = np.full(500, np.nan)
    mean_isi = np.full(500, np.nan)
    cv = np.full(500, np.nan)
    for n in np.unique(neurons):
        t = np.sort(times[neurons == n])
        first[n] = t[0]
        if len(t) > 1:
            isi = np.diff(t)
            mean_isi[n], cv[n] = isi.mean(), isi.std() / isi.mean()
    np.testing.assert_allclose(in_loop["first_spike_ms"].values[0], first, rtol=RTOL)
    np.testing.assert_allclose(in_loop["mean_isi_ms"].values[0], mean_isi, rtol=RTOL)
    np.testing.assert_allclose(in_loop["cv_isi"].values[0], cv, rtol=1e-7, atol=1e-9)
    assert Plan.of(loop) != Plan.of(events)


def test_statistics_store_less_than_events():
    assert result_bytes_per_point(parse_experiment("x", {**NOISY_LIF, "record": {"spikes": "statistics"}})) < result_bytes_per_point(
        parse_experiment("x", NOISY_LIF)
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"record": {"spikes": "times"}}, r"record\.spikes: .*allowed: \['events', 'statistics'\]"),
        ({"record": {"spikes": "statistics"}, "analyses": ["spike_statistics", "instantaneous_rate"]}, r"analyses: 'instantaneous_rate' reads spike events"),
        ({"record": {"spikes": "statistics"}, "analysis_options": {"spike_statistics": {"t_start_ms": 400}}}, r"spike_statistics: the window needs"),
    ],
)
def test_bad_spike_records_are_rejected_with_their_key(changes, message):
    with pytest.raises(ConfigError, match=message):
        parse_experiment("x", {**NOISY_LIF, **changes})


def test_a_model_without_spikes_cannot_count_them():
    with pytest.raises(ConfigError, match=r"record\.spikes: statistics of spikes need a simulation of a spiking model"):
        parse_experiment("x", {"model": "wong_wang", "t_stop_ms": 100, "protocol": {"kind": "none"}, "record": {"spikes": "statistics"}})


def test_the_analysis_refuses_another_window_than_the_loop_counted():
    _, in_loop = _both({**NOISY_LIF, "sweep": {"grid": {"I_mean": [30]}}, "seeds": [0]})
    with pytest.raises(ValueError, match=r"counted in the loop over \(50\.05, 250\.0\] ms"):
        spike_statistics(in_loop, t_start_ms=0, t_stop_ms=300)


def test_a_network_counting_in_the_loop_keeps_its_network_statistics_in_their_window():
    network = {"model": "ei_network", "t_stop_ms": 100, "protocol": {"kind": "constant", "I": 20}, "record": {"spikes": "statistics"}}
    experiment = parse_experiment("x", network)
    assert experiment.analyses == ("network_statistics",)
    assert experiment.spike_statistics_window_ms == (20.0, 100.0)  # min(100 ms, a fifth of the run)
    assert experiment.fano_window_steps == 1000
    both = {**network, "analyses": ["network_statistics", "spike_statistics"]}
    with pytest.raises(ConfigError, match=r"x\.analysis_options: record\.spikes: statistics counts spikes in one window"):
        parse_experiment("x", both)
    agreed = {**both, "analysis_options": {"spike_statistics": {"t_start_ms": 20}}}
    assert parse_experiment("x", agreed).spike_statistics_window_ms == (20.0, 100.0)


def test_network_statistics_from_the_loop_equal_those_of_the_stored_spikes():
    """Rates, CV of ISI, Fano factor (100-ms counts) and the input balance per population, from
    the loop's per-neuron sums and from the events of the same runs (2 inputs x 2 seeds; 260 ms
    after a 40-ms transient: two Fano windows and a remainder the last one takes)."""
    from neurosweep.analysis import network_statistics

    network = {
        "model": "ei_network",
        "dt_ms": 0.1,
        "t_stop_ms": 300,
        "params": {"n_exc": 400, "n_inh": 100, "p_conn": 0.1},
        "init": {"V": {"normal": [-55, 2]}},
        "protocol": {"kind": "constant"},
        "sweep": {"grid": {"I": [15, 25]}},
        "seeds": [0, 1],
        "analysis_options": {"network_statistics": {"transient_ms": 40}},
    }
    events, in_loop = _both(network)
    for dataset in (events, in_loop):
        dataset.attrs["dt_ms"] = network["dt_ms"]
    expected = network_statistics(events, transient_ms=40)
    got = network_statistics(in_loop, transient_ms=40)
    assert "population_rate_hz" not in got
    assert (expected["rate_hz"] > 1).all() and np.isfinite(expected["fano_factor"]).all()
    for name in got.data_vars:
        np.testing.assert_allclose(got[name].transpose(*expected[name].dims), expected[name], rtol=1e-7, atol=1e-9, err_msg=name)
