"""LIF against its closed form (course_figures.md T2-T7)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TOLERANCE
from helpers import simulate

from neurosweep.analysis import spike_statistics
from neurosweep.models.lif import firing_rate_hz


def _isi(tau_ref: float, I: float) -> float:
    """The closed form, written independently of the package: T = t_ref + tau ln((RI - V_reset)/(RI - V_th))."""
    return tau_ref + 10.0 * np.log((I + 5.0) / (I - 20.0))


@pytest.mark.parametrize(("I", "printed_isi_ms"), [(22.0, 26.03), (25.0, 17.92)])
def test_isi_without_refractoriness(I, printed_isi_ms):
    """T3, T4: mean ISI within one dt of the closed form (and the closed form is the printed value)."""
    assert _isi(0.0, I) == pytest.approx(printed_isi_ms, abs=5e-3)
    dt = 0.1
    data = simulate({"model": "lif", "dt_ms": dt, "t_stop_ms": 1000, "init": {"V": 0}, "protocol": {"kind": "constant", "I": I}})
    data.attrs["t_stop_ms"] = 1000.0
    mean_isi = float(spike_statistics(data)["mean_isi_ms"][0])
    assert abs(mean_isi - _isi(0.0, I)) <= dt


def test_rheobase():
    """T2: no spike at I = 20 = (V_th - V_rest)/R, spikes just above."""
    data = simulate({"model": "lif", "dt_ms": 0.1, "t_stop_ms": 1000, "init": {"V": 0}, "protocol": {"kind": "constant"},
                     "sweep": {"grid": {"I": [19.0, 20.0, 20.05]}}})  # fmt: skip
    assert data["n_spikes"].values.tolist()[:2] == [0, 0]
    assert data["n_spikes"].values[2] > 0


@pytest.mark.parametrize(("I", "printed_rate_hz"), [(22.0, 32.2), (100.0, 129.5), (600.0, 184.4)])
def test_rate_with_refractoriness(I, printed_rate_hz):
    """T5-T7: tau_ref = 5, dt = 0.01: the count in 1 s within one spike, the ISI within one dt."""
    assert 1000.0 / _isi(5.0, I) == pytest.approx(printed_rate_hz, abs=0.05)
    assert float(firing_rate_hz(I, tau_ref=5.0)) == pytest.approx(1000.0 / _isi(5.0, I), rel=1e-12)
    dt = 0.01
    data = simulate({"model": "lif", "dt_ms": dt, "t_stop_ms": 1000, "params": {"tau_ref": 5}, "init": {"V": 0},
                     "protocol": {"kind": "constant", "I": I}})  # fmt: skip
    data.attrs["t_stop_ms"] = 1000.0
    stats = spike_statistics(data).isel(point=0)
    # The first spike comes after one charge from V = 0, then regular ISIs: count the expected number.
    first_ms = 10.0 * np.log(I / (I - 20.0))
    expected = 1 + np.floor((1000.0 - first_ms) / _isi(5.0, I))
    assert abs(float(stats["spike_count"]) - expected) <= TOLERANCE["spike_count"]
    assert abs(float(stats["mean_isi_ms"]) - _isi(5.0, I)) <= dt
    assert abs(float(stats["first_spike_ms"]) - first_ms) <= dt


def test_refractory_hold_lasts_tau_ref():
    """After a spike V sits at V_reset for round(tau_ref/dt) steps, then integrates again."""
    dt = 0.1
    data = simulate({"model": "lif", "dt_ms": dt, "t_stop_ms": 60, "params": {"tau_ref": 5}, "init": {"V": 0},
                     "protocol": {"kind": "constant", "I": 100}, "record": {"variables": ["V"]}})  # fmt: skip
    V = data["V"].isel(point=0).values
    t_spike = float(data["spike_time_ms"].isel(point=0, spike=0))
    at_reset = np.isclose(V, -5.0)
    first = int(np.flatnonzero(at_reset)[0])
    run_length = int(np.argmin(at_reset[first:]))
    assert float(data["time"][first]) == pytest.approx(t_spike)
    assert run_length == 1 + round(5.0 / dt)  # the spike step itself plus the hold


def test_lif_rate_is_monotonic_and_saturates():
    rates = firing_rate_hz(np.array([0.0, 20.0, 21.0, 50.0, 100.0, 1e6]), tau_ref=5.0)
    assert rates[0] == rates[1] == 0.0
    assert np.all(np.diff(rates[1:]) > 0)
    assert rates[-1] == pytest.approx(200.0, rel=1e-3)  # 1 / t_ref
