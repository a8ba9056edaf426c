"""Network statistics from spike events (Dataset -> Dataset).

Input: a network dataset with ``spike_time_ms``/``spike_neuron`` events (dim ``spike``), the
``population`` of each neuron, and optionally per-neuron input statistics (``I_exc_mean`` ...).
Output, per sweep point and population: firing rate, CV of the inter-spike intervals, Fano
factor of spike counts, the excitatory/inhibitory input balance, and the population rate at the
time step's resolution (smooth it with :func:`smoothed_rate`, BrainPy's ``firing_rate``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neurosweep.analysis import FANO_WINDOW_MS, TRANSIENT_MS

__all__ = ["network_statistics", "smoothed_rate", "FANO_WINDOW_MS"]


def _sweep_dims(dataset: xr.Dataset) -> list[str]:
    core = {"spike", "neuron", "time", "recorded_neuron", "time_step", "population_name"}
    return [d for d in dataset["spike_time_ms"].dims if d not in core]


def _per_neuron(times: np.ndarray, neurons: np.ndarray, n: int, t_start: float, t_stop: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, CV of ISIs (NaN with < 2 ISIs) and Fano factor (NaN if silent) per neuron."""
    keep = (times > t_start) & (times <= t_stop) & (neurons >= 0)
    times, neurons = times[keep], neurons[keep]
    order = np.lexsort((times, neurons))
    times, neurons = times[order], neurons[order]
    counts = np.bincount(neurons, minlength=n)
    isi = np.diff(times)
    same = neurons[1:] == neurons[:-1]
    isi, owner = isi[same], neurons[1:][same]
    n_isi = np.bincount(owner, minlength=n)
    total = np.bincount(owner, weights=isi, minlength=n)
    squares = np.bincount(owner, weights=isi**2, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n_isi
        sd = np.sqrt(np.maximum(squares / n_isi - mean**2, 0.0))
        cv = np.where(n_isi >= 2, sd / mean, np.nan)
    n_windows = max(int((t_stop - t_start) // FANO_WINDOW_MS), 1)
    window = np.minimum(((times - t_start) // FANO_WINDOW_MS).astype(int), n_windows - 1)
    table = np.zeros((n, n_windows))
    np.add.at(table, (neurons, window), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fano = np.where(table.mean(1) > 0, table.var(1) / table.mean(1), np.nan) if n_windows > 1 else np.full(n, np.nan)
    return counts, cv, fano


def network_statistics(dataset: xr.Dataset, transient_ms: float | None = None) -> xr.Dataset:
    """Per population: ``rate_hz``, ``cv_isi``, ``fano_factor``, ``input_{exc,inh,net}_{mean,sd}`` and
    ``balance_index``; ``population_rate_hz`` per step.

    Rates, CV and Fano factor use the window (transient_ms, t_stop_ms]; the transient defaults to
    min(100 ms, a fifth of the run). The input statistics are over the whole run. From a dataset
    of spike statistics counted in the loop (``record: {spikes: statistics}``, the same window)
    the same numbers come without the events, and without ``population_rate_hz``, which needs them.
    """
    t_stop = float(dataset.attrs["t_stop_ms"])
    dt = float(dataset.attrs["dt_ms"])
    t_start = min(TRANSIENT_MS, t_stop / 5) if transient_ms is None else transient_ms
    if "spike_time_ms" not in dataset and "spike_count" in dataset:
        return _from_loop_statistics(dataset, t_start, t_stop)
    names = str(dataset["population"].attrs["flag_meanings"]).split()
    population = dataset["population"].values
    n = population.size
    sweep = _sweep_dims(dataset)
    flat = dataset.stack(flat_point=sweep) if sweep else dataset.expand_dims("flat_point")
    n_points, n_steps = flat.sizes["flat_point"], round(t_stop / dt)
    shape = (n_points, len(names))
    rate, cv, fano = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    trace = np.zeros((n_points, len(names), n_steps), np.float32)
    sizes = np.bincount(population, minlength=len(names))
    for k in range(n_points):
        times = flat["spike_time_ms"].isel(flat_point=k).values
        neurons = flat["spike_neuron"].isel(flat_point=k).values.astype(np.int64)
        valid = np.isfinite(times) & (neurons >= 0)
        counts, cv_neuron, fano_neuron = _per_neuron(times[valid], neurons[valid], n, t_start, t_stop)
        steps = np.clip(np.round(times[valid] / dt).astype(np.int64) - 1, 0, n_steps - 1)
        for j in range(len(names)):
            members = population == j
            rate[k, j] = counts[members].sum() / sizes[j] / ((t_stop - t_start) / 1000.0)
            cv[k, j] = np.nanmean(cv_neuron[members]) if np.isfinite(cv_neuron[members]).any() else np.nan
            fano[k, j] = np.nanmean(fano_neuron[members]) if np.isfinite(fano_neuron[members]).any() else np.nan
            in_population = population[neurons[valid]] == j
            trace[k, j] = np.bincount(steps[in_population], minlength=n_steps) / sizes[j] / (dt / 1000.0)
    dims = ("flat_point", "population_name")
    out = xr.Dataset(
        {
            "rate_hz": (dims, rate, {"units": "Hz", "long_name": f"mean firing rate after {t_start:g} ms"}),
            "cv_isi": (dims, cv, {"units": "1", "long_name": "mean over neurons (>= 2 ISIs) of the ISI coefficient of variation sd/mean"}),
            "fano_factor": (dims, fano, {"units": "1", "long_name": f"mean over neurons of the Fano factor of spike counts in {FANO_WINDOW_MS:g}-ms windows"}),
            "population_rate_hz": ((*dims, "time_step"), trace, {"units": "Hz", "long_name": "population rate per time step (unsmoothed)"}),
        },
        coords={"population_name": ("population_name", names), "time_step": ("time_step", ((np.arange(n_steps) + 1) * dt).round(9), {"units": "ms", "long_name": "time"})},
    )
    out["analysis_start_ms"] = ((), t_start, {"units": "ms", "long_name": "start of the window of rate_hz, cv_isi and fano_factor"})
    if "I_exc_mean" in dataset:
        # Named input_* (per population), apart from the per-neuron I_*_mean/sd of the dataset.
        for name, short, long in (("I_exc", "exc", "excitatory input"), ("I_inh", "inh", "inhibitory input"), ("I_net", "net", "net synaptic input")):
            for stat, what in (("mean", "time mean"), ("sd", "sd over time")):
                values = flat[f"{name}_{stat}"].transpose("flat_point", "neuron").values
                per_population = np.stack([values[:, population == j].mean(axis=1) for j in range(len(names))], axis=1)
                out[f"input_{short}_{stat}"] = (dims, per_population, {"units": "mV", "long_name": f"population mean of each neuron's {what} of the {long}"})
        with np.errstate(invalid="ignore", divide="ignore"):
            out["balance_index"] = out["input_net_mean"] / out["input_exc_mean"]
        out["balance_index"].attrs = {"units": "1", "long_name": "net / excitatory mean input (0: exact balance, 1: no inhibition)"}
    if sweep:
        out = out.assign_coords(xr.Coordinates.from_pandas_multiindex(flat.indexes["flat_point"], "flat_point")).unstack("flat_point")
        for d in sweep:
            out[d].attrs = dataset[d].attrs
        return out.transpose(*sweep, ...)
    return out.isel(flat_point=0, drop=True)


def smoothed_rate(rate: xr.DataArray, width_ms: float, dt_ms: float) -> xr.DataArray:
    """BrainPy ``firing_rate``: a centred box of ``2 floor(width / 2 dt) + 1`` steps (mode 'same'), along ``time_step``."""
    half = int(width_ms / 2 / dt_ms)
    box = np.ones(2 * half + 1) / (2 * half + 1)
    return xr.apply_ufunc(lambda x: np.apply_along_axis(np.convolve, -1, x, box, mode="same"), rate,
                          input_core_dims=[["time_step"]], output_core_dims=[["time_step"]])  # fmt: skip


def _from_loop_statistics(dataset: xr.Dataset, t_start: float, t_stop: float) -> xr.Dataset:
    """:func:`network_statistics` from the per-neuron statistics counted in the loop."""
    counted = dataset["spike_count"]
    window = (float(counted.attrs["t_start_ms"]), float(counted.attrs["t_stop_ms"]))
    if not np.allclose(window, (t_start, t_stop)):
        raise ValueError(f"network_statistics: the spikes were counted in the loop over ({window[0]}, {window[1]}] ms, not the "
                         f"({t_start}, {t_stop}] ms asked for; change record or transient_ms together")  # fmt: skip
    names = str(dataset["population"].attrs["flag_meanings"]).split()
    population = xr.DataArray(dataset["population"].values, dims="neuron")
    window_s = (t_stop - t_start) / 1000.0
    # As from events: a neuron's CV needs two ISIs (three spikes); its Fano factor a spike.
    cv_neuron = dataset["cv_isi"].where(counted >= 3)
    fano_neuron = dataset["fano_factor"] if "fano_factor" in dataset else xr.full_like(cv_neuron, np.nan)

    def per_population(values: xr.DataArray, reduce: str) -> xr.DataArray:
        parts = [getattr(values.where(population == j), reduce)("neuron") for j in range(len(names))]
        return xr.concat(parts, dim=xr.DataArray(names, dims="population_name", name="population_name"))

    sizes = xr.DataArray(np.bincount(population.values, minlength=len(names)), dims="population_name")
    out = xr.Dataset(
        {
            "rate_hz": (per_population(counted.astype(float), "sum") / sizes / window_s).assign_attrs(units="Hz", long_name=f"mean firing rate after {t_start:g} ms"),
            "cv_isi": per_population(cv_neuron, "mean").assign_attrs(units="1", long_name="mean over neurons (>= 2 ISIs) of the ISI coefficient of variation sd/mean"),
            "fano_factor": per_population(fano_neuron, "mean").assign_attrs(units="1", long_name=f"mean over neurons of the Fano factor of spike counts in {FANO_WINDOW_MS:g}-ms windows"),
        }
    )
    out["analysis_start_ms"] = ((), t_start, {"units": "ms", "long_name": "start of the window of rate_hz, cv_isi and fano_factor"})
    if "I_exc_mean" in dataset:
        for name, short, long in (("I_exc", "exc", "excitatory input"), ("I_inh", "inh", "inhibitory input"), ("I_net", "net", "net synaptic input")):
            for stat, what in (("mean", "time mean"), ("sd", "sd over time")):
                out[f"input_{short}_{stat}"] = per_population(dataset[f"{name}_{stat}"], "mean").assign_attrs(
                    units="mV", long_name=f"population mean of each neuron's {what} of the {long}"
                )
        with np.errstate(invalid="ignore", divide="ignore"):
            out["balance_index"] = out["input_net_mean"] / out["input_exc_mean"]
        out["balance_index"].attrs = {"units": "1", "long_name": "net / excitatory mean input (0: exact balance, 1: no inhibition)"}
    sweep = [d for d in counted.dims if d != "neuron"]
    return out.transpose(*sweep, ...)
