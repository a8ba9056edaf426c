"""neurosweep: classic computational-neuroscience models in JAX, swept, stored and plotted."""

from __future__ import annotations

__all__ = ["__version__", "load"]


def load(experiment: str, results_dir: str = "results", analysis: bool = False):
    """Open an experiment's collected results as a labelled :class:`xarray.Dataset`.

    Sweep parameters are coordinates (dimensions when the sweep is a grid); every variable
    carries ``units`` and ``long_name``; the provenance is in ``attrs``. With ``analysis=True``
    the spike statistics (rates, ISI) are merged in.
    """
    from neurosweep.store import open_experiment

    return open_experiment(experiment, results_dir, analysis=analysis)


def __getattr__(name: str):
    # The version is looked up when asked for: a job's command imports this package first and
    # should pay for nothing it does not use (importlib.metadata costs about 0.1 s).
    if name != "__version__":
        raise AttributeError(f"module 'neurosweep' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neurosweep")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+unknown"
