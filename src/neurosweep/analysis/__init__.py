"""Analyses: Dataset -> Dataset reductions, chainable with ``.pipe``; no simulation here.

:data:`ANALYSES` is the registry an experiment's config chooses from (``analyses: [...]``; a
model names its default). Each entry takes the collected dataset and returns a Dataset on the
same sweep coordinates. The modules load lazily: validating a config imports no xarray.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["ANALYSES", "EVENT_ANALYSES", "FANO_WINDOW_MS", "TRANSIENT_MS", "STREAMING_ANALYSES", "get_analysis", "instantaneous_rate", "network_statistics", "smoothed_rate", "spike_statistics"]

#: Registered analyses: name -> "module:function" (what each computes is in its docstring).
ANALYSES: dict[str, str] = {
    "spike_statistics": "neurosweep.analysis.spikes:spike_statistics",
    "instantaneous_rate": "neurosweep.analysis.spikes:instantaneous_rate",
    "network_statistics": "neurosweep.analysis.network:network_statistics",
    "decision": "neurosweep.analysis.decision:decision",
    "psychometric": "neurosweep.analysis.decision:psychometric",
    "bump": "neurosweep.analysis.bump:bump",
    "bump_2d": "neurosweep.analysis.bump:bump_2d",
    "fixed_point_manifold": "neurosweep.analysis.bump:fixed_point_manifold",
}

#: The analyses that read spike events (``spike_time_ms``), which an experiment storing only
#: their on-device statistics (``record: {spikes: statistics}``) does not have.
EVENT_ANALYSES = ("instantaneous_rate",)

#: Spike counts for a Fano factor are taken in windows of this length (in the loop too).
FANO_WINDOW_MS = 100.0
#: Network statistics skip the start of the run (the initial volley from random V0): this long,
#: or a fifth of a shorter run.
TRANSIENT_MS = 100.0

#: The analyses that reduce a dask-backed dataset chunk by chunk (what a large sweep runs); the
#: others read their dataset into memory first (their data are a figure's few hundred runs).
STREAMING_ANALYSES = ("spike_statistics",)

_EXPORTS = {
    "spike_statistics": "neurosweep.analysis.spikes",
    "instantaneous_rate": "neurosweep.analysis.spikes",
    "network_statistics": "neurosweep.analysis.network",
    "smoothed_rate": "neurosweep.analysis.network",
}


def get_analysis(name: str) -> Callable[..., Any]:
    """The registered analysis ``name``; a clear error lists the allowed names."""
    if name not in ANALYSES:
        raise ValueError(f"unknown analysis {name!r}; allowed: {sorted(ANALYSES)}")
    module, function = ANALYSES[name].split(":")
    return getattr(importlib.import_module(module), function)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
