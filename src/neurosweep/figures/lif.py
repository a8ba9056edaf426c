"""LIF course figures (course_figures.md section 3.2, LIF rows)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from neurosweep.figures import register
from neurosweep.figures._common import label, points, setting


def _traces(datasets: list[xr.Dataset], titles: list[str]) -> Figure:
    fig, axes = plt.subplots(len(datasets), 1, figsize=(6, 2.6 * len(datasets) + 0.8), sharex=True, squeeze=False)
    for ax, dataset, title in zip(axes[:, 0], datasets, titles):
        flat = points(dataset)
        for k in range(flat.sizes["point"]):
            row = flat.isel(point=k)
            ax.plot(row["time"], row["V"], label=f"I = {setting(row, 'I'):g}")
        threshold = setting(dataset, "V_th")
        ax.axhline(threshold, color="0.6", ls="--", lw=0.8)
        ax.annotate("V_th", (0.0, threshold), xycoords=("axes fraction", "data"), xytext=(2, 2), textcoords="offset points", fontsize=8, color="0.4")
        ax.set(ylabel=label(flat["V"], "V"), title=title)
        if flat.sizes["point"] > 1:
            ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    axes[-1, 0].set_xlabel("t (ms)")
    return fig


@register("lif_constant_input", models=("lif",))
def constant_input(builtin: xr.Dataset, handwritten: xr.Dataset) -> Figure:
    """LIF under constant input I = 22: built-in neuron (tau_ref = 0, ISI 26.03 ms) and the hand-written one (t_ref = 5, 32.2 Hz)."""
    titles = []
    for dataset in (builtin, handwritten):
        flat = points(dataset)
        isi = float(flat["mean_isi_ms"].mean())
        titles.append(f"tau_ref = {setting(dataset, 'tau_ref'):g} ms: mean ISI {isi:.2f} ms ({1000 / isi:.1f} Hz)")
    return _traces([builtin, handwritten], titles)


@register("lif_rheobase_steps", models=("lif",))
def rheobase_steps(steps: xr.Dataset) -> Figure:
    """LIF rheobase: step inputs I = 15, 20, 25 from t = 10 ms (rheobase (V_th - V_rest)/R = 20)."""
    return _traces([steps], ["LIF step input, rheobase I = 20"])


@register("lif_input_threshold", models=("lif",))
def input_threshold(threshold: xr.Dataset) -> Figure:
    """LIF input threshold: I = 20 (at rheobase, no spike) versus I = 21 (regular firing), t_ref = 5 ms."""
    return _traces([threshold], ["LIF at and just above rheobase"])


@register("lif_fi_curve", models=("lif",))
def fi_curve(sweep: xr.Dataset, *closed_forms: xr.Dataset) -> Figure:
    """LIF f-I curve: simulated spike counts in 1 s (dt = 0.01 ms) over the exact closed form f = 1/(t_ref + tau ln((RI + V_rest - V_reset)/(RI + V_rest - V_th))), for tau = 10 and 5 ms."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    taus = np.atleast_1d(sweep["tau"].values) if "tau" in sweep.dims else [None]
    curves = {setting(curve, "tau"): curve for curve in closed_forms}
    for tau in taus:
        data = sweep.sel(tau=tau) if tau is not None else sweep
        value = setting(data, "tau")
        color = None
        if value in curves:
            (line,) = ax.plot(curves[value]["I"], curves[value]["firing_rate_hz"], lw=1.2, label=f"closed form, tau = {value:g} ms")
            color = line.get_color()
        ax.plot(data["I"], data["firing_rate_hz"], "o", ms=2.5, color=color, alpha=0.6, label=f"simulated, tau = {value:g} ms")
    tau_ref = setting(sweep, "tau_ref")
    ax.axhline(1000 / tau_ref, color="0.6", ls=":", lw=0.8)
    ax.annotate("1/t_ref", (1.0, 1000 / tau_ref), xycoords=("axes fraction", "data"), xytext=(-2, 2), textcoords="offset points",
                ha="right", va="bottom", fontsize=8, color="0.4")  # fmt: skip
    ax.set(xlabel="input I", ylabel="firing rate (Hz)", title=f"LIF f-I curve (t_ref = {tau_ref:g} ms)")
    ax.legend(loc="lower right")
    return fig
