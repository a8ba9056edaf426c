"""Simplified-neuron course figures (course_figures.md section 3.2): simulation panels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurosweep.figures import register
from neurosweep.figures._common import points, setting

ADEX_PATTERNS = ("Tonic", "Adapting", "Initial bursting", "Bursting", "Transient", "Delayed")
IZH_PATTERNS = ("Default (d = 2)", "Regular spiking", "Intrinsic bursting", "Fast spiking", "Chattering", "Low-threshold spiking")


def _spikes_drawn(ax: Axes, row: xr.Dataset, peak_mv: float, color: str) -> None:
    """Draw each spike as a line up to ``peak_mv`` at its time (the course overwrites V there)."""
    times = row["spike_times"].values
    times = times[np.isfinite(times)]
    if times.size:
        base = np.interp(times, row["time"].values, row["V"].values)
        ax.vlines(times, base, peak_mv, color=color, lw=1.0)


@register("adex_firing_patterns")
def adex_firing_patterns(patterns: xr.Dataset) -> Figure:
    """AdEx firing patterns (textbook table): tonic, adapting, initial bursting, bursting, transient, delayed; V (spikes drawn to 20 mV) over w."""
    flat = points(patterns)
    fig = plt.figure(figsize=(12, 9))
    outer = fig.add_gridspec(3, 2, hspace=0.45, wspace=0.25)
    for k in range(flat.sizes["point"]):
        row = flat.isel(point=k)
        inner = outer[k // 2, k % 2].subgridspec(2, 1, hspace=0.05, height_ratios=(2, 1))
        ax_v, ax_w = fig.add_subplot(inner[0]), fig.add_subplot(inner[1])
        ax_v.plot(row["time"], row["V"], color="tab:blue", lw=1)
        _spikes_drawn(ax_v, row, 20.0, "tab:blue")
        ax_w.plot(row["time"], row["w"], color="tab:orange", lw=1)
        name = ADEX_PATTERNS[k] if k < len(ADEX_PATTERNS) else f"point {k}"
        ax_v.set_title(f"{name}: a={setting(row, 'a'):g}, b={setting(row, 'b'):g}, tau={setting(row, 'tau'):g}, tau_w={setting(row, 'tau_w'):g}, V_reset={setting(row, 'V_reset'):g}, I={setting(row, 'I'):g}", fontsize=8)
        ax_v.set_ylabel("V (mV)")
        ax_w.set_ylabel("w")
        ax_v.set_xticklabels([])
        ax_w.set_xlabel("t (ms)")
    return fig


@register("izh_default_and_patterns")
def izh_default_and_patterns(patterns: xr.Dataset, rebound: xr.Dataset) -> Figure:
    """Izhikevich neuron at I = 10: the course default (d = 2) and the textbook patterns RS, IB, FS, chattering, LTS; and rebound bursting after -30 for 50 ms."""
    flat = points(patterns)
    runs = [flat.isel(point=k) for k in range(flat.sizes["point"])] + [points(rebound).isel(point=0)]
    names = [*IZH_PATTERNS[: flat.sizes["point"]], "Rebound bursting"]
    fig, axes = plt.subplots(4, 2, figsize=(11, 10), sharex=True)
    for ax, row, name in zip(axes.ravel(), runs, names):
        ax.plot(row["time"], row["V"], color="tab:blue", lw=1, label="V")
        _spikes_drawn(ax, row, float(row["V"].max()) if row["spike_times"].notnull().any() else 30.0, "tab:blue")
        ax.plot(row["time"], row["u"], color="tab:orange", lw=1, label="u")
        title = name if name == "Rebound bursting" else f"{name}: a={setting(row, 'a'):g}, b={setting(row, 'b'):g}, c={setting(row, 'c'):g}, d={setting(row, 'd'):g}"
        ax.set_title(title, fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("t (ms)")
    axes[0, 0].legend(loc="lower right")
    for ax in axes.ravel()[len(runs) :]:
        ax.set_visible(False)
    return fig


@register("qif_threshold_and_a0")
def qif_threshold_and_a0(threshold: xr.Dataset, curvature: xr.Dataset) -> Figure:
    """QIF from V0 = -68: inputs I = 0, 3, 4, 5 around the rheobase a0 (V_c - V_rest)^2 / 4R = 3.9375; and the curvature a0 at I = 5."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, dataset, axis in ((left, threshold, "I"), (right, curvature, "a0")):
        flat = points(dataset)
        for k in range(flat.sizes["point"]):
            row = flat.isel(point=k)
            line, = ax.plot(row["time"], row["V"], lw=1, label=f"{axis} = {setting(row, axis):g}")
            _spikes_drawn(ax, row, 0.0, line.get_color())
        ax.set(xlabel="t (ms)")
        ax.legend(loc="upper right")
    left.set(ylabel="V (mV)", title="input threshold (rheobase 3.9375)")
    right.set_title("effect of a0 at I = 5")
    return fig
