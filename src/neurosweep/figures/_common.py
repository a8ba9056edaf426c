"""Helpers shared by the plot functions (selection, labels, masking diverged points)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.lines import Line2D


def label(array: xr.DataArray, name: str | None = None) -> str:
    """``long name (units)`` from a variable's attrs."""
    text = name or array.attrs.get("long_name", array.name)
    units = array.attrs.get("units")
    return f"{text} ({units})" if units and units != "1" else str(text)


#: Dims that belong to one run (never sweep axes).
CORE_DIMS = ("time", "spike", "interval", "eigen", "fixed_point", "point", "neuron", "recorded_neuron", "population_name", "time_step",
             "x", "y", "recorded_x", "step_time", "pc")


def points(dataset: xr.Dataset) -> xr.Dataset:
    """Flatten every sweep dim into ``point`` and drop diverged points (never plotted)."""
    dims = [d for d in dataset.dims if d not in CORE_DIMS]
    if dims:
        dataset = dataset.stack(point=dims)
    elif "point" not in dataset.dims:
        dataset = dataset.expand_dims("point")
    if "diverged" in dataset:
        dataset = dataset.where(~dataset["diverged"], drop=True) if bool(dataset["diverged"].any()) else dataset
    return dataset


def select(dataset: xr.Dataset, **where: float) -> xr.Dataset:
    """The one sweep point whose coordinates equal ``where`` (within 1e-9)."""
    flat = points(dataset)
    mask = np.ones(flat.sizes["point"], bool)
    for name, value in where.items():
        mask &= np.isclose(flat[name].values, value, atol=1e-9)
    if mask.sum() != 1:
        raise ValueError(f"{where} matches {int(mask.sum())} points; coordinates: { {k: flat[k].values.tolist() for k in where} }")
    return flat.isel(point=int(np.flatnonzero(mask)[0]))


def annotate_end(ax: Axes, x: np.ndarray, y: np.ndarray, text: str, color: str) -> None:
    ax.annotate(text, (x[-1], y[-1]), xytext=(4, 0), textcoords="offset points", color=color, fontsize=8, va="center")


def provenance_note(dataset: xr.Dataset) -> str:
    attrs = dataset.attrs
    return f"{attrs.get('model', '')} | {attrs.get('integrator', '')}, dt = {attrs.get('dt_ms', '')} ms | {attrs.get('precision', '')}"


def setting(dataset: xr.Dataset, name: str) -> float:
    """A run's value of ``name``: its sweep coordinate, else the experiment's fixed config, else
    the model's default (the store's ``model_params``)."""
    if name in dataset.coords:
        return float(dataset[name])
    config = json.loads(dataset.attrs["experiment_config"])
    for section in ("protocol", "params", "inputs"):
        if name in config.get(section, {}):
            return float(config[section][name])
    defaults = json.loads(dataset.attrs.get("model_params", "{}"))
    if name in defaults:
        return float(defaults[name])
    raise KeyError(f"{name!r} is neither swept nor set in experiment {dataset.attrs.get('experiment')!r}")


def initial_value(run: xr.Dataset, variable: str) -> float | None:
    """A run's initial ``variable`` (t = 0, never recorded: records start after the first step):
    its swept ``<variable>_init``, else the experiment's ``init`` number; None if drawn at random."""
    if f"{variable}_init" in run.coords:
        return float(run[f"{variable}_init"])
    value = json.loads(run.attrs.get("experiment_config", "{}")).get("init", {}).get(variable)
    return float(value) if isinstance(value, (int, float)) else None


def split_at_resets(run: xr.Dataset, variable: str) -> np.ndarray:
    """``run[variable]`` with NaN at the first sample after each reset, so that no line is drawn
    through a reset. A reset is a spike after which the variable falls; a smooth model whose
    spikes are threshold crossings (FitzHugh-Nagumo) keeps rising there and is never split."""
    values = run[variable].values.astype(float).copy()
    if "spike_time_ms" not in run:
        return values
    spikes = run["spike_time_ms"].values[np.isfinite(run["spike_time_ms"].values)]
    after = np.unique(np.searchsorted(run["time"].values, spikes))
    after = after[(after > 0) & (after < values.size)]
    values[after[values[after] < values[after - 1]]] = np.nan
    return values


#: Spikes of reset models are drawn at least this high (mV): the textbook's convention
#: ("V at spike steps set to 20") for models whose cut-off lies lower (AdEx, QIF).
SPIKE_PEAK_MIN_MV = 20.0


def spiking_trace(ax: Axes, row: xr.Dataset, variable: str = "V", **line: Any) -> Line2D:
    """The one way a reset model's membrane potential is drawn: the trace split at its resets,
    and each spike a vertical line from the trace up to its peak, the model's cut-off ``V_th``
    or :data:`SPIKE_PEAK_MIN_MV`, whichever is higher (Izhikevich: 30 mV; AdEx, QIF, ExpIF: 20)."""
    (drawn,) = ax.plot(row["time"], split_at_resets(row, variable), **line)
    times = row["spike_time_ms"].values
    times = times[np.isfinite(times)]
    if times.size:
        # From the last sample before the reset (the sample at the spike time already holds it).
        before = np.clip(np.searchsorted(row["time"].values, times) - 1, 0, row[variable].size - 1)
        base = row[variable].values[before]
        peak = max(setting(row, "V_th"), SPIKE_PEAK_MIN_MV)
        ax.vlines(times, base, peak, color=drawn.get_color(), lw=drawn.get_linewidth(), alpha=drawn.get_alpha())
    return drawn


def spike_raster(ax: Axes, run: xr.Dataset, population: int, name: str, color: str, size: float = 1.0) -> None:
    """Spikes of one population of a network run (neurons numbered from 0 within it)."""
    times, neurons = run["spike_time_ms"].values, run["spike_neuron"].values
    valid = np.isfinite(times) & (neurons >= 0)
    member = valid.copy()
    member[valid] = run["population"].values[neurons[valid]] == population
    offset = int(np.flatnonzero(run["population"].values == population)[0])
    ax.plot(times[member], neurons[member] - offset, ".", ms=size, color=color, rasterized=True)
    ax.set(ylabel=f"{name} neuron")


def population_rate(run: xr.Dataset, name: str, width_ms: float) -> xr.DataArray:
    """A population's rate (Hz) smoothed as BrainPy's ``firing_rate`` over ``width_ms``."""
    from neurosweep.analysis.network import smoothed_rate

    return smoothed_rate(run["population_rate_hz"].sel(population_name=name), width_ms, float(run.attrs["dt_ms"]))
