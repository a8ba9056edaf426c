"""Simplified neurons and the fixed-point toolkit against course_figures.md T8-T15."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from neurosweep.dynamics import STABILITY_LABELS, find_fixed_point
from neurosweep.dynamics.fixed_points import solve_small
from neurosweep.models import get_model



def _fixed_point(model_name: str, start: dict, I: float, **params):
    model = get_model(model_name)
    values = {**dataclasses.asdict(model.Params()), **params}
    p = model.Params(**{k: jnp.asarray(v, jnp.float64) for k, v in values.items()})
    found = find_fixed_point(model.derivatives, model.init_state(p, start, None, None), p, {"I": jnp.asarray(I)}, variables=model.continuous_names)
    state = {name: float(getattr(found["state"], name)) for name in model.continuous_names}
    return state, STABILITY_LABELS[int(found["stability"])], bool(found["converged"])


def test_qif_fixed_points_at_I3():
    """T9: -61.160 (stable) and -53.840 (unstable); roots of 0.07 (V+65)(V+50) + 3 = 0."""
    low, low_type, ok_low = _fixed_point("qif", {"V": -63.0}, 3.0)
    high, high_type, ok_high = _fixed_point("qif", {"V": -52.0}, 3.0)
    assert ok_low and ok_high
    assert low["V"] == pytest.approx(-61.160, abs=1e-3) and low_type == "stable node"
    assert high["V"] == pytest.approx(-53.840, abs=1e-3) and high_type == "unstable node"


def test_qif_has_no_fixed_point_above_rheobase():
    """T8: rheobase a0 (V_c - V_rest)^2 / 4R = 3.9375: at I = 4 Newton finds nothing."""
    assert 0.07 * 15.0**2 / 4.0 == pytest.approx(3.9375)
    _, label, converged = _fixed_point("qif", {"V": -57.5}, 4.0)
    assert not converged and label == "not converged"


def test_izhikevich_fixed_points_at_I37():
    """T12: exact roots of 0.04 V^2 + 4.8 V + 143.7 = 0 with u = b V."""
    roots = np.sort(np.roots([0.04, 4.8, 143.7]))
    low, low_type, _ = _fixed_point("izhikevich", {"V": -63.0}, 3.7)
    high, high_type, _ = _fixed_point("izhikevich", {"V": -57.0}, 3.7)
    assert low["V"] == pytest.approx(roots[0], abs=1e-6) and low["u"] == pytest.approx(0.2 * roots[0], abs=1e-6)
    assert high["V"] == pytest.approx(roots[1], abs=1e-6)
    assert low["V"] == pytest.approx(-62.739, abs=0.03) and high["V"] == pytest.approx(-57.280, abs=0.03)
    assert low_type.startswith("stable") and high_type == "saddle"


def test_adex_focus_and_saddle_at_I55():
    """T13, T14: stable focus (-50.7489, 19.2489) and saddle (-47.949, 22.050)."""
    params = {"a": 1.0, "b": 10.0, "tau": 10.0, "tau_w": 100.0, "V_reset": -60.0, "R": 0.5, "delta_T": 2.0, "V_rest": -70.0, "V_T": -50.0, "V_th": -30.0}
    focus, focus_type, _ = _fixed_point("adex", {"V": -51.0, "w": 19.0}, 55.0, **params)
    saddle, saddle_type, _ = _fixed_point("adex", {"V": -48.0, "w": 22.0}, 55.0, **params)
    assert focus["V"] == pytest.approx(-50.7489, abs=5e-3) and focus["w"] == pytest.approx(19.2489, abs=5e-3)
    assert focus_type == "stable focus"
    assert saddle["V"] == pytest.approx(-47.949, abs=5e-3) and saddle["w"] == pytest.approx(22.050, abs=5e-3)
    assert saddle_type == "saddle"


def test_fhn_unstable_node_at_I08():
    """T15: the unique fixed point (-0.27292, 0.53385), an unstable node."""
    state, label, converged = _fixed_point("fhn", {"V": 0.0, "w": 0.0}, 0.8)
    assert converged
    assert state["V"] == pytest.approx(-0.27292, abs=1e-4) and state["w"] == pytest.approx(0.53385, abs=1e-4)
    assert label == "unstable node"


def _branch(model: str, I: dict, guesses: dict, **extra) -> xr.Dataset:
    from helpers import simulate

    config = {"kind": "fixed_points", "model": model, "sweep": {"grid": {"I": I}}, "guesses": guesses, "chunk_size": 1024, **extra}
    data = simulate(config)
    return data.swap_dims(point="I")


def test_izhikevich_saddle_node_is_located_at_I4():
    """T11: fixed points exist below I = 4 and annihilate there (V = -60), within the grid."""
    from neurosweep.dynamics.bifurcation import saddle_nodes

    data = _branch("izhikevich", {"start": 3.0, "stop": 5.0, "num": 41}, {"V": [-70, -60, -50], "u": [-14, -12, -10]})
    found = saddle_nodes(data, "I")
    assert found.sizes["bifurcation"] == 1
    assert abs(float(found["location"][0]) - 4.0) <= float(found["resolution"][0])
    assert data["n_fixed_points"].sel(I=3.7).item() == 2 and data["n_fixed_points"].sel(I=4.5).item() == 0


def test_qif_and_expif_rheobases_are_the_saddle_nodes():
    """T8, T10: the closed-form rheobases 3.9375 (QIF) and V_T - V_rest - delta_T = 4 (ExpIF)."""
    from neurosweep.dynamics.bifurcation import saddle_nodes

    qif = _branch("qif", {"start": 3.0, "stop": 5.0, "num": 81}, {"V": [-70, -60, -55, -50, -40]})
    found = saddle_nodes(qif, "I")
    assert abs(float(found["location"][0]) - 3.9375) <= float(found["resolution"][0])
    expif = {"V_rest": -65.0, "V_T": -60.0, "delta_T": 1.0, "a": 0.0, "b": 0.0}
    exp = _branch("adex", {"start": 3.0, "stop": 5.0, "num": 81}, {"V": [-66, -62, -60, -58, -55], "w": [0.0]}, params=expif)
    found = saddle_nodes(exp, "I")
    assert abs(float(found["location"][0]) - 4.0) <= float(found["resolution"][0])


def test_fhn_hopf_point_matches_the_trace_condition():
    """Hopf where trace J = 1 - V^2 - b/tau = 0: V = -sqrt(0.936), I = (V + a)/b - V + V^3/3."""
    from neurosweep.dynamics.bifurcation import hopf_points

    V = -np.sqrt(1 - 0.8 / 12.5)
    expected = (V + 0.7) / 0.8 - V + V**3 / 3
    data = _branch("fhn", {"start": 0.0, "stop": 1.0, "num": 101}, {"V": [-2, 0, 2], "w": [-1, 1]})
    assert np.all(data["n_fixed_points"].values == 1)  # a single branch
    found = hopf_points(data, "I")
    assert found.sizes["bifurcation"] == 1
    assert float(found["location"][0]) == pytest.approx(expected, abs=1e-3)


def test_a_model_with_no_fixed_point_reports_none():
    data = _branch("qif", [10.0], {"V": [-80, -60, -40]})
    assert int(data["n_fixed_points"].item()) == 0
    assert np.isnan(data["V"].values).all()


def test_vector_field_zero_contours_cross_at_the_fixed_point():
    """The FHN nullclines (zero sets of dV/dt, dw/dt) meet at T15's fixed point (-0.27292, 0.53385)."""
    from helpers import simulate

    plane = simulate({"kind": "vector_field", "model": "fhn", "inputs": {"I": 0.8},
                      "plane": {"V": {"start": -0.4, "stop": -0.1, "num": 301}, "w": {"start": 0.4, "stop": 0.7, "num": 301}}})  # fmt: skip
    # Both rates change sign over the grid cell (0.001 wide) that holds the fixed point.
    cell = plane.sel(V=slice(-0.274, -0.272), w=slice(0.533, 0.535))
    for rate in ("dV_dt", "dw_dt"):
        assert float(cell[rate].min()) < 0 < float(cell[rate].max())


def test_phase_plane_needs_a_grid_point_per_variable():
    from neurosweep.experiments import ConfigError, parse_experiment

    with pytest.raises(ConfigError, match=r"experiments\.x\.plane\.V: the sweep is empty"):
        parse_experiment("x", {"kind": "vector_field", "model": "fhn", "plane": {"V": {"start": 1, "stop": 0, "step": 0.1}, "w": [0.0]}})
    with pytest.raises(ConfigError, match=r"experiments\.x\.plane: give a grid for each of \['V', 'w'\]; got \['V', 'u'\]"):
        parse_experiment("x", {"kind": "vector_field", "model": "fhn", "plane": {"V": [0.0], "u": [0.0]}})


# AdEx transient set (course advanced homework / textbook AdEx_bifurcation_analysis).
TRANSIENT = {"V_rest": -70.0, "V_reset": -60.0, "V_th": -30.0, "V_T": -50.0, "delta_T": 2.0, "a": 1.0, "b": 10.0, "R": 0.5, "tau": 10.0, "tau_w": 100.0}


def test_adex_saddle_node_and_hopf_match_their_closed_forms():
    """On w = a (V - V_rest) the fixed points solve -(1 + R a)(V - V_rest) + dT e^x + R I = 0, x = (V - V_T)/dT.

    Saddle-node (double root): e^x = 1 + R a. Hopf (trace J = 0, det J > 0): e^x = 1 + tau / tau_w.
    """
    from neurosweep.dynamics.bifurcation import hopf_points, saddle_nodes

    p = TRANSIENT
    gain = 1 + p["R"] * p["a"]

    def current_at(exp_x: float) -> float:
        V = p["V_T"] + p["delta_T"] * np.log(exp_x)
        return (gain * (V - p["V_rest"]) - p["delta_T"] * exp_x) / p["R"]

    saddle_node, hopf = current_at(gain), current_at(1 + p["tau"] / p["tau_w"])
    assert saddle_node == pytest.approx(56.43, abs=0.01) and hopf == pytest.approx(56.17, abs=0.01)
    data = _branch("adex", {"start": 55.0, "stop": 57.0, "num": 201}, {"V": [-55, -50, -48, -45], "w": [15, 20, 25]}, params=TRANSIENT)
    found = saddle_nodes(data, "I")
    assert found.sizes["bifurcation"] == 1
    assert abs(float(found["location"][0]) - saddle_node) <= float(found["resolution"][0])
    located = hopf_points(data, "I")["location"].values
    assert located.size == 1 and located[0] == pytest.approx(hopf, abs=0.01)
    # Below the Hopf point the non-saddle fixed point is a stable focus, between Hopf and fold unstable.
    labels = lambda I: sorted(STABILITY_LABELS[c] for c in data["stability"].sel(I=I).values if c)  # noqa: E731
    assert labels(56.0) == ["saddle", "stable focus"]
    assert labels(56.3) == ["saddle", "unstable focus"]
    assert labels(56.6) == []


def test_adex_tonic_set_saddle_node_is_the_closed_form_rheobase():
    """a = 0: fixed points need I <= (V_T - V_rest - delta_T) / R = 1.62 (BrainPy defaults)."""
    from neurosweep.dynamics.bifurcation import saddle_nodes

    data = _branch("adex", {"start": 0.0, "stop": 3.0, "num": 61}, {"V": [-80, -65, -60, -55], "w": [0.0]}, params={"a": 0.0, "tau": 20.0})
    found = saddle_nodes(data, "I")
    assert abs(float(found["location"][0]) - (-59.9 + 65.0 - 3.48)) <= float(found["resolution"][0])


def test_fixed_points_do_not_depend_on_the_guess_grid():
    coarse = _branch("adex", [55.0], {"V": [-60, -40], "w": [0.0]}, params=TRANSIENT)
    fine = _branch("adex", [55.0], {"V": {"start": -75, "stop": -40, "num": 15}, "w": [0, 20, 40]}, params=TRANSIENT)
    assert int(coarse["n_fixed_points"].item()) == int(fine["n_fixed_points"].item()) == 2
    for name in ("V", "w"):
        np.testing.assert_allclose(coarse[name].values, fine[name].values, atol=1e-9)


def test_expif_rheobase_is_a_non_hyperbolic_point_at_V_T():
    """T10: ExpIF rheobase V_T - V_rest - delta_T = 4, reached at V = V_T = -60 (a double root)."""
    from neurosweep.dynamics.bifurcation import saddle_nodes

    data = _branch("expif", {"start": 3.0, "stop": 5.0, "num": 81}, {"V": [-66, -62, -60, -58, -55]})
    found = saddle_nodes(data, "I")
    assert abs(float(found["location"][0]) - 4.0) <= float(found["resolution"][0])
    at_rheobase = data.sel(I=4.0)
    assert int(at_rheobase["n_fixed_points"]) == 1
    assert float(at_rheobase["V"][0]) == pytest.approx(-60.0, abs=1e-3)
    assert STABILITY_LABELS[int(at_rheobase["stability"][0])] == "non-hyperbolic"


def test_swept_vector_field_is_the_model_equation():
    """QIF: dV/dt = (a0 (V - V_rest)(V - V_c) + R I) / tau on every point of a swept phase line."""
    from helpers import simulate

    line = simulate({"kind": "vector_field", "model": "qif", "sweep": {"grid": {"I": [0.0, 3.0, 10.0]}}, "plane": {"V": {"start": -80, "stop": -30, "num": 51}}})
    V, I = line["V"].values, line["I"].values[:, None]
    np.testing.assert_allclose(line["dV_dt"].values, (0.07 * (V + 65) * (V + 50) + I) / 10.0, rtol=1e-12)


def test_exponential_overflow_is_a_spike_not_a_divergence():
    """ExpIF with delta_T = 0.02: e^((V - V_T)/delta_T) overflows mid-upstroke; the step goes to +inf and resets."""
    from helpers import simulate

    for precision in ("float32", "float64"):
        run = simulate({"model": "expif", "dt_ms": 0.001, "t_stop_ms": 30, "precision": precision, "init": {"V": -68},
                        "protocol": {"kind": "constant", "I": 8}, "params": {"delta_T": 0.02}})  # fmt: skip
        assert not bool(run["diverged"].item())
        assert int(run["n_spikes"].item()) == 2


def test_initial_values_can_be_swept():
    """Sweep axis V_init: each run starts where asked (first step of a resting LIF relaxes exactly)."""
    from helpers import simulate

    run = simulate({"model": "lif", "dt_ms": 0.1, "t_stop_ms": 1, "protocol": {"kind": "constant", "I": 0.0},
                    "sweep": {"zip": {"V_init": [-5.0, 10.0]}}, "record": {"variables": ["V"]}})  # fmt: skip
    np.testing.assert_allclose(run["V"].isel(time=0).values, np.array([-5.0, 10.0]) * np.exp(-0.1 / 10.0), rtol=1e-6)
    assert run["V_init"].attrs["units"] == "mV"


def test_parameter_outside_its_domain_is_rejected():
    from neurosweep.experiments import ConfigError, parse_experiment

    base = {"model": "adex", "t_stop_ms": 10, "protocol": {"kind": "constant", "I": 1.0}}
    with pytest.raises(ConfigError, match=r"experiments\.x\.params\.tau_w: -5 is outside the domain of adex\.tau_w: must be > 0"):
        parse_experiment("x", {**base, "params": {"tau_w": -5}})
    with pytest.raises(ConfigError, match=r"experiments\.x\.sweep\.delta_T: 0 is outside the domain of adex\.delta_T: must be > 0"):
        parse_experiment("x", {**base, "sweep": {"grid": {"delta_T": [2, 0]}}})


@pytest.mark.parametrize("n", [2, 3])
def test_the_small_system_solve_is_lapacks(n):
    """Newton's linear step (Cramer's rule for 2 x 2) equals numpy's LAPACK solve to rounding."""
    rng = np.random.default_rng(n)
    for _ in range(200):
        matrix, rhs = rng.normal(size=(n, n)) + n * np.eye(n), rng.normal(size=n)
        np.testing.assert_allclose(np.asarray(solve_small(jnp.asarray(matrix), jnp.asarray(rhs))), np.linalg.solve(matrix, rhs), rtol=1e-12, atol=1e-12)
