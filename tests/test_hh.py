"""Hodgkin-Huxley: numbers from outside the code (course targets, closed forms, scipy)."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import TOLERANCE
from helpers import simulate
from scipy.integrate import solve_ivp

from neurosweep.dynamics import find_fixed_point
from neurosweep.integrators import exp_euler, rk4
from neurosweep.models import hh


# course_figures.md T1: the resting state with gL = 0.03, EL = -54.387.
REST = {"V": -70.676, "m": 0.02658, "h": 0.77206, "n": 0.23536}


def _params(dtype=jnp.float64, **overrides) -> hh.Params:
    values = {**dataclasses.asdict(hh.Params()), **overrides}
    return hh.Params(**{k: jnp.asarray(v, dtype) for k, v in values.items()})


def test_resting_state_is_the_course_value():
    params = _params()
    found = find_fixed_point(hh.derivatives, hh.init_state(params, {"V": -65.0}, None, None), params, {"I": 0.0})
    assert bool(found["converged"])
    assert float(found["state"].V) == pytest.approx(REST["V"], abs=TOLERANCE["hh_rest_V_mV"])
    for gate in "mhn":
        assert float(getattr(found["state"], gate)) == pytest.approx(REST[gate], abs=TOLERANCE["hh_rest_gate"])
    assert int(found["stability"]) in (1, 2)  # a stable node or focus


def test_simulation_relaxes_to_rest():
    data = simulate({"model": "hh", "dt_ms": 0.1, "t_stop_ms": 300, "precision": "float64", "init": {"V": -60.0},
                     "protocol": {"kind": "constant", "I": 0.0}, "record": {"variables": ["V", "m", "h", "n"], "every_ms": 300}})  # fmt: skip
    last = data.isel(time=-1, point=0)
    assert float(last["V"]) == pytest.approx(REST["V"], abs=TOLERANCE["hh_rest_V_mV"])
    for gate in "mhn":
        assert float(last[gate]) == pytest.approx(REST[gate], abs=TOLERANCE["hh_rest_gate"])


def test_rate_functions_at_their_removable_singularities():
    # L'Hopital: 0.1 u / (1 - exp(-u/10)) -> 1 as u -> 0; alpha_n has the extra factor 0.1.
    rates = hh.gate_rates(jnp.asarray([-40.0, -55.0]))
    assert float(rates["m"][0][0]) == pytest.approx(1.0, abs=1e-12)
    assert float(rates["n"][0][1]) == pytest.approx(0.1, abs=1e-12)
    # and continuity across them
    near = hh.gate_rates(jnp.asarray([-40.0 - 1e-3, -40.0 + 1e-3]))
    assert np.allclose(near["m"][0], 1.0, atol=1e-4)


def test_closed_form_exponential_euler_equals_autodiff_linearisation():
    params = _params()
    state = hh.State(V=jnp.asarray(-50.0), m=jnp.asarray(0.2), h=jnp.asarray(0.5), n=jnp.asarray(0.4))
    field = lambda s: hh.derivatives(s, params, {"I": 10.0})  # noqa: E731
    autodiff = exp_euler(field, state, 0.1)
    closed = exp_euler(field, state, 0.1, lambda s: hh.relaxation(s, params, {"I": 10.0}))
    for name in ("V", "m", "h", "n"):
        assert float(getattr(closed, name)) == pytest.approx(float(getattr(autodiff, name)), abs=TOLERANCE["exp_euler_closed_form_vs_autodiff"])


def _rk4_error(dt: float, t_stop: float, reference: np.ndarray, params, I: float) -> float:
    state = hh.init_state(params, {"V": -70.67647}, None, None)
    field = lambda s: hh.derivatives(s, params, {"I": I})  # noqa: E731
    n = round(t_stop / dt)
    final = jax.jit(lambda s: jax.lax.fori_loop(0, n, lambda i, x: rk4(field, x, dt), s))(state)
    values = np.array([float(getattr(final, k)) for k in ("V", "m", "h", "n")])
    return float(np.max(np.abs(values - reference) / np.array([100.0, 1.0, 1.0, 1.0])))


def _reference(params, I: float, t_stop: float) -> np.ndarray:
    state = hh.init_state(params, {"V": -70.67647}, None, None)
    y0 = np.array([float(getattr(state, k)) for k in ("V", "m", "h", "n")])
    field = jax.jit(lambda y: jnp.stack(jax.tree_util.tree_leaves(hh.derivatives(hh.State(*y), params, {"I": I}))))
    solution = solve_ivp(lambda t, y: np.asarray(field(jnp.asarray(y))), (0.0, t_stop), y0, method="DOP853", rtol=1e-13, atol=1e-13)
    return solution.y[:, -1]


def test_rk4_converges_at_fourth_order_to_a_tight_reference():
    """Through a full action potential (I = 10 for 15 ms), RK4's error falls as dt^4."""
    params = _params()
    reference = _reference(params, 10.0, 15.0)
    steps = [0.04, 0.02, 0.01]
    errors = [_rk4_error(dt, 15.0, reference, params, 10.0) for dt in steps]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(orders - 4.0) < TOLERANCE["rk4_order"]), (errors, orders)


@pytest.mark.slow
def test_rk4_error_falls_until_round_off():
    params = _params()
    reference = _reference(params, 10.0, 15.0)
    errors = [_rk4_error(dt, 15.0, reference, params, 10.0) for dt in (0.02, 0.01, 0.005, 0.0025, 0.00125)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders[:3] > 3.6), (errors, orders)
    assert errors[-1] < 1e-10


def test_voltage_clamp_gates_reach_their_steady_state():
    """Clamped long enough, g_K -> gK n_inf(V)^4 and g_Na -> gNa m_inf^3 h_inf (closed form)."""
    data = simulate({"model": "hh", "dt_ms": 0.1, "t_stop_ms": 101, "precision": "float64",
                     "protocol": {"kind": "clamp", "V_hold_mV": -70.67647, "V_step_mV": 50, "t_hold_ms": 1, "t_step_ms": 100},
                     "record": {"variables": ["g_Na", "g_K", "V"], "every_ms": 0.1}})  # fmt: skip
    V = -70.67647 + 50
    x_inf = {k: float(v) for k, v in hh.steady_state(jnp.asarray(V)).items()}
    end = data.isel(point=0).sel(time=100.9, method="nearest")
    assert float(end["V"]) == pytest.approx(V, abs=1e-9)
    assert float(end["g_K"]) == pytest.approx(36.0 * x_inf["n"] ** 4, rel=1e-6)
    assert float(end["g_Na"]) == pytest.approx(120.0 * x_inf["m"] ** 3 * x_inf["h"], rel=1e-4)
    # and g_Na is transient: its peak is far above its steady state
    assert float(data["g_Na"].max()) > 10 * 120.0 * x_inf["m"] ** 3 * x_inf["h"]


def test_pulse_is_all_or_none():
    data = simulate({"model": "hh", "dt_ms": 0.1, "t_stop_ms": 37, "protocol": {"kind": "pulse", "t_start_ms": 10, "duration_ms": 2},
                     "sweep": {"grid": {"I": [1, 15]}}, "record": {"variables": ["V"]}})  # fmt: skip
    assert data["n_spikes"].values.tolist() == [0, 1]
    assert float(data["V"].isel(point=1).max()) > 30.0  # overshoot
    assert float(data["V"].isel(point=0).max()) < -60.0  # graded, subthreshold
