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


STABILITY_STYLE = {1: ("stable node", "tab:blue"), 2: ("stable focus", "tab:cyan"), 3: ("unstable node", "tab:red"),
                   4: ("unstable focus", "tab:orange"), 5: ("saddle", "tab:purple"), 6: ("centre", "tab:gray")}  # fmt: skip


def phase_plane(ax: Axes, plane: xr.Dataset, fixed: xr.Dataset | None = None, trajectory: xr.Dataset | None = None) -> None:
    """Vector field (streamlines), nullclines (zero contours of each rate), fixed points, a trajectory."""
    x_name, y_name = list(plane.dims)[:2]
    x, y = plane[x_name].values, plane[y_name].values
    dx, dy = plane[f"d{x_name}_dt"].values.T, plane[f"d{y_name}_dt"].values.T
    ax.streamplot(x, y, dx, dy, color="0.75", density=1.0, linewidth=0.6, arrowsize=0.8)
    ax.contour(x, y, dx, levels=[0.0], colors="tab:blue", linewidths=1.5)
    ax.contour(x, y, dy, levels=[0.0], colors="tab:orange", linewidths=1.5)
    ax.plot([], [], color="tab:blue", label=f"{x_name} nullcline")
    ax.plot([], [], color="tab:orange", label=f"{y_name} nullcline")
    if trajectory is not None:
        row = points(trajectory).isel(point=0)
        xs, ys = row[x_name].values.copy(), row[y_name].values.copy()
        # Split the trajectory at resets: no line through the jump from threshold to reset.
        times = row["time"].values
        spikes = row["spike_times"].values[np.isfinite(row["spike_times"].values)]
        after_reset = np.unique(np.searchsorted(times, spikes))
        xs[after_reset[after_reset < xs.size]] = np.nan
        ax.plot(xs, ys, color="k", lw=1, label="trajectory (split at resets)")
    if fixed is not None:
        flat = points(fixed).isel(point=0)
        for k in range(int(flat["n_fixed_points"])):
            code = int(flat["stability"][k])
            label, color = STABILITY_STYLE.get(code, ("?", "k"))
            ax.plot(float(flat[x_name][k]), float(flat[y_name][k]), "o", ms=8, color=color, mec="k", label=f"{label} ({float(flat[x_name][k]):.5f}, {float(flat[y_name][k]):.5f})")
    ax.set(xlabel=x_name, ylabel=y_name, xlim=(x.min(), x.max()), ylim=(y.min(), y.max()))
    ax.legend(loc="upper left", fontsize=7)


def branch(ax: Axes, fixed: xr.Dataset, axis: str, variable: str) -> None:
    """Fixed-point branches against a swept parameter, coloured by stability."""
    values = fixed[axis].values
    states = fixed[variable].transpose(axis, "fixed_point").values
    codes = fixed["stability"].transpose(axis, "fixed_point").values
    for code, (label, color) in STABILITY_STYLE.items():
        mask = codes == code
        if mask.any():
            ax.plot(np.broadcast_to(values[:, None], states.shape)[mask], states[mask], ".", ms=3, color=color, label=label)
    ax.set(xlabel=axis, ylabel=f"{variable}*")
    ax.legend(fontsize=7)


@register("fhn_phase_plane_bifurcation")
def fhn_phase_plane_bifurcation(plane: xr.Dataset, fixed: xr.Dataset, trajectory: xr.Dataset, fixed_branch: xr.Dataset, surface: xr.Dataset) -> Figure:
    """FitzHugh-Nagumo: (a) phase plane at I = 0.8 with nullclines, the unstable node and a trajectory onto the limit cycle; (b) the fixed-point branch over I with its Hopf point; (c) the codimension-2 fixed-point surface V*(a, I) with the stability boundary."""
    from neurosweep.dynamics.bifurcation import hopf_points

    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    phase_plane(axes[0], plane, fixed, trajectory)
    axes[0].set_title("(a) phase plane, I = 0.8")
    branch(axes[1], fixed_branch, "I", "V")
    for location in hopf_points(fixed_branch, "I")["location"].values:
        axes[1].axvline(location, color="k", ls=":", lw=1)
        axes[1].text(location, axes[1].get_ylim()[1], f" Hopf I = {location:.4f}", va="top", fontsize=8)
    axes[1].set_title("(b) fixed points over I")
    first = surface.isel(fixed_point=0)
    mesh = axes[2].pcolormesh(surface["I"], surface["a"], first["V"].transpose("a", "I"), cmap="viridis", shading="auto")
    fig.colorbar(mesh, ax=axes[2], label="V*")
    stable = first["stable"].transpose("a", "I").astype(float)
    axes[2].contour(surface["I"], surface["a"], stable, levels=[0.5], colors="w", linewidths=1.5)
    axes[2].set(xlabel="I", ylabel="a", title="(c) V*(a, I); white: stability boundary (stable at low I)")
    fig.tight_layout()
    return fig


@register("izh_bifurcation_phase_plane")
def izh_bifurcation_phase_plane(
    fixed_branch: xr.Dataset, fixed: xr.Dataset, plane_low: xr.Dataset, plane_high: xr.Dataset, trajectories: xr.Dataset
) -> Figure:
    """Izhikevich: fixed points V*(I) and u*(I) meeting in a saddle-node at I = 4 (V = -60), and the (V, u) phase planes at I = 3.7 and 3.9 (c = -68) with nullclines, fixed points and a 400-ms trajectory."""
    from neurosweep.dynamics.bifurcation import saddle_nodes

    fig, axes = plt.subplots(1, 4, figsize=(20, 4.8))
    for ax, variable in zip(axes[:2], ("V", "u")):
        branch(ax, fixed_branch, "I", variable)
        for location, resolution in zip(*(saddle_nodes(fixed_branch, "I")[k].values for k in ("location", "resolution"))):
            ax.axvline(location, color="k", ls=":", lw=1)
            ax.text(location, ax.get_ylim()[1], f" saddle-node I = {location:.3f} +/- {resolution:.3f}", va="top", ha="right", fontsize=8)
        ax.set_title(f"{variable}*(I)")
    for ax, plane, current in ((axes[2], plane_low, 3.7), (axes[3], plane_high, 3.9)):
        phase_plane(ax, plane, fixed.sel(I=[current]), trajectories.sel(I=[current]))
        ax.set_title(f"phase plane, I = {current:g}, c = -68")
    fig.tight_layout()
    return fig
