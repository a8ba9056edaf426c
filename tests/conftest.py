"""Shared fixtures and the named tolerances every model test uses."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

from neurosweep.runtime import configure_jax  # noqa: E402

# The one place a test session changes process settings (x64), as a job does.
configure_jax()

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

#: Named tolerances (course_figures.md section 6 and closed forms).
TOLERANCE = {
    "hh_rest_V_mV": 1e-3,  # T1
    "hh_rest_gate": 1e-4,  # T1
    "lif_isi_ms": None,  # one dt: filled per test from the experiment's dt
    "spike_count": 1,  # counts in a fixed window are quantised: within one spike
    "exp_euler_closed_form_vs_autodiff": 1e-12,  # float64, same step two ways
    "rk4_order": 0.4,  # measured convergence order within 4 +/- this
}


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
