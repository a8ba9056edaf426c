"""Small helpers for tests: build and run an experiment from a dict."""

from __future__ import annotations

from typing import Any

import xarray as xr

from neurosweep.experiments import parse_experiment
from neurosweep.runner import run_chunk


def simulate(config: dict[str, Any], name: str = "test", chunk: int = 0) -> xr.Dataset:
    """Run one chunk of an experiment given as a config dict."""
    return run_chunk(parse_experiment(name, config), chunk)
