"""Simplified neurons and the fixed-point toolkit against course_figures.md T8-T15."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from neurosweep.dynamics import STABILITY_LABELS, find_fixed_point
from neurosweep.models import get_model

jax.config.update("jax_enable_x64", True)


def _fixed_point(model_name: str, start: dict, I: float, **params):
    model = get_model(model_name)
    values = {**dataclasses.asdict(model.Params()), **params}
    p = model.Params(**{k: jnp.asarray(v, jnp.float64) for k, v in values.items()})
    found = find_fixed_point(model.derivatives, model.init_state(p, start), p, {"I": jnp.asarray(I)}, variables=model.continuous_names)
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

    config = {"kind": "fixed_points", "model": model, "sweep": {"grid": {"I": I}}, "guesses": guesses, **extra}
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
