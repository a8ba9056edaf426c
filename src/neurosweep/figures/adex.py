"""AdEx course figures: basic runs, phase planes and bifurcations (course_figures.md section 3.2)."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurosweep.figures import register
from neurosweep.figures._common import points, setting, spiking_trace
from neurosweep.figures._dynamics import branch, mark_bifurcations, phase_plane


def _traces(ax_v: Axes, ax_w: Axes, runs: xr.Dataset, alpha: float = 1.0, label: Callable[[xr.Dataset], str] | None = None) -> None:
    """V (spikes drawn as :func:`spiking_trace` draws them) over w for every run of ``runs``."""
    flat = points(runs)
    for k in range(flat.sizes["point"]):
        row = flat.isel(point=k)
        line = spiking_trace(ax_v, row, lw=1, alpha=alpha, label=label(row) if label else None)
        ax_w.plot(row["time"], row["w"], lw=1, alpha=alpha, color=line.get_color())
    ax_v.set_ylabel("V (mV)")
    ax_w.set(ylabel="w (pA)", xlabel="t (ms)")


@register("adex_basic_run", models=("adex",))
def adex_basic_run(homework: xr.Dataset, advanced: xr.Dataset, textbook: xr.Dataset) -> Figure:
    """AdEx runs: (i) course basic homework (tonic set, a = 0.01, I = 65, V0 = 0 so it spikes at the first step), (ii) the advanced-homework answer (10 neurons, V0 ~ -65 + N(0,1), w0 = -15, I = 10), (iii) the textbook run (V0 = -68.79, -66.52, I = 9, dt = 0.01 ms); spike-triggered adaptation w below each."""
    fig, axes = plt.subplots(2, 3, figsize=(16, 6), sharex="col", gridspec_kw={"height_ratios": (2, 1)})
    _traces(axes[0, 0], axes[1, 0], homework)
    _traces(axes[0, 1], axes[1, 1], advanced, alpha=0.6)
    _traces(axes[0, 2], axes[1, 2], textbook, label=lambda row: f"V0 = {float(row['V_init']):g}")
    axes[0, 0].set_title(f"(i) homework: I = {setting(homework, 'I'):g}, a = {setting(homework, 'a'):g}, b = {setting(homework, 'b'):g}")
    axes[0, 1].set_title(f"(ii) advanced answer: {advanced.sizes.get('seed', 1)} neurons, I = {setting(advanced, 'I'):g}")
    axes[0, 2].set_title(f"(iii) textbook: I = {setting(textbook, 'I'):g}, dt = {textbook.attrs['dt_ms']:g} ms")
    axes[0, 2].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


@register("adex_phase_plane", models=("adex",))
def adex_phase_plane(
    tonic_plane: xr.Dataset, tonic_fixed: xr.Dataset, tonic_run: xr.Dataset,
    transient_plane: xr.Dataset, transient_fixed: xr.Dataset, transient_run: xr.Dataset,
) -> Figure:  # fmt: skip
    """AdEx phase planes beside their V and w traces: the tonic set at I = 65 (no fixed point, a spiking cycle through resets at the dashed V_reset) and the advanced-homework set at I = 55 (a stable focus and a saddle, T13-T14)."""
    fig, axes = plt.subplots(2, 2, figsize=(14, 10), gridspec_kw={"width_ratios": (1.2, 1)})
    for row, (plane, fixed, run, name) in enumerate(
        ((tonic_plane, tonic_fixed, tonic_run, "tonic set"), (transient_plane, transient_fixed, transient_run, "advanced-homework set"))
    ):
        trace = axes[row, 0]
        flat = points(run).isel(point=0)
        spiking_trace(trace, flat, color="tab:blue", lw=1)
        twin = trace.twinx()
        twin.spines["right"].set_visible(True)
        twin.plot(flat["time"], flat["w"], color="tab:orange", lw=1)
        trace.set(xlabel="t (ms)", title=f"{name}, I = {setting(run, 'I'):g} pA: {int(flat['spike_time_ms'].notnull().sum())} spikes")
        trace.set_ylabel("V (mV)", color="tab:blue")
        twin.set_ylabel("w (pA)", color="tab:orange")
        phase_plane(axes[row, 1], plane, fixed, run, reset=setting(run, "V_reset"))
        axes[row, 1].set_title(f"{name}, I = {setting(run, 'I'):g} pA")
    return fig


@register("adex_bifurcation", models=("adex",))
def adex_bifurcation(tonic_branch: xr.Dataset, transient_branch: xr.Dataset, planes: xr.Dataset, fixed: xr.Dataset, runs: xr.Dataset) -> Figure:
    """AdEx bifurcations: the course tutorial's tonic set (fixed points only below a saddle-node at small I, then tonic firing), the transient set (a stable focus loses stability at a Hopf point just before it meets the saddle in a saddle-node), and the slide's phase planes at I = 50, 56, 56.3."""
    fig, axes = plt.subplots(2, 3, figsize=(18, 10))
    for ax, variable in zip(axes[0, :2], ("V", "w")):
        branch(ax, tonic_branch, "I", variable)
        mark_bifurcations(ax, tonic_branch, "I", hopf=False)
        ax.set_xlim(float(tonic_branch["I"].min()) - 1, float(tonic_branch["I"].max()) + 1)
        ax.text(0.5, 0.5, "no fixed point: tonic firing", transform=ax.transAxes, ha="center", color="0.4")
        ax.set_title(f"tonic set (tutorial): {variable}*(I)")
    branch(axes[0, 2], transient_branch, "I", "V")
    axes[0, 2].set_xlim(50, 57)
    found = transient_branch.sel(I=slice(50, 57))
    axes[0, 2].set_ylim(np.nanmin(found["V"]) - 0.5, np.nanmax(found["V"]) + 0.5)
    mark_bifurcations(axes[0, 2], transient_branch, "I")
    axes[0, 2].set_title("transient set: V*(I), I in [50, 57] of [20, 70]")
    for ax, current in zip(axes[1], planes["I"].values):
        phase_plane(ax, planes.sel(I=current), fixed.sel(I=[current]), runs.sel(I=[current]), reset=setting(runs, "V_reset"))
        ax.set_title(f"I = {current:g} pA")
    return fig
