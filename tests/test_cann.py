"""Continuous attractor networks against closed forms, symmetries and published spectra.

Closed forms (course_figures.md T18-T20): k_c = rho J0^2 / (8 sqrt(2 pi) a) and the free bump
U0 = [1 + sqrt(1 - k/k_c)] J0 / (4 sqrt(pi) a k) with profile U0 exp(-(x - z)^2 / (4 a^2))
(Wu, Hamaguchi & Amari 2008). The bump's linear spectrum: lambda_n = -(1 - 2^(1-n)) / tau for its
distortion modes n = 1, 2, 3, ... (Fung, Wong & Wu 2010), the translation mode n = 1 at zero.
Adaptation: a travelling wave for m > tau / tau_v (Mi et al. 2014).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from helpers import simulate

from neurosweep.analysis.bump import bump, critical_k, fixed_point_manifold, free_bump_height
from neurosweep.experiments import ConfigError, parse_config
from neurosweep.models.network import (
    circular_convolution,
    dense_kernel,
    gaussian_spectrum,
    ring_positions,
)
from neurosweep.protocols import protocol_inputs

#: Named tolerances of this file.
TOLERANCE = {
    "printed_2_decimals": 0.005,  # T18, T20 are printed to 2 decimals
    "printed_3_digits": 0.5,  # T19 (130)
    "bump_height_relative": 1e-6,  # float64, 300 ms after the stimulus: converged to the fixed point
    "profile_relative": 2e-3,  # the Gaussian ansatz on a 512-neuron lattice (sum vs rho * integral)
    "translation": 1e-10,  # float64: a circulant system is exactly shift-equivariant
    "fft_vs_dense": 1e-12,
    "zero_eigenvalue_per_ms": 1e-6,  # the neutral direction; the next eigenvalue is -0.5
    "spectrum_per_ms": 1e-4,
}

N = 512
SPACING = 2 * np.pi / N


def test_critical_k_and_free_bump_height_are_the_printed_values():
    assert critical_k(1.0, 0.5, N) == pytest.approx(8.13, abs=TOLERANCE["printed_2_decimals"])  # T18
    assert critical_k(4.0, 0.5, N) == pytest.approx(130, abs=TOLERANCE["printed_3_digits"])  # T19
    assert free_bump_height(0.1, 1.0, 0.5, N) == pytest.approx(5.62, abs=TOLERANCE["printed_2_decimals"])  # T20
    assert np.isnan(free_bump_height(9.0, 1.0, 0.5, N))


def test_fft_convolution_equals_the_dense_product_on_a_ring_and_a_torus():
    rng = np.random.default_rng(0)
    r = rng.random(64)
    fft = circular_convolution(gaussian_spectrum(jnp.float64(2.0), jnp.float64(0.5), (64,)), jnp.asarray(r))
    np.testing.assert_allclose(np.asarray(fft), dense_kernel(2.0, 0.5, 64) @ r, atol=TOLERANCE["fft_vs_dense"])
    # Torus: the distance is the Euclidean norm of the two ring distances.
    side = 12
    field = rng.random((side, side))
    x = np.asarray(ring_positions(side))
    d1 = np.abs(np.mod(x[:, None] - x[None, :] + np.pi, 2 * np.pi) - np.pi)
    d2 = d1[:, None, :, None] ** 2 + d1[None, :, None, :] ** 2  # (yi, xi, yj, xj)
    dense = 1.5 * np.exp(-0.5 * d2 / 0.3**2) / (np.sqrt(2 * np.pi) * 0.3)
    expected = np.einsum("abcd,cd->ab", dense, field)
    fft2 = circular_convolution(gaussian_spectrum(jnp.float64(1.5), jnp.float64(0.3), (side, side)), jnp.asarray(field))
    np.testing.assert_allclose(np.asarray(fft2), expected, atol=TOLERANCE["fft_vs_dense"])


def _persistent(k: float, J0: float = 1.0, t_stop_ms: float = 300.0) -> dict:
    return {
        "model": "cann1d",
        "t_stop_ms": t_stop_ms,
        "precision": "float64",
        "params": {"k": k, "J0": J0},
        "protocol": {"kind": "moving_stimulus", "amplitude": 10.0, "t_start_ms": 2, "duration_ms": 10},
        "record": {"variables": ["u"], "every_ms": 10},
        "analyses": [],
    }


def test_the_free_bump_has_the_closed_form_height_and_gaussian_profile():
    run = simulate(_persistent(0.1))
    u = run["u"].isel(point=0, time=-1).values
    U0 = free_bump_height(0.1, 1.0, 0.5, N)
    assert u.max() == pytest.approx(U0, rel=TOLERANCE["bump_height_relative"])
    x = run["x"].values
    profile = U0 * np.exp(-(x**2) / (4 * 0.5**2))
    assert np.max(np.abs(u - profile)) < TOLERANCE["profile_relative"] * U0


def test_above_the_critical_k_no_bump_survives():
    run = simulate(_persistent(1.1 * critical_k(1.0, 0.5, N)))
    assert float(run["u"].isel(point=0, time=-1).max()) < 1e-6


def test_bumps_started_anywhere_on_the_ring_have_the_same_shape():
    shifts = np.array([0, 37, 200, 511])  # 511: centred one neuron left of +pi, across the wrap
    config = {
        "model": "cann1d",
        "t_stop_ms": 50,
        "precision": "float64",
        "params": {"k": 0.5, "J0": 2.0, "bump0_height": 3.0},
        "protocol": {"kind": "none"},
        "sweep": {"grid": {"bump0_position_rad": list(-np.pi + shifts * SPACING)}},
        "record": {"variables": ["u"], "every_ms": 50},
        "analyses": [],
    }
    run = simulate(config)
    u = run["u"].isel(time=-1).values
    centred = np.stack([np.roll(row, -shift) for row, shift in zip(u, shifts)])
    np.testing.assert_allclose(centred, np.broadcast_to(centred[0], centred.shape), atol=TOLERANCE["translation"] * u.max())
    position = bump(run)["bump_position_rad"].isel(time=-1).values
    expected = np.mod(-np.pi + shifts * SPACING + np.pi, 2 * np.pi) - np.pi
    np.testing.assert_allclose(np.angle(np.exp(1j * (position - expected))), 0.0, atol=1e-9)


@pytest.fixture(scope="module")
def adaptive_runs():
    """The adaptive CANN (tau_v = 10, so tau/tau_v = 0.1) on both sides of m = 0.1, two seeds."""
    config = {
        "model": "cann1d_sfa",
        "t_stop_ms": 400,
        "params": {"k": 0.1, "J0": 4.0, "noise_sd": 0.1, "bump0_height": 10.0},
        "protocol": {"kind": "none"},
        "sweep": {"grid": {"m": [0.03, 0.07, 0.15, 0.3, 0.6]}},
        "seeds": [0, 1],
        "record": {"variables": ["u"], "every_ms": 2},
        "analyses": [],
    }
    run = simulate(config)
    return run, bump(run)


def test_adaptation_above_tau_over_tau_v_makes_the_bump_travel_and_below_keeps_it_still(adaptive_runs):
    run, reduced = adaptive_runs
    m = run["m"].values
    state = reduced["bump_state"].values
    assert np.all(state[m < 0.1] == 1), "static bump below m = tau/tau_v"
    assert np.all(state[m > 0.1] == 2), "travelling wave above m = tau/tau_v"


def test_the_travelling_speed_grows_with_adaptation(adaptive_runs):
    run, reduced = adaptive_runs
    speed = reduced["bump_speed_rad_per_ms"].values
    m, seed = run["m"].values, run["seed"].values
    for s in np.unique(seed):
        travelling = (seed == s) & (m > 0.1)
        order = np.argsort(m[travelling])
        assert np.all(np.diff(speed[travelling][order]) > 0)


def test_every_fixed_point_on_the_ring_has_one_zero_eigenvalue_and_the_published_spectrum():
    config = {
        "kind": "slow_points",
        "model": "cann1d",
        "t_stop_ms": 100,
        "precision": "float64",
        "params": {"k": 0.1, "a": 0.5, "J0": 4.0, "bump0_height": 30.0},
        "sweep": {"grid": {"bump0_position_rad": list(-np.pi + 2 * np.pi * np.arange(8) / 8)}},
    }
    found = simulate(config)
    assert bool(found["converged"].all())
    real = found["eigenvalue_real"].values
    assert np.all(np.abs(real[:, 0]) < TOLERANCE["zero_eigenvalue_per_ms"])
    assert np.all(real[:, 1:] < -0.4)
    # Distortion modes n = 2, 3, 4: -(1 - 2^(1-n)) / tau = -1/2, -3/4, -7/8.
    np.testing.assert_allclose(real[:, 1:4], np.broadcast_to([-0.5, -0.75, -0.875], (8, 3)), atol=TOLERANCE["spectrum_per_ms"])
    manifold = fixed_point_manifold(found)
    assert np.all(manifold["n_zero_eigenvalues"].values == 1)
    # The fixed points lie on a circle in the plane of the first two principal components.
    radius = np.hypot(manifold["pc1"].values, manifold["pc2"].values)
    np.testing.assert_allclose(radius, radius.mean(), rtol=0.02)


def test_a_smoothly_tracking_bump_lags_the_moving_stimulus_and_catches_up_when_it_stops():
    config = {
        "model": "cann1d",
        "t_stop_ms": 40,
        "params": {"k": 8.1, "J0": 4.0},
        "protocol": {"kind": "moving_stimulus", "amplitude": 10, "duration_ms": 40, "move_delay_ms": 10, "move_duration_ms": 10, "speed_rad_per_ms": 0.4712389},
        "record": {"variables": ["u", "stimulus_position_rad", "stimulus_amplitude"], "every_ms": 1},
        "analyses": [],
    }
    reduced = bump(simulate(config))
    offset = reduced["bump_minus_stimulus_rad"].isel(point=0)
    assert float(offset.sel(time=15.0)) < -0.1  # behind the stimulus while it moves
    assert abs(float(offset.sel(time=30.0))) < 0.01  # on it once it stops


def test_the_moving_stimulus_waits_moves_for_its_duration_and_is_held():
    names = {"stimulus_position_rad": "rad", "stimulus_amplitude": "1"}
    fields = {"amplitude": jnp.float64(2.0), "position_rad": jnp.float64(0.0), "speed_rad_per_ms": jnp.float64(0.1), "t_start_ms": jnp.float64(0.0),
              "duration_ms": jnp.float64(50.0), "move_delay_ms": jnp.float64(10.0), "move_duration_ms": jnp.float64(20.0)}  # fmt: skip

    def at(t_ms: float) -> float:
        step = jnp.int32(round(t_ms / 0.1))
        return float(protocol_inputs("moving_stimulus", fields, step, 0.1, names, jnp.float64, None, ())[0]["stimulus_position_rad"])

    assert at(5.0) == 0.0
    assert at(20.0) == pytest.approx(1.0, abs=1e-12)
    assert at(40.0) == pytest.approx(2.0, abs=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"params": {"n_neurons": 1}}, r"experiments\.c\.params\.n_neurons.*whole >= 2"),
        ({"params": {"k": -0.5}}, r"experiments\.c\.params\.k.*>= 0"),
        ({"protocol": {"kind": "moving_stimulus", "amplitude": 10, "duration_ms": 10, "position_rad": "left"}}, r"experiments\.c\.protocol\.position_rad.*number"),
    ],
)
def test_bad_cann_input_is_a_config_error_naming_the_key(change, message):
    experiment = {"model": "cann1d", "t_stop_ms": 10, "protocol": {"kind": "none"}, **change}
    with pytest.raises(ConfigError, match=message):
        parse_config({"experiments": {"c": experiment}})


def test_wrapped_angles_lie_in_one_turn_and_point_the_same_way():
    from neurosweep.analysis.bump import wrap

    angle = np.random.default_rng(0).uniform(-50.0, 50.0, 100_000)
    wrapped = wrap(angle)
    assert np.all((wrapped >= -np.pi) & (wrapped <= np.pi))
    np.testing.assert_allclose(np.exp(1j * wrapped), np.exp(1j * angle), atol=1e-13)
    np.testing.assert_allclose(wrap(np.array([0.0, 1.0, -1.0, 3.0])), [0.0, 1.0, -1.0, 3.0], atol=1e-15)
