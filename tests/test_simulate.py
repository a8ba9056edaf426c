"""The runner: chunking invariance, determinism, divergence and spike-buffer flags."""

from __future__ import annotations

import numpy as np
import xarray as xr
from helpers import simulate

from neurosweep.experiments import RESULT_COPIES, parse_experiment, result_bytes_per_point
from neurosweep.runner import run_chunk

SWEEP = {
    "model": "hh",
    "dt_ms": 0.1,
    "t_stop_ms": 100,
    "init": {"V": {"uniform": [-70, -60]}},
    "protocol": {"kind": "constant"},
    "sweep": {"grid": {"I": [0.0, 3.0, 6.0, 9.0, 12.0]}},
    "seeds": [0, 1],
    "record": {"variables": ["V"], "every_ms": 1.0},
}


def _all_chunks(chunk_size: int | None, chunk_memory_mb: float = 512.0) -> xr.Dataset:
    raw = SWEEP if chunk_size is None else {**SWEEP, "chunk_size": chunk_size}
    experiment = parse_experiment("x", raw, chunk_memory_mb=chunk_memory_mb)
    parts = [run_chunk(experiment, k) for k in range(experiment.n_chunks)]
    width = max(p.sizes["spike"] for p in parts)
    parts = [p.pad(spike=(0, width - p.sizes["spike"])) for p in parts]
    return xr.concat(parts, dim="point", join="outer")


def test_result_does_not_depend_on_chunk_size_or_position():
    whole = _all_chunks(10)
    split = _all_chunks(3)  # other chunk boundaries and a padded last chunk
    assert whole.sizes["point"] == split.sizes["point"] == 10
    np.testing.assert_array_equal(whole["V"].values, split["V"].values)
    np.testing.assert_array_equal(whole["n_spikes"].values, split["n_spikes"].values)
    np.testing.assert_array_equal(whole["spike_time_ms"].values, split["spike_time_ms"].values)


def test_a_chunk_size_chosen_from_the_memory_budget_gives_the_same_results():
    """Without chunk_size, the points per job come from the budget (chunk_memory_mb): a budget of
    three points' results splits the 10 points into 4 even jobs of 3, with the same numbers."""
    per_point = RESULT_COPIES * result_bytes_per_point(parse_experiment("x", SWEEP))
    assert per_point > 0
    tight = parse_experiment("x", SWEEP, chunk_memory_mb=3.5 * per_point / 1e6)
    assert (tight.chunk_size, tight.n_chunks) == (3, 4)
    roomy = parse_experiment("x", SWEEP)
    assert (roomy.chunk_size, roomy.n_chunks) == (10, 1)
    chosen = _all_chunks(None, chunk_memory_mb=3.5 * per_point / 1e6)
    fixed = _all_chunks(10)
    np.testing.assert_array_equal(chosen["V"].values, fixed["V"].values)
    np.testing.assert_array_equal(chosen["spike_time_ms"].values, fixed["spike_time_ms"].values)


def test_same_config_and_seed_give_identical_data_and_seeds_differ():
    first = simulate(SWEEP)
    second = simulate(SWEEP)
    xr.testing.assert_identical(first, second)
    V0 = first["V"].isel(time=0).values.reshape(5, 2)
    assert not np.allclose(V0[:, 0], V0[:, 1])  # the two seeds draw different V0


def test_diverging_point_is_flagged_and_the_rest_completes():
    # Forward Euler on HH is unstable at dt = 0.5 ms where the dynamics are fast.
    data = simulate({"model": "hh", "method": "euler", "dt_ms": 0.5, "t_stop_ms": 50, "protocol": {"kind": "constant", "I": 10.0},
                     "sweep": {"grid": {"gNa": [1.0, 120.0]}}})  # fmt: skip
    assert data["diverged"].values.tolist() == [False, True]
    assert np.isfinite(data["t_diverged_ms"].values[1]) and np.isnan(data["t_diverged_ms"].values[0])


def test_every_spike_is_kept_at_its_step():
    """A neuron driven to fire at every one of 20,000 steps: every spike kept, at its step."""
    data = simulate({"model": "lif", "dt_ms": 0.1, "t_stop_ms": 2000, "params": {"tau_ref": 0.0, "tau": 1.0}, "init": {"V": 0},
                     "protocol": {"kind": "constant", "I": 1000.0}})  # fmt: skip
    times = data["spike_time_ms"].isel(point=0).values
    # From V_reset the threshold is reached in tau ln(1005/980) = 0.025 ms < dt: a spike every step.
    assert int(data["n_spikes"][0]) == 20000 == np.isfinite(times).sum()
    np.testing.assert_allclose(np.diff(times), 0.1, atol=1e-9)


def test_float64_and_float32_agree_and_are_recorded():
    config = {"model": "lif", "dt_ms": 0.1, "t_stop_ms": 200, "protocol": {"kind": "constant", "I": 30}, "record": {"variables": ["V"]}}
    single = simulate({**config, "precision": "float32"})
    double = simulate({**config, "precision": "float64"})
    assert single["V"].dtype == np.float32 and double["V"].dtype == np.float64
    np.testing.assert_allclose(single["spike_time_ms"], double["spike_time_ms"], atol=0.1)


def test_protocols_drive_the_inputs_at_the_right_steps():
    data = simulate({"model": "lif", "dt_ms": 0.1, "t_stop_ms": 10, "protocol": {"kind": "pulse", "I": 1.0, "t_start_ms": 2, "duration_ms": 3},
                     "record": {"variables": ["I"]}})  # fmt: skip
    trace = data["input_I"].isel(point=0).values
    # the input at step i (time i*dt) is recorded at (i+1)*dt: on for steps 20..49
    assert np.flatnonzero(trace).tolist() == list(range(20, 50))
    ramp = simulate({"model": "lif", "dt_ms": 1.0, "t_stop_ms": 8, "protocol": {"kind": "triangle", "I_min": 0, "I_max": 4, "t_rise_ms": 4},
                     "record": {"variables": ["I"]}})  # fmt: skip
    assert ramp["input_I"].isel(point=0).values.tolist() == [0, 1, 2, 3, 4, 3, 2, 1]
