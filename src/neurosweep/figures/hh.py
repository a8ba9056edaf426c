"""Hodgkin-Huxley course figures (course_figures.md section 3.1)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from neurosweep.dynamics.bifurcation import hopf_points, zero_crossings
from neurosweep.figures import register
from neurosweep.figures._common import label, points, provenance_note, select, setting

GATE_COLORS = {"m": "tab:blue", "h": "tab:orange", "n": "tab:green"}


def _indicator(current: xr.DataArray, offset_mv: float = -90.0, height_mv: float = 10.0) -> np.ndarray:
    # The course draws the stimulus as a step offset to -90 mV: where(I > 0, 10, 0) - 90.
    return np.where(current.values > 0, height_mv, 0.0) + offset_mv


@register("hh_pulse_all_or_none", models=("hh",))
def pulse_all_or_none(pulse: xr.Dataset) -> Figure:
    """All-or-none: V(t) of HH neurons given a 2-ms current pulse of six amplitudes (stimulus drawn at -90 mV)."""
    flat = points(pulse)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for i in range(flat.sizes["point"]):
        row = flat.isel(point=i)
        ax.plot(row["time"], row["V"], label=f"I = {setting(row, 'I'):g} uA/cm2")
    ax.plot(flat["time"], _indicator(flat["input_I"].isel(point=0)), color="k", lw=1.2, label="pulse (drawn at -90 mV)")
    ax.set(xlabel="t (ms)", ylabel=label(flat["V"], "V"), title="HH response to a 2-ms pulse")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.text(0.01, 0.005, provenance_note(pulse), fontsize=6, color="0.5")
    return fig


@register("hh_pulse_gating", models=("hh",))
def pulse_gating(pulse: xr.Dataset, I: float = 15.0) -> Figure:
    """Gating variables m, h, n during the action potential evoked by the I = 15 uA/cm2 pulse."""
    row = select(pulse, I=I)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for gate, color in GATE_COLORS.items():
        ax.plot(row["time"], row[gate], color=color, label=gate)
    ax.set(xlabel="t (ms)", ylabel="gating variable", title=f"HH gates, pulse I = {I:g} uA/cm2")
    ax.legend()
    return fig


@register("hh_constant_current_train", models=("hh",))
def constant_current_train(train: xr.Dataset) -> Figure:
    """Repetitive firing of HH under a 50-ms step of constant current (I = 10 uA/cm2, the value used)."""
    row = points(train).isel(point=0)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    amplitude = float(row["input_I"].max())
    ax.plot(row["time"], row["V"], label="V")
    ax.plot(row["time"], row["input_I"] - 90.0, color="k", lw=1.2, label=f"input: a step of I = {amplitude:g} uA/cm2 (drawn at -90 mV)")
    ax.set(xlabel="t (ms)", ylabel="V (mV)", title="HH response to a constant current")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8)
    return fig


@register("hh_conductance_during_ap", models=("hh",))
def conductance_during_ap(ap: xr.Dataset) -> Figure:
    """One action potential: V; the Na and K conductances g_Na m^3 h and g_K n^4; the gates m, h, n."""
    row = points(ap).isel(point=0)
    fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
    axes[0].plot(row["time"], row["V"], color="k")
    axes[0].set_ylabel("V (mV)")
    axes[1].plot(row["time"], row["g_Na"], label="g_Na")
    axes[1].plot(row["time"], row["g_K"], label="g_K")
    axes[1].set_ylabel("conductance (mS/cm2)")
    axes[1].legend()
    for gate, color in GATE_COLORS.items():
        axes[2].plot(row["time"], row[gate], color=color, label=gate)
    axes[2].set(ylabel="gating variable", xlabel="t (ms)")
    axes[2].legend(ncol=3)
    axes[0].set_title("Conductances during an action potential")
    return fig


@register("hh_channel_composed_trace", models=("hh",))
def channel_composed_trace(*runs: xr.Dataset) -> Figure:
    """HH built from its channels: V(t) near threshold (I = 1.698) and above it (I = 4), and the gates of the last run."""
    fig = plt.figure(figsize=(10, 2.4 * len(runs) + 0.6))
    grid = fig.add_gridspec(len(runs), 2, width_ratios=(3, 2), hspace=0.5)
    for k, run in enumerate(runs):
        row = points(run).isel(point=0)
        ax = fig.add_subplot(grid[k, 0])
        ax.plot(row["time"], row["V"], color="k")
        ax.set(ylabel="V (mV)", title=f"I = {setting(row, 'I'):g} uA/cm2, V(0.1 ms) = {float(row['V'][0]):.1f} mV")
    ax.set_xlabel("t (ms)")
    ax = fig.add_subplot(grid[:, 1])
    for gate, color in GATE_COLORS.items():
        ax.plot(row["time"], row[gate], color=color, label=gate)
    ax.set(xlabel="t (ms)", ylabel="gating variable", title=f"gates at I = {setting(row, 'I'):g}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
    return fig


@register("hh_gate_kinetics_curves", models=("hh",))
def gate_kinetics_curves(kinetics: xr.Dataset) -> Figure:
    """Gate kinetics of HH: tau_x(V), x_inf(V), alpha_x(V), beta_x(V) for x in m, h, n (analytic)."""
    rows = [("tau_{}", "tau (ms)"), ("{}_inf", "steady state"), ("alpha_{}", "alpha (1/ms)"), ("beta_{}", "beta (1/ms)")]
    fig, axes = plt.subplots(len(rows), 3, figsize=(11, 10), sharex=True)
    for r, (pattern, ylabel) in enumerate(rows):
        for c, gate in enumerate(GATE_COLORS):
            ax = axes[r, c]
            ax.plot(kinetics["V"], kinetics[pattern.format(gate)], color=GATE_COLORS[gate])
            ax.set_title(pattern.format(gate), fontsize=10)
            if c == 0:
                ax.set_ylabel(ylabel)
            if r == len(rows) - 1:
                ax.set_xlabel("V (mV)")
    return fig


@register("hh_voltage_clamp", models=("hh",))
def voltage_clamp(steps: xr.Dataset, separation: xr.Dataset) -> Figure:
    """Voltage clamp: (a) g_Na and g_K for steps of +6..+100 mV; (b) I_Na, I_K and the feedback current at +56 mV."""
    flat = points(steps)
    n = flat.sizes["point"]
    fig = plt.figure(figsize=(11, 1.3 * n + 1))
    grid = fig.add_gridspec(n, 3, width_ratios=(1, 1, 1.4), hspace=0.35, wspace=0.35)
    for k in range(n):
        row = flat.isel(point=k)
        for c, (name, color) in enumerate((("g_Na", "tab:red"), ("g_K", "tab:blue"))):
            ax = fig.add_subplot(grid[k, c])
            ax.plot(row["time"], row[name], color=color)
            peak = float(row[name].max())
            ax.set_ylim(-0.05 * peak, 1.15 * peak + 1e-9)  # per-row limits scaled to each step
            if c == 0:  # the step, as the row's label (a label inside would lie on the g_K traces)
                ax.set_ylabel(f"+{setting(row, 'V_step_mV'):g} mV", rotation=0, ha="right", va="center", fontsize=9)
            if k == 0:
                ax.set_title(f"(a) {name} (mS/cm2)")
            if k < n - 1:
                ax.set_xticklabels([])
            else:
                ax.set_xlabel("t (ms)")
    row = points(separation).isel(point=0)
    ax = fig.add_subplot(grid[:, 2])
    ax.plot(row["time"], row["I_Na"], label="I_Na", color="tab:red")
    ax.plot(row["time"], row["I_K"], label="I_K", color="tab:blue")
    ax.plot(row["time"], row["I_ion"], label="I_fb = I_Na + I_K + I_L", color="k", ls="--")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.set(xlabel="t (ms)", ylabel="current (uA/cm2, outward +)", title=f"(b) step +{setting(row, 'V_step_mV'):g} mV")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=2, fontsize=8)
    return fig


@register("hh_fi_curve", models=("hh",))
def fi_curve(rest: xr.Dataset, random_start: xr.Dataset, ramp: xr.Dataset, stability: xr.Dataset) -> Figure:
    """HH f-I curve: rate after the onset transient from rest over a fine 0-20 uA/cm2 sweep, from random V0, and along slow ramps up and down; below, the stability of rest for the continuous system and for the simulations' step map (exp_euler, dt 0.1 ms): the bistable window is where both branches exist."""
    fig, (ax, ax_eig) = plt.subplots(2, 1, figsize=(7.5, 7), sharex=True, gridspec_kw={"height_ratios": (3, 1.5)}, layout="constrained")
    flat = points(rest)
    window = _rate_window(rest)
    ax.plot(flat["I"], _regular_rate(flat), "-", color="k", lw=1.0, label=f"from rest, step at t = 0 (1000 / mean ISI, {window})", zorder=3)
    I_rand, rate_rand = xr.broadcast(random_start["I"], _regular_rate(random_start))
    ax.plot(I_rand.values.ravel(), rate_rand.values.ravel(), "o", ms=4, mfc="none", color="tab:purple", label="from random V0 ~ U(-70, -60)")
    ramp_flat = points(ramp).isel(point=0)
    rising = ramp_flat["input_rising"].values == 1
    falling = ramp_flat["input_rising"].values == 0
    current, rate = ramp_flat["input_at_spike"].values, ramp_flat["instantaneous_rate_hz"].values
    ramp_s = float(ramp.attrs["t_stop_ms"]) / 2000
    ax.plot(current[falling], rate[falling], "o", ms=3.5, color="tab:blue", alpha=0.5, mec="none", label=f"slow ramp down ({ramp_s:g} s)", zorder=2)
    ax.plot(current[rising], rate[rising], ".", ms=2, color="tab:red", label=f"slow ramp up ({ramp_s:g} s)", zorder=4)
    if rising.any():
        jump = float(np.nanmin(current[rising]))
        ax.annotate(f"ramp up jumps at {jump:.2f}\n(slow passage past the Hopf point)", (jump, float(np.nanmin(rate[rising]))),
                    xytext=(30, -45), textcoords="offset points", fontsize=8, arrowprops={"arrowstyle": "->", "lw": 0.7})  # fmt: skip
    firing_low = np.nanmin(current[falling]) if falling.any() else np.nan
    rest_point = stability.where(stability["stability"] > 0, drop=True)  # where Newton converged
    flow_rate = rest_point["eigenvalue_real"].max("eigen")
    found = hopf_points(rest_point, "I")["location"].values
    hopf = float(found[0]) if found.size else float("nan")
    ax_eig.plot(rest_point["I"], flow_rate, color="k", label="continuous system: max Re(lambda)")
    simulated_hopf = hopf
    if "step_map_growth_rate" in rest_point:
        map_rate = rest_point["step_map_growth_rate"].max("eigen")
        crossings = zero_crossings(rest_point["I"].values, map_rate.values)
        simulated_hopf = float(crossings[0]) if crossings.size else float("nan")
        dt = stability["step_map_growth_rate"].attrs.get("long_name", "").rsplit("dt = ", 1)[-1]
        ax_eig.plot(rest_point["I"], map_rate, color="tab:red", ls="--", label=f"simulation's step map (dt = {dt}): max ln|mu|/dt")
    ax_eig.axhline(0, color="0.6", lw=0.8)
    for location, color, name in ((hopf, "k", "continuous"), (simulated_hopf, "tab:red", "simulated")):
        if np.isfinite(location) and (name == "continuous" or abs(location - hopf) > 1e-6):
            ax_eig.axvline(location, color=color, ls=":", lw=1)
            ax.axvline(location, color=color, ls=":", lw=1)
            right = name == "continuous"  # the two labels on either side of their lines, never crossed by the other
            ax.annotate(f"Hopf, {name}: I = {location:.2f}", (location, 1.0), xycoords=("data", "axes fraction"), xytext=(3 if right else -3, -3),
                        textcoords="offset points", fontsize=8, color=color, va="top", ha="left" if right else "right")  # fmt: skip
    if np.isfinite(firing_low) and np.isfinite(simulated_hopf) and firing_low < simulated_hopf:
        ax.axvspan(firing_low, simulated_hopf, color="0.88", zorder=0)
        ax.annotate("bistable in\nsimulation:\nrest + firing", ((firing_low + simulated_hopf) / 2, 0.3), xycoords=("data", "axes fraction"),
                    ha="center", va="center", fontsize=8)  # fmt: skip
    ax.set(ylabel="firing rate (Hz)", title=f"HH f-I curve ({rest.attrs.get('integrator', '')}, dt = {rest.attrs.get('dt_ms', '')} ms)")
    ax.legend(loc="lower right", fontsize=8)
    ax_eig.set(xlabel="I (uA/cm2)", ylabel="growth rate of\nrest (1/ms)")
    ax_eig.legend(loc="lower right", fontsize=7)
    return fig


def _regular_rate(dataset: xr.Dataset) -> xr.DataArray:
    """1000 / mean ISI in the rate window (no 1/window quantisation), 0 where nothing fired."""
    return dataset["isi_rate_hz"].where(dataset["spike_count"] > 0, 0.0)


def _rate_window(dataset: xr.Dataset) -> str:
    """The window the rates were counted in (the spike_statistics options), in words."""
    options = json.loads(dataset.attrs.get("experiment_config", "{}")).get("analysis_options", {}).get("spike_statistics", {})
    start = float(options.get("t_start_ms", 0.0))
    stop = float(options.get("t_stop_ms", dataset.attrs.get("t_stop_ms", 0.0)))
    return f"spikes in {start / 1000:g}-{stop / 1000:g} s" if start else f"spikes in {stop / 1000:g} s"

