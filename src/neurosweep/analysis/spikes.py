"""Spike-train statistics from the compact spike storage (NaN-padded ``spike_time_ms``).

Every function takes a Dataset with ``spike_time_ms`` (dims ``..., spike``, ms) and ``n_spikes``
and returns a Dataset over the remaining dims, each variable with units and a long name.
:func:`spike_statistics` also takes the statistics a large sweep computes in the loop instead of
storing events (``spike_count``, ``first_spike_ms``, ``mean_isi_ms``, ``cv_isi`` per element).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["spike_statistics", "instantaneous_rate"]


def _in_window(times: xr.DataArray, t_start_ms: float, t_stop_ms: float) -> xr.DataArray:
    return times.where((times > t_start_ms) & (times <= t_stop_ms))


def spike_statistics(dataset: xr.Dataset, t_start_ms: float = 0.0, t_stop_ms: float | None = None) -> xr.Dataset:
    """Counts, rates and inter-spike-interval statistics in the window (t_start_ms, t_stop_ms].

    Returns
    -------
    Dataset with ``spike_count``, ``firing_rate_hz`` (count / window), ``mean_isi_ms``,
    ``isi_rate_hz`` (1000 / mean ISI, the rate of regular firing without the window's
    edge quantisation), ``cv_isi`` and ``first_spike_ms``; ``diverged`` points are NaN.
    Spike counts beyond the stored buffer are exact (``n_spikes``) only for the full run.
    """
    if t_stop_ms is None:
        t_stop_ms = float(dataset.attrs["t_stop_ms"])
    if "spike_time_ms" not in dataset and "spike_count" in dataset:
        return _from_loop_statistics(dataset, t_start_ms, t_stop_ms)
    times = _in_window(dataset["spike_time_ms"], t_start_ms, t_stop_ms)
    full_run = t_start_ms <= 0 and t_stop_ms >= float(dataset.attrs.get("t_stop_ms", np.inf))
    count = dataset["n_spikes"] if full_run else times.count("spike")
    window_s = (t_stop_ms - t_start_ms) / 1000.0
    # Sorting moves the NaNs of the window mask to the end, so diff gives consecutive ISIs.
    ordered = xr.apply_ufunc(np.sort, times, input_core_dims=[["spike"]], output_core_dims=[["spike"]], dask="parallelized",
                             output_dtypes=[times.dtype], dask_gufunc_kwargs={"allow_rechunk": True})  # fmt: skip
    isi = ordered.diff("spike")
    mean_isi = isi.mean("spike")
    diverged = dataset["diverged"] if "diverged" in dataset else False
    stats = xr.Dataset(
        {
            "spike_count": (count.astype(float)).where(~diverged).assign_attrs(units="1", long_name="spike count"),
            "firing_rate_hz": (count / window_s).where(~diverged).assign_attrs(units="Hz", long_name="firing rate"),
            "mean_isi_ms": mean_isi.where(~diverged).assign_attrs(units="ms", long_name="mean inter-spike interval"),
            "isi_rate_hz": (1000.0 / mean_isi).where(~diverged).assign_attrs(units="Hz", long_name="firing rate from the mean ISI"),
            "cv_isi": (isi.std("spike") / mean_isi).where(~diverged).assign_attrs(units="1", long_name="coefficient of variation of the ISI"),
            "first_spike_ms": times.min("spike").where(~diverged).assign_attrs(units="ms", long_name="first spike time"),
        }
    )
    stats.attrs = {"analysis": "spike_statistics", "t_start_ms": t_start_ms, "t_stop_ms": t_stop_ms}
    return stats


def _from_loop_statistics(dataset: xr.Dataset, t_start_ms: float, t_stop_ms: float) -> xr.Dataset:
    """The same statistics from the ones computed in the loop (``record: {spikes: statistics}``),
    per spiking element; the window is the loop's, which the options must name."""
    counted = dataset["spike_count"]
    window = (float(counted.attrs["t_start_ms"]), float(counted.attrs["t_stop_ms"]))
    if not np.allclose(window, (t_start_ms, t_stop_ms)):
        raise ValueError(f"spike_statistics: the spikes were counted in the loop over ({window[0]}, {window[1]}] ms, "
                         f"not the ({t_start_ms}, {t_stop_ms}] ms asked for; change record or the options together")  # fmt: skip
    window_s = (t_stop_ms - t_start_ms) / 1000.0
    diverged = dataset["diverged"] if "diverged" in dataset else False
    mean_isi = dataset["mean_isi_ms"]
    stats = xr.Dataset(
        {
            "spike_count": counted.astype(float).where(~diverged).assign_attrs(units="1", long_name="spike count"),
            "firing_rate_hz": (counted / window_s).where(~diverged).assign_attrs(units="Hz", long_name="firing rate"),
            "mean_isi_ms": mean_isi.where(~diverged).assign_attrs(units="ms", long_name="mean inter-spike interval"),
            "isi_rate_hz": (1000.0 / mean_isi).where(~diverged).assign_attrs(units="Hz", long_name="firing rate from the mean ISI"),
            "cv_isi": dataset["cv_isi"].where(~diverged).assign_attrs(units="1", long_name="coefficient of variation of the ISI"),
            "first_spike_ms": dataset["first_spike_ms"].where(~diverged).assign_attrs(units="ms", long_name="first spike time"),
        }
    )
    stats.attrs = {"analysis": "spike_statistics", "t_start_ms": t_start_ms, "t_stop_ms": t_stop_ms, "computed": "in the simulation loop"}
    return stats


def instantaneous_rate(dataset: xr.Dataset, input_name: str = "input_I") -> xr.Dataset:
    """Per-interval instantaneous rate (1000 / ISI, dim ``interval``) and the input at its end.

    For slow-ramp (hysteresis) protocols: the recorded input trace ``input_name`` is
    interpolated at each spike time; ``rising`` tells the ramp's direction at the spike.
    """
    times = dataset["spike_time_ms"]
    rate = (1000.0 / times.diff("spike")).rename(spike="interval")
    t_mid = times.isel(spike=slice(1, None)).rename(spike="interval")
    trace = dataset[input_name]
    t_axis = trace["time"].values

    def at_spikes(values: np.ndarray, spike_t: np.ndarray) -> np.ndarray:
        return np.interp(spike_t, t_axis, values, left=np.nan, right=np.nan)

    current = xr.apply_ufunc(at_spikes, trace, t_mid, input_core_dims=[["time"], ["interval"]], output_core_dims=[["interval"]], vectorize=True)
    slope = trace.differentiate("time")
    rising = xr.apply_ufunc(at_spikes, slope, t_mid, input_core_dims=[["time"], ["interval"]], output_core_dims=[["interval"]], vectorize=True) > 0
    return xr.Dataset(
        {
            "instantaneous_rate_hz": rate.assign_attrs(units="Hz", long_name="instantaneous rate (1/ISI)"),
            "input_at_spike": current.assign_attrs(units=trace.attrs.get("units", "1"), long_name="input at the spike"),
            "input_rising": rising.where(np.isfinite(current)).assign_attrs(long_name="input rising at the spike"),
        }
    )
