"""The Wang (2002) decision network and its stimulus, judged over seeds."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import simulate

from neurosweep.analysis import network_statistics
from neurosweep.models import get_model
from neurosweep.models.wang2002 import w_minus
from neurosweep.protocols import protocol_inputs, protocol_start

# Named tolerances and windows (ms) of a course trial: stimulus 100-1100 ms, delay 1100-1600 ms.
SPONTANEOUS_MAX_HZ = 5.0  # before the stimulus every excitatory group fires at a few Hz at most
SPONTANEOUS_SPREAD_HZ = 2.0  # ... and A, B, N alike
DELAY_WINNER_MIN_HZ = 15.0  # persistent activity of the winner through the delay
DELAY_LOSER_MAX_HZ = 5.0  # the loser stays suppressed
SEEDS = [0, 1, 2, 3, 4, 5]


def test_w_minus_is_the_course_value():
    """T21: w- = 1 - f (w+ - 1)/(1 - f) = 0.8765 for f = 0.15, w+ = 1.7."""
    assert float(w_minus(get_model("wang2002").defaults())) == pytest.approx(0.8765, abs=5e-5)


def _window(rates, start_ms: float, stop_ms: float):
    return rates.sel(time_step=slice(start_ms, stop_ms)).mean("time_step")


@pytest.fixture(scope="module")
def trials():
    """Six trials at c = 25.6 % (one vmapped chunk) and their population rates."""
    run = simulate({"model": "wang2002", "dt_ms": 0.1, "t_stop_ms": 1600.0, "seeds": SEEDS,
                    "protocol": {"kind": "decision_stimulus", "coherence": 25.6}})  # fmt: skip
    run.attrs.update(t_stop_ms=1600.0, dt_ms=0.1)
    return network_statistics(run)["population_rate_hz"]


def test_at_coherence_25_6_a_wins_most_trials_and_holds_through_the_delay(trials):
    delay = _window(trials, 1150.0, 1600.0)
    a, b = delay.sel(population_name="A").values, delay.sel(population_name="B").values
    a_wins = a > b
    # Wang (2002) reports ~90 % correct at 25.6 %: at least 5 of 6 (one-sided binomial p = 0.11 at chance).
    assert a_wins.sum() >= 5, (a, b)
    winner, loser = np.where(a_wins, a, b), np.where(a_wins, b, a)
    assert np.all(winner > DELAY_WINNER_MIN_HZ) and np.all(loser < DELAY_LOSER_MAX_HZ), (winner, loser)


def test_spontaneous_rates_before_the_stimulus_are_low_and_alike(trials):
    before = _window(trials, 20.0, 100.0)
    excitatory = before.sel(population_name=["A", "B", "N"]).values
    assert np.all(excitatory < SPONTANEOUS_MAX_HZ), excitatory
    assert np.all(excitatory.max(axis=1) - excitatory.min(axis=1) < SPONTANEOUS_SPREAD_HZ), excitatory


def test_decision_stimulus_redraws_rates_every_50_ms_around_the_coherence_means():
    fields = {"coherence": jnp.float64(25.6), "mu0_hz": jnp.float64(40.0), "sd_hz": jnp.float64(10.0),
              "resample_ms": jnp.float64(50.0), "t_start_ms": jnp.float64(100.0), "duration_ms": jnp.float64(100_000.0)}  # fmt: skip
    steps = jnp.arange(1000, 1_001_000, 500)  # 2000 windows of 50 ms (dt 0.1), one sample each
    key = jax.random.PRNGKey(3)
    rates = jax.vmap(lambda i: protocol_inputs("decision_stimulus", fields, i, 0.1, {"stimulus_A_hz": "Hz", "stimulus_B_hz": "Hz"},
                                               jnp.float64, key, protocol_start("decision_stimulus", fields))[0])(steps)  # fmt: skip
    for name, mean in (("stimulus_A_hz", 40.0 * 1.256), ("stimulus_B_hz", 40.0 * 0.744)):
        values = np.asarray(rates[name])
        assert abs(values.mean() - mean) < 4 * 10.0 / np.sqrt(values.size)
        assert values.std() == pytest.approx(10.0, rel=0.1)
    # Within a window the rate holds; the next window is a new draw.
    first = protocol_start("decision_stimulus", fields)
    inside = protocol_inputs("decision_stimulus", fields, jnp.int32(1499), 0.1, {"stimulus_A_hz": "Hz"}, jnp.float64, key, first)[0]
    start = protocol_inputs("decision_stimulus", fields, jnp.int32(1000), 0.1, {"stimulus_A_hz": "Hz"}, jnp.float64, key, first)[0]
    after = protocol_inputs("decision_stimulus", fields, jnp.int32(1500), 0.1, {"stimulus_A_hz": "Hz"}, jnp.float64, key, first)[0]
    assert float(inside["stimulus_A_hz"]) == float(start["stimulus_A_hz"]) != float(after["stimulus_A_hz"])

    # Step by step, the carry keeps each window's draw: the same rates as drawn afresh at every step.
    def one(carry, i):
        inputs, carry = protocol_inputs("decision_stimulus", fields, i, 0.1, {"stimulus_A_hz": "Hz"}, jnp.float64, key, carry)
        return carry, inputs["stimulus_A_hz"]

    steps = jnp.arange(900, 3100, dtype=jnp.int32)  # before the stimulus, then four windows
    _, carried = jax.lax.scan(one, first, steps)
    _, fresh = jax.lax.scan(lambda carry, i: (carry, one(first, i)[1]), first, steps)  # scanned too: the same float32 kernels
    np.testing.assert_array_equal(np.asarray(carried), np.asarray(fresh))
    assert len(np.unique(np.asarray(carried)[np.asarray(steps) >= 1000])) == 5  # windows 0-4 (3000-3099 is window 4)


def test_ou_noise_has_its_stationary_sd_and_a_seed_reproduces_it():
    config = {"model": "lif", "dt_ms": 0.1, "t_stop_ms": 20_000.0, "seeds": [1, 2], "precision": "float64",
              "protocol": {"kind": "ou_noise", "sigma": 2.0, "tau_ms": 5.0}, "record": {"variables": ["I"], "every_ms": 1.0}}  # fmt: skip
    run = simulate(config)
    noise = run["input_I"].values
    # 20 s / 5 ms = 4000 correlation times: the sample sd within 5 % of sigma.
    assert noise.std(axis=1) == pytest.approx([2.0, 2.0], rel=0.05)
    assert not np.array_equal(noise[0], noise[1])
    np.testing.assert_array_equal(simulate({**config, "seeds": [2]})["input_I"].values[0], noise[1])


def test_moving_stimulus_travels_at_its_speed_and_wraps_on_the_ring():
    fields = {"amplitude": jnp.float64(2.0), "position_rad": jnp.float64(3.0), "speed_rad_per_ms": jnp.float64(0.01),
              "t_start_ms": jnp.float64(10.0), "duration_ms": jnp.float64(100.0), "move_delay_ms": jnp.float64(0.0),
              "move_duration_ms": jnp.float64(1e9)}  # fmt: skip
    names = {"stimulus_position_rad": "rad", "stimulus_amplitude": "1"}

    def at(step: int) -> dict:
        return protocol_inputs("moving_stimulus", fields, jnp.int32(step), 0.1, names, jnp.float64, jax.random.PRNGKey(0), ())[0]

    assert float(at(99)["stimulus_amplitude"]) == 0.0 and float(at(100)["stimulus_amplitude"]) == 2.0
    assert float(at(1099)["stimulus_amplitude"]) == 2.0 and float(at(1100)["stimulus_amplitude"]) == 0.0
    # 50 ms after onset: 3.0 + 0.5 rad = 3.5 rad, wrapped to 3.5 - 2 pi.
    assert float(at(600)["stimulus_position_rad"]) == pytest.approx(3.5 - 2 * np.pi, abs=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"protocol": {"kind": "decision_stimulus", "coherence": 120}}, r"experiments\.x\.protocol\.coherence: 120 is outside the domain of protocol decision_stimulus\.coherence: must be \[-100, 100\]"),
        ({"sweep": {"grid": {"coherence": [0, 101]}}}, r"experiments\.x\.sweep\.coherence: 101 is outside the domain"),
        ({"protocol": {"kind": "decision_stimulus", "coherence": 0, "sd_hz": -1}}, r"experiments\.x\.protocol\.sd_hz: -1 is outside the domain .* must be >= 0"),
        ({"model": "wong_wang", "params": {"sigma_noise": -0.01}}, r"experiments\.x\.params\.sigma_noise: -0\.01 is outside the domain of wong_wang\.sigma_noise: must be >= 0"),
        ({"record": {"first_crossing": {"rate_A_hz": 20}}}, r"experiments\.x\.record\.first_crossing\.rate_A_hz: give the threshold with its unit, rate_A_hz's: e\.g\. '20 Hz'; got 20"),
        ({"record": {"first_crossing": {"rate_A_hz": "20 mV"}}}, r"experiments\.x\.record\.first_crossing\.rate_A_hz: give the threshold with its unit"),
        ({"record": {"first_crossing": {"V": "20 mV"}}}, r"experiments\.x\.record\.first_crossing\.V: a scalar variable of wang2002 is needed"),
        ({"protocol": {"kind": "constant", "I": 1}}, r"experiments\.x\.protocol\.kind: wang2002 takes inputs \['stimulus_A_hz', 'stimulus_B_hz'\]; 'constant' gives \['I'\]"),
    ],
)
def test_bad_decision_input_is_rejected_with_its_key(change, message):
    from neurosweep.experiments import ConfigError, parse_experiment

    base = {"model": "wang2002", "t_stop_ms": 10.0, "protocol": {"kind": "decision_stimulus"}}
    with pytest.raises(ConfigError, match=message):
        parse_experiment("x", {**base, **change})


def test_at_coherence_51_2_a_wins_clearly_more_than_half_of_a_dozen_seeds():
    """Decisions from the smoothed rates of A and B reaching 20 Hz (tracked in the loop)."""
    from neurosweep.analysis import get_analysis
    from neurosweep.experiments import parse_experiment
    from neurosweep.runner import run_chunk
    from neurosweep.store import provenance

    experiment = parse_experiment("dozen", {"model": "wang2002", "dt_ms": 0.1, "t_stop_ms": 1600.0, "seeds": {"start": 0, "stop": 12, "step": 1},
                                            "protocol": {"kind": "decision_stimulus", "coherence": 51.2},
                                            "record": {"first_crossing": {"rate_A_hz": "20 Hz", "rate_B_hz": "20 Hz"}}})  # fmt: skip
    run = run_chunk(experiment, 0)
    run.attrs.update(provenance(experiment))
    choice = get_analysis("decision")(run)["choice"].values
    # 10 or more of 12 by chance has probability 0.019.
    assert (choice == 1).sum() >= 10, choice
