"""The reduced Wong-Wang (2006) rate model: printed fixed points (T16, T17), course trials, noise."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import simulate

# Named tolerances.
PRINTED_DIGITS = 1e-4  # T16/T17 are printed to 5 decimals
DECISION_HZ = 20.0  # the decision threshold of the course's readout


def _fixed_points(mu_A: float, mu_B: float):
    grid = {"start": 0.0, "stop": 1.0, "num": 21}
    run = simulate({"model": "wong_wang", "kind": "fixed_points", "guesses": {"S1": grid, "S2": grid},
                    "inputs": {"stimulus_A_hz": mu_A, "stimulus_B_hz": mu_B}})  # fmt: skip
    n = int(run["n_fixed_points"].item())
    points = np.stack([run["S1"].values[0, :n], run["S2"].values[0, :n]], axis=1)
    return points, run["stability"].values[0, :n]


def _match(points: np.ndarray, stability: np.ndarray, expected: list[tuple[float, float, str]]) -> None:
    assert len(points) == len(expected), points
    for s1, s2, kind in expected:
        distance = np.max(np.abs(points - [s1, s2]), axis=1)
        k = int(np.argmin(distance))
        assert distance[k] < PRINTED_DIGITS, (s1, s2, points)
        # Codes: 1 stable node, 5 saddle (neurosweep.dynamics.STABILITY_LABELS).
        assert stability[k] == {"stable node": 1, "saddle": 5}[kind], (s1, s2, stability[k])


def test_T16_five_fixed_points_without_stimulus():
    points, stability = _fixed_points(0.0, 0.0)
    _match(points, stability, [(0.56699, 0.03189, "stable node"), (0.10265, 0.10265, "stable node"),
                               (0.03189, 0.56699, "stable node"), (0.31384, 0.05579, "saddle"), (0.05579, 0.31384, "saddle")])  # fmt: skip


def test_T17_three_fixed_points_at_mu0_30_and_zero_coherence():
    points, stability = _fixed_points(30.0, 30.0)
    _match(points, stability, [(0.65869, 0.05181, "stable node"), (0.05181, 0.65869, "stable node"), (0.42446, 0.42446, "saddle")])


def _trials(coherences: list[float], noise: float, seeds=(0,), chunk: int = 0, **changes) -> object:
    """One chunk of trials (dims point, time): the coherences crossed with the seeds."""
    return simulate({"model": "wong_wang", "dt_ms": 0.1, "t_stop_ms": 2600.0, "params": {"noise": bool(noise)}, "seeds": list(seeds),
                     "protocol": {"kind": "decision_stimulus", "mu0_hz": 20.0, "sd_hz": 0.0, "duration_ms": 2000.0},
                     "sweep": {"grid": {"coherence": coherences}}, "record": {"variables": ["r1", "r2"], "every_ms": 1.0}, **changes}, chunk=chunk)  # fmt: skip


def simulate_chunk(coherences: list[float], chunk: int) -> object:
    return _trials(coherences, noise=0.0, chunk=chunk, chunk_size=1)


def test_course_trials_are_deterministic_and_won_by_the_stronger_evidence():
    """c = 25.6: population 1 crosses 20 Hz after onset and stays elevated through the delay; c = -1: population 2 wins."""
    run = _trials([25.6, -1.0], noise=0.0)
    r1, r2 = run["r1"].values, run["r2"].values
    delay = run["time"].values > 2100.0
    assert r1[0, delay].min() > DECISION_HZ > r2[0, delay].max()
    assert r2[1, delay].min() > DECISION_HZ > r1[1, delay].max()
    crossing = run["time"].values[np.argmax(r1[0] > DECISION_HZ)]
    assert 100.0 + 200.0 < crossing < 2100.0  # well after onset, during the stimulus
    for chunk in range(2):  # the same trials one per chunk: identical
        again = simulate_chunk([25.6, -1.0], chunk)
        np.testing.assert_array_equal(again["r1"].values[0], r1[chunk])


def test_noisy_trials_differ_between_seeds_and_a_seed_reproduces():
    run = _trials([0.0], noise=1.0, seeds=(1, 2))
    assert np.abs(run["r1"].values[0] - run["r1"].values[1]).max() > 1.0
    again = _trials([0.0], noise=1.0, seeds=(2,))
    np.testing.assert_allclose(again["r1"].values[0], run["r1"].values[1], rtol=1e-5)


def test_a_stimulus_of_sd_zero_draws_nothing_and_gives_the_same_trials(monkeypatch):
    """sd_hz = 0 at every point skips the stimulus draw (a zero times the draw): the same noisy
    trials, bit for bit, as with the draw made and multiplied by zero; an sd of 0 at only some
    points keeps the draw."""
    from neurosweep import runner
    from neurosweep.experiments import parse_experiment

    config = {"model": "wong_wang", "dt_ms": 0.1, "t_stop_ms": 600.0, "seeds": [3, 4],
              "protocol": {"kind": "decision_stimulus", "mu0_hz": 30.0, "sd_hz": 0.0, "t_start_ms": 100.0, "duration_ms": 400.0},
              "sweep": {"grid": {"coherence": [0.0, 12.8, 100.0]}}, "record": {"variables": ["r1", "stimulus_A_hz"]}}  # fmt: skip
    assert runner.Plan.of(parse_experiment("x", config)).silent_noise == ("sd_hz",)
    mixed = {**config, "protocol": {k: v for k, v in config["protocol"].items() if k != "sd_hz"},
             "sweep": {"grid": {"coherence": [0.0], "sd_hz": [0.0, 5.0]}}}  # fmt: skip
    assert runner.Plan.of(parse_experiment("x", mixed)).silent_noise == ()
    skipped = simulate(config)
    monkeypatch.setattr(runner, "_silent_noise", lambda experiment: ())
    drawn = simulate(config)
    for name in ("r1", "input_stimulus_A_hz"):
        np.testing.assert_array_equal(skipped[name].values, drawn[name].values)
    assert skipped["r1"].std("point").max() > 0.1  # the model's own noise still differs between seeds


COHERENCES = [0.0, 3.2, 6.4, 12.8, 25.6, 51.2, 100.0]


@pytest.fixture(scope="module")
def behaviour():
    """200 noisy trials per coherence (one vmapped chunk), decisions at 20 Hz, and their psychometrics."""
    from neurosweep.analysis import get_analysis
    from neurosweep.experiments import parse_experiment
    from neurosweep.runner import run_chunk
    from neurosweep.store import provenance

    experiment = parse_experiment("behaviour", {
        "model": "wong_wang", "dt_ms": 0.1, "t_stop_ms": 2600.0, "seeds": {"start": 0, "stop": 200, "step": 1},
        "protocol": {"kind": "decision_stimulus", "mu0_hz": 20.0, "sd_hz": 0.0, "duration_ms": 2000.0},
        "sweep": {"grid": {"coherence": COHERENCES}}, "record": {"first_crossing": {"r1": f"{DECISION_HZ:g} Hz", "r2": f"{DECISION_HZ:g} Hz"}},
        "chunk_size": 1400,
    })  # fmt: skip
    run = run_chunk(experiment, 0)
    run.attrs.update(provenance(experiment))
    grid = run.set_index(point=["coherence", "seed"]).unstack("point")
    return get_analysis("decision")(grid), get_analysis("psychometric")(grid)


def test_accuracy_rises_with_coherence_from_chance(behaviour):
    from scipy.stats import binomtest

    trials, summary = behaviour
    accuracy = summary["accuracy"].values[1:]  # c > 0
    assert np.all(np.diff(accuracy) >= -0.02), accuracy  # monotone within a trial's worth of noise at the top
    assert accuracy[0] < accuracy[1] < accuracy[2] < accuracy[-1]  # 3.2 < 6.4 < 12.8 < 100 %
    assert accuracy[-1] > 0.95
    chose_1 = trials["choice"].sel(coherence=0.0).values
    decided = chose_1 > 0
    # At c = 0 each population wins half the decided trials: a two-sided binomial test.
    assert binomtest(int((chose_1[decided] == 1).sum()), int(decided.sum()), 0.5).pvalue > 0.01
    # The fitted threshold lies inside the swept range and its interval brackets it.
    low, high = summary["weibull_threshold_pct_ci"].values
    assert 0.5 < low < float(summary["weibull_threshold_pct"]) < high < 51.2


def test_deterministic_decision_time_falls_with_coherence_and_c0_makes_no_decision():
    from neurosweep.analysis import get_analysis

    run = _trials(COHERENCES, noise=0.0, record={"first_crossing": {"r1": f"{DECISION_HZ:g} Hz", "r2": f"{DECISION_HZ:g} Hz"}})
    run.attrs["experiment_config"] = '{"protocol": {"t_start_ms": 100.0}, "record": {"first_crossing": {"r1": "20 Hz", "r2": "20 Hz"}}}'
    decided = get_analysis("decision")(run.swap_dims(point="coherence"))
    times = decided["decision_time_ms"].values
    assert np.isnan(times[0]) and int(decided["choice"].values[0]) == 0
    assert np.all(np.diff(times[1:]) < 0), times


@pytest.mark.parametrize(
    ("params", "message"),
    [({"noise": 0}, r"experiments\.x\.params\.noise: an on/off switch: allowed true or false, got 0"),
     ({"sigma_noise": -0.02}, r"experiments\.x\.params\.sigma_noise: -0\.02 is outside the domain of wong_wang\.sigma_noise: must be >= 0")],
)
def test_bad_rate_model_input_is_rejected_with_its_key(params, message):
    from neurosweep.experiments import ConfigError, parse_experiment

    with pytest.raises(ConfigError, match=message):
        parse_experiment("x", {"model": "wong_wang", "t_stop_ms": 10.0, "params": params, "protocol": {"kind": "decision_stimulus", "coherence": 0}})


def test_continuation_finds_the_saddle_node_of_its_normal_form():
    """dx/dt = p - x^2: equilibria +/- sqrt(p), one fold at p = 0 (stable above, unstable below)."""
    import jax.numpy as jnp

    from neurosweep.dynamics.continuation import continue_branch, folds

    branch = continue_branch(lambda x, p: p - x**2, jnp.array([1.0]), 1.0, 0.05, 60, direction=-1.0)
    assert np.max(np.abs(np.asarray(branch["x"])[:, 0] ** 2 - np.asarray(branch["p"]))) < 1e-12
    located = folds(branch["p"], branch["tangent_p"], branch["bordered_det"])
    assert located.shape == (1,) and abs(located[0]) < 1e-3  # linear interpolation over ds = 0.05
    assert int(branch["stability"][0]) == 1 and int(branch["stability"][-1]) == 3


def test_continuation_locates_the_decision_folds_inside_the_grid_intervals():
    """Through both folds of each decision state over mu0 (c = 0) and the losing state's fold over
    c (mu0 = 30): inside the intervals the dense grid brackets (dm_rate_bifurcation), and the
    symmetric state's branch points (where it changes stability) are not reported as folds."""
    def continuation(name, base, direction, starts, n_steps):
        return simulate({"model": "wong_wang", "kind": "continuation", "inputs": base, "continuation": {
            "name": name, "units": "1", "direction": direction, "starts": starts, "step": 0.005, "scale": 100, "n_steps": n_steps}})

    over_mu0 = continuation("mu0", {"stimulus_A_hz": 0, "stimulus_B_hz": 0}, {"stimulus_A_hz": 1, "stimulus_B_hz": 1},
                            [{"S1": 0.05, "S2": 0.05, "value": -30}, {"S1": 0.66, "S2": 0.05, "value": 30}], 1000)  # fmt: skip
    located = over_mu0["fold_mu0"].values
    assert located.shape == (2,) and -7.8 < located[0] < -7.6 and 65.6 < located[1] < 65.8, located
    assert over_mu0["residual"].max() < 1e-9
    over_c = continuation("c", {"stimulus_A_hz": 30, "stimulus_B_hz": 30}, {"stimulus_A_hz": 0.3, "stimulus_B_hz": -0.3},
                          [{"S1": 0.05, "S2": 0.66, "value": 0}], 600)  # fmt: skip
    positive = over_c["fold_c"].values[over_c["fold_c"].values > 0]
    assert positive.shape == (1,) and 68.0 < positive[0] < 68.5, positive
