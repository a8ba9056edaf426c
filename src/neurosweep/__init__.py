"""neurosweep: classic computational-neuroscience models in JAX, swept, stored and plotted."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("neurosweep")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "load"]


def load(experiment: str, results_dir: str = "results", analysis: bool = False):
    """Open an experiment's collected results as a labelled :class:`xarray.Dataset`.

    Sweep parameters are coordinates (dimensions when the sweep is a grid); every variable
    carries ``units`` and ``long_name``; the provenance is in ``attrs``. With ``analysis=True``
    the spike statistics (rates, ISI) are merged in.
    """
    from neurosweep.store import open_experiment

    return open_experiment(experiment, results_dir, analysis=analysis)
