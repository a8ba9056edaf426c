"""Generic plots for user sweeps: any experiment, no code change."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from neurosweep.figures import register
from neurosweep.figures._common import label, points


@register("traces", recorded_options=("variable",))
def traces(*datasets: xr.Dataset, variable: str = "V", max_lines: int = 12) -> Figure:
    """A recorded variable against time, one line per sweep point (at most ``max_lines``)."""
    fig, axes = plt.subplots(len(datasets), 1, figsize=(7, 3 * len(datasets)), squeeze=False)
    for ax, dataset in zip(axes[:, 0], datasets):
        flat = points(dataset)
        sweep = [c for c in flat["point"].coords if c != "point" and flat[c].dims == ("point",)]
        for k in range(min(flat.sizes["point"], max_lines)):
            row = flat.isel(point=k)
            name = ", ".join(f"{c} = {float(row[c]):g}" for c in sweep if c != "seed" or flat[c].size > 1)
            ax.plot(row["time"], row[variable], label=name)
        ax.set(xlabel="t (ms)", ylabel=label(flat[variable]), title=dataset.attrs.get("experiment", ""))
        ax.legend(fontsize=7)
    return fig


@register("rate_curve", swept_options=("x",))
def rate_curve(*datasets: xr.Dataset, x: str = "I", quantity: str = "firing_rate_hz") -> Figure:
    """Firing rate (or another statistic) against one sweep axis; other axes as separate lines."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for dataset in datasets:
        values = dataset[quantity]
        others = [d for d in values.dims if d != x]
        stacked = values.stack(line=others) if others else values.expand_dims(line=[0])
        for k in range(stacked.sizes["line"]):
            line = stacked.isel(line=k)
            name = ", ".join(f"{d} = {float(line[d]):g}" for d in others)
            ax.plot(dataset[x], line, "o-", ms=3, label=name or dataset.attrs.get("experiment", ""))
    ax.set(xlabel=label(datasets[0][x], x), ylabel=label(datasets[0][quantity]))
    ax.legend(fontsize=8)
    return fig


@register("rate_heatmap", sweep_dims=2)
def rate_heatmap(dataset: xr.Dataset, quantity: str = "firing_rate_hz") -> Figure:
    """A statistic over a 2-D grid sweep (diverged points shown as hatched gaps)."""
    values = dataset[quantity]
    if values.ndim != 2:
        raise ValueError(f"rate_heatmap needs a 2-D grid sweep, {quantity} has dims {values.dims}")
    if "diverged" in dataset:
        values = values.where(~dataset["diverged"])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    mesh = values.plot.pcolormesh(ax=ax, cmap="viridis", add_colorbar=True)
    mesh.colorbar.set_label(label(dataset[quantity]))
    if np.isnan(values.values).any():
        ax.set_facecolor("0.85")
    ax.set_title(dataset.attrs.get("experiment", ""))
    return fig
