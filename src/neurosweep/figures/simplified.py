"""Simplified-neuron course figures (course_figures.md section 3.2): simulation panels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.figure import Figure

from neurosweep.figures import register
from neurosweep.figures._common import points, setting, spiking_trace
from neurosweep.figures._dynamics import branch, mark_bifurcations, phase_line, phase_plane

ADEX_PATTERNS = ("Tonic", "Adapting", "Initial bursting", "Bursting", "Transient", "Delayed")
IZH_PATTERNS = ("Default (d = 2)", "Regular spiking", "Intrinsic bursting", "Fast spiking", "Chattering", "Low-threshold spiking")


@register("adex_firing_patterns", models=("adex",))
def adex_firing_patterns(patterns: xr.Dataset) -> Figure:
    """AdEx firing patterns (textbook table): tonic, adapting, initial bursting, bursting, transient, delayed; V (spikes drawn to 20 mV) over w."""
    flat = points(patterns)
    fig = plt.figure(figsize=(12, 9))
    outer = fig.add_gridspec(3, 2, hspace=0.45, wspace=0.25)
    for k in range(flat.sizes["point"]):
        row = flat.isel(point=k)
        inner = outer[k // 2, k % 2].subgridspec(2, 1, hspace=0.05, height_ratios=(2, 1))
        ax_v, ax_w = fig.add_subplot(inner[0]), fig.add_subplot(inner[1])
        spiking_trace(ax_v, row, color="tab:blue", lw=1)
        ax_w.plot(row["time"], row["w"], color="tab:orange", lw=1)
        name = ADEX_PATTERNS[k] if k < len(ADEX_PATTERNS) else f"point {k}"
        ax_v.set_title(f"{name}: a={setting(row, 'a'):g}, b={setting(row, 'b'):g}, tau={setting(row, 'tau'):g}, tau_w={setting(row, 'tau_w'):g}, V_reset={setting(row, 'V_reset'):g}, I={setting(row, 'I'):g}", fontsize=8)
        ax_v.set_ylabel("V (mV)")
        ax_w.set_ylabel("w (pA)")
        ax_v.set_xticklabels([])
        ax_w.set_xlabel("t (ms)")
    return fig


@register("izh_default_and_patterns", models=("izhikevich",))
def izh_default_and_patterns(default: xr.Dataset, patterns: xr.Dataset, rebound: xr.Dataset) -> Figure:
    """Izhikevich neuron: (a) the course's run (default a, b, c, d; I = 10 for 300 ms; its 10 neurons start alike and fire alike, so one is drawn), (b-f) the textbook patterns at I = 10: RS, IB, FS, chattering, LTS, and (g) rebound bursting after I = -30 for 50 ms."""
    flat = points(patterns)
    runs = [flat.isel(point=k) for k in range(flat.sizes["point"])] + [points(rebound).isel(point=0)]
    names = [*IZH_PATTERNS[1 : flat.sizes["point"] + 1], "Rebound bursting: I = -30 for 50 ms, then 3.5"]
    fig = plt.figure(figsize=(11, 11), layout="constrained")
    grid = fig.add_gridspec(4, 2, height_ratios=(1.2, 1, 1, 1))
    top = fig.add_subplot(grid[0, :])
    panels = [top] + [fig.add_subplot(grid[1 + k // 2, k % 2]) for k in range(len(runs))]
    row = points(default).isel(point=0)
    spiking_trace(top, row, color="tab:blue", lw=1, label="V (mV)")
    top.plot(row["time"], row["u"], color="tab:orange", lw=1, label="u")
    top.set_title(f"(a) course run: a={setting(row, 'a'):g}, b={setting(row, 'b'):g}, c={setting(row, 'c'):g}, d={setting(row, 'd'):g}, I = {setting(row, 'I'):g}")
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for index, (ax, row, name) in enumerate(zip(panels[1:], runs, names)):
        spiking_trace(ax, row, color="tab:blue", lw=1)
        ax.plot(row["time"], row["u"], color="tab:orange", lw=1)
        letter = "bcdefg"[index]
        title = name if name.startswith("Rebound") else f"{name}: a={setting(row, 'a'):g}, b={setting(row, 'b'):g}, c={setting(row, 'c'):g}, d={setting(row, 'd'):g}"
        ax.set_title(f"({letter}) {title}", fontsize=9)
    for ax in panels:
        ax.set(xlabel="t (ms)", ylabel="V (mV), u")
    for ax in fig.axes[len(panels) :]:
        ax.set_visible(False)
    return fig


@register("qif_threshold_and_a0", models=("qif",))
def qif_threshold_and_a0(threshold: xr.Dataset, curvature: xr.Dataset) -> Figure:
    """QIF from V0 = -68: inputs I = 0, 3, 4, 5 around the rheobase a0 (V_c - V_rest)^2 / 4R = 3.9375; and the curvature a0 at I = 5."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, dataset, axis in ((left, threshold, "I"), (right, curvature, "a0")):
        flat = points(dataset)
        for k in range(flat.sizes["point"]):
            row = flat.isel(point=k)
            spiking_trace(ax, row, lw=1, label=f"{axis} = {setting(row, axis):g}")
        ax.set(xlabel="t (ms)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=4, fontsize=8)
    left.set(ylabel="V (mV)", title="input threshold (rheobase 3.9375)")
    right.set_title("effect of a0 at I = 5")
    return fig


@register("fhn_phase_plane_bifurcation", models=("fhn",))
def fhn_phase_plane_bifurcation(plane: xr.Dataset, fixed: xr.Dataset, trajectory: xr.Dataset, fixed_branch: xr.Dataset, surface: xr.Dataset) -> Figure:
    """FitzHugh-Nagumo: (a) phase plane at I = 0.8 with nullclines, the unstable node and a trajectory onto the limit cycle; (b) the fixed-point branch over I with its Hopf point; (c) the codimension-2 fixed-point surface V*(a, I) with the stability boundary."""
    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    phase_plane(axes[0], plane, fixed, trajectory)
    axes[0].set_title("(a) phase plane, I = 0.8")
    branch(axes[1], fixed_branch, "I", "V")
    mark_bifurcations(axes[1], fixed_branch, "I", saddle_node=False)
    axes[1].set_title("(b) fixed points over I")
    first = surface.isel(fixed_point=0)
    mesh = axes[2].pcolormesh(surface["I"], surface["a"], first["V"].transpose("a", "I"), cmap="viridis", shading="auto")
    fig.colorbar(mesh, ax=axes[2], label="V*")
    stable = first["stable"].transpose("a", "I").astype(float)
    axes[2].contour(surface["I"], surface["a"], stable, levels=[0.5], colors="w", linewidths=1.5)
    axes[2].set(xlabel="I", ylabel="a", title="(c) V*(a, I)")
    axes[2].set_xlabel("I\nwhite: stability boundary (stable at low I)")
    return fig


@register("izh_bifurcation_phase_plane", models=("izhikevich",))
def izh_bifurcation_phase_plane(fixed_branch: xr.Dataset, fixed: xr.Dataset, planes: xr.Dataset, trajectories: xr.Dataset) -> Figure:
    """Izhikevich: fixed points V*(I) and u*(I) meeting in a saddle-node at I = 4 (V = -60), the stable focus turning unstable (Hopf) just before, and the (V, u) phase planes at I = 3.7 and 3.9 (c = -68) with nullclines, fixed points and a 400-ms trajectory."""
    fig, axes = plt.subplots(1, 4, figsize=(20, 4.8))
    for ax, variable in zip(axes[:2], ("V", "u")):
        branch(ax, fixed_branch, "I", variable)
        mark_bifurcations(ax, fixed_branch, "I")
        ax.set_title(f"{variable}*(I)")
    for ax, current in zip(axes[2:], planes["I"].values):
        phase_plane(ax, planes.sel(I=current), fixed.sel(I=[current]), trajectories.sel(I=[current]))
        ax.set_title(f"phase plane, I = {current:g}, c = -68")
    return fig


@register("qif_expif_phase_line", models=("expif", "qif"))
def qif_expif_phase_line(qif_line: xr.Dataset, qif_fixed: xr.Dataset, expif_line: xr.Dataset, expif_fixed: xr.Dataset) -> Figure:
    """Phase lines dV/dt(V) with fixed points (filled stable, open unstable) and the flow: QIF at I = 0, 3, 10 (no fixed point above the rheobase 3.9375) and ExpIF at I = 0, 4 (its rheobase, the fixed points merging at V = V_T = -60) and 20."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for row, (line, fixed, model, ylim) in enumerate(((qif_line, qif_fixed, "QIF", None), (expif_line, expif_fixed, "ExpIF", (-1.5, 3.0)))):
        for ax, current in zip(axes[row], line["I"].values):
            phase_line(ax, line.sel(I=current), fixed.sel(I=[current]), ylim=ylim)
            ax.set_title(f"{model}, I = {current:g}")
    return fig


@register("expif_deltaT", models=("expif",))
def expif_deltaT(runs: xr.Dataset, by_delta_T: xr.Dataset, by_V_T: xr.Dataset) -> Figure:
    """ExpIF spike initiation: (a) V(t) at I = 8 for delta_T = 5, 1, 0.02 (smaller delta_T, sharper onset, LIF-like); dV/dt(V) at I = 0 for (b) several delta_T and (c) several V_T at delta_T = 0.2."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    flat = points(runs)
    for k in range(flat.sizes["point"]):
        row = flat.isel(point=k)
        spiking_trace(axes[0], row, lw=1, label=f"delta_T = {setting(row, 'delta_T'):g}")
    axes[0].set(xlim=(0, 25), xlabel="t (ms)", ylabel="V (mV)", title="(a) I = 8, V0 = -68 mV, dt = 0.001 ms")
    axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3, fontsize=8)
    for ax, curves, axis, title in ((axes[1], by_delta_T, "delta_T", "(b) V_T = -60"), (axes[2], by_V_T, "V_T", "(c) delta_T = 0.2")):
        for value in curves[axis].values:
            curve = curves.sel({axis: value})
            ax.plot(curve["V"], curve["dV_dt"], lw=1.5, label=f"{axis} = {value:g}")
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set(ylim=(-2.5, 5), xlabel="V (mV)", ylabel="dV/dt (mV/ms)", title=title)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3, fontsize=8)
    return fig
