"""E/I balanced network figures (course_figures.md section 3.3): rasters, rates, inputs, sweeps."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurosweep.figures import register
from neurosweep.figures._common import points, population_rate, setting, spike_raster

POPULATION_COLORS = {"E": "tab:red", "I": "tab:blue"}


def _run(dataset: xr.Dataset) -> xr.Dataset:
    """The experiment's first network run (its only one, for the course figures)."""
    return points(dataset).isel(point=0)


def _normalised(values: np.ndarray) -> np.ndarray:
    span = np.nanmax(values) - np.nanmin(values)
    return (values - np.nanmin(values)) / span if span > 0 else values * 0


def _stats_text(run: xr.Dataset) -> str:
    rows = []
    for name in run["population_name"].values:
        r = run.sel(population_name=name)
        fano = float(r["fano_factor"])
        text = f"{name}: {float(r['rate_hz']):.1f} Hz, CV of ISI {float(r['cv_isi']):.2f}, Fano {'n/a (run < 200 ms)' if np.isnan(fano) else f'{fano:.2f}'}"
        if "balance_index" in r:
            text += f", net/exc input {float(r['balance_index']):+.2f}"
        rows.append(text)
    window = f"measured over {float(run['analysis_start_ms']):g}-{float(run.attrs['t_stop_ms']):g} ms"
    return f"{';   '.join(rows)}   ({window})"


@register("ei_raster_rates", models=("ei_network",))
def ei_raster_rates(network: xr.Dataset, t_plot_ms: float = 100.0) -> Figure:
    """E/I balanced network (4000 LIF, COBA, p = 0.02, I_ext = 20): E and I rasters over their 5-ms population rates for the course's first 100 ms (the initial synchronous volley from the random V0 gives way to asynchronous irregular firing); rate, CV of ISI and Fano factor measured after the transient of a longer run, stated below."""
    run = _run(network)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    for column, name in enumerate(run["population_name"].values):
        spike_raster(axes[0, column], run, column, str(name), POPULATION_COLORS.get(str(name), "k"))
        rate = population_rate(run, name, 5.0)
        axes[1, column].plot(rate["time_step"], rate, color=POPULATION_COLORS.get(str(name), "k"))
        axes[1, column].set(xlabel="t (ms)", ylabel=f"{name} rate (Hz)", xlim=(0, t_plot_ms))
        axes[0, column].set_title(f"{name} population")
    fig.suptitle(_stats_text(run), fontsize=9)
    return fig


@register("ei_single_neuron_inputs", models=("ei_network",))
def ei_single_neuron_inputs(network: xr.Dataset, neuron: int | None = None, t_plot_ms: float = 100.0) -> Figure:
    """One neuron's synaptic inputs in the balanced network: excitatory g_e (E_e - V) > 0, inhibitory g_i (E_i - V) < 0, and their true sum (they largely cancel); the sum with I_ext is labelled separately."""
    run = _run(network)
    neuron = int(run["recorded_neuron"].values[0]) if neuron is None else neuron
    cell = run.sel(recorded_neuron=neuron, time=slice(None, t_plot_ms))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    total = cell["I_exc"] + cell["I_inh"]
    ax.plot(cell["time"], cell["I_exc"], color="tab:red", lw=1, label="E input")
    ax.plot(cell["time"], cell["I_inh"], color="tab:blue", lw=1, label="I input")
    ax.plot(cell["time"], total, color="k", lw=1.2, label="total = E + I")
    ax.plot(cell["time"], total + setting(run, "I"), color="0.5", lw=1, ls="--", label=f"E + I + I_ext (I_ext = {setting(run, 'I'):g})")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.set(xlabel="t (ms)", ylabel="input (mV)", title=f"neuron #{neuron}: mean E {float(cell['I_exc'].mean()):.1f}, I {float(cell['I_inh'].mean()):.1f}, total {float(total.mean()):.1f}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def _tracking(ax: Axes, run: xr.Dataset, width_ms: float = 200.0, edge_ms: float = 100.0) -> None:
    """Min-max normalised input, E rate and I rate (BrainPy firing_rate, width 200 ms), edges dropped."""
    time = run["time"].values  # the input in full; only the smoothed rates lose their window's edges
    ax.plot(time, _normalised(run["input_I"].values), color="k", lw=1.5, label="input (normalised)")
    for name in run["population_name"].values:
        rate = population_rate(run, name, width_ms)
        steps = rate["time_step"].values
        inside = (steps > edge_ms) & (steps <= steps[-1] - edge_ms)
        ax.plot(steps[inside], _normalised(rate.values[inside]), color=POPULATION_COLORS.get(str(name), "k"), lw=1, label=f"{name} rate (normalised)")
    ax.set(xlabel="t (ms)", ylabel="normalised")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3, fontsize=8)


@register("ei_linear_encoding", models=("ei_network",))
def ei_linear_encoding(staircase: xr.Dataset) -> Figure:
    """Linear encoding: an input staircase I_ext = 20, 40, ..., 120 (1 s each) and the E and I population rates (200-ms window), min-max normalised; right, the mean rate of each step against its input."""
    run = _run(staircase)
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 4.5), gridspec_kw={"width_ratios": (2.2, 1)})
    _tracking(left, run)
    protocol = json.loads(staircase.attrs["experiment_config"])["protocol"]
    levels, durations = np.asarray(protocol["I_values"]), np.asarray(protocol["durations_ms"])
    ends = np.cumsum(durations)
    for name in run["population_name"].values:
        rate = run["population_rate_hz"].sel(population_name=name)
        means = [float(rate.sel(time_step=slice(end - d + 200, end)).mean()) for end, d in zip(ends, durations)]
        right.plot(levels, means, "o-", color=POPULATION_COLORS.get(str(name), "k"), label=str(name))
    right.set(xlabel="I_ext", ylabel="rate (Hz), last 800 ms of each step", title="rate against input")
    right.legend()
    return fig


@register("ei_sin_tracking", models=("ei_network",))
def ei_sin_tracking(sine: xr.Dataset) -> Figure:
    """Tracking a sine input I_ext = 100 sin(2 pi t / 600 ms) (negative half-cycles included): normalised input, E and I rates (200-ms window)."""
    fig, ax = plt.subplots(figsize=(12, 4.5))
    _tracking(ax, _run(sine))
    return fig


@register("ei_textbook_variants", models=("ei_network",))
def ei_textbook_variants(raster: xr.Dataset, rate_vs_input: xr.Dataset, step: xr.Dataset) -> Figure:
    """Textbook variants (w_exc = 0.3, w_inh = 3.2, I_ext = 12, V0 ~ N(-60, 4)): (a) E raster over its 5-ms rate; (b) rate against input with linear fits; (c) a fast input step (12 -> 72 over 150-170 ms) in a 4000+1000 network with tau ~ N(20, 3) and the rate (10-ms window); (d) neuron #199's inputs and V with the threshold."""
    fig = plt.figure(figsize=(15, 10))
    grid = fig.add_gridspec(2, 2)
    run = _run(raster)
    sub = grid[0, 0].subgridspec(2, 1, height_ratios=(3, 1))
    ax_raster, ax_rate = fig.add_subplot(sub[0]), fig.add_subplot(sub[1])
    spike_raster(ax_raster, run, 0, "E", POPULATION_COLORS["E"], size=0.8)
    rate = population_rate(run, "E", 5.0)
    ax_rate.plot(rate["time_step"], rate, color="tab:red")
    ax_raster.set_title("(a) excitatory population")
    ax_raster.set_xticklabels([])
    ax_rate.set(xlabel="t (ms)", ylabel="E rate (Hz)")
    ax = fig.add_subplot(grid[0, 1])
    levels = rate_vs_input["I"].values
    for name, style in (("E", ":"), ("I", "--")):
        rates = rate_vs_input["rate_hz"].sel(population_name=name).values
        slope, intercept = np.polyfit(levels, rates, 1)
        ax.plot(levels, rates, "o", color=POPULATION_COLORS[name], label=f"{name}")
        ax.plot(levels, slope * levels + intercept, style, color=POPULATION_COLORS[name], label=f"{name} fit: {slope:.2f} Hz per unit + {intercept:.1f}")
    ax.set(xlabel="I_ext", ylabel="rate (Hz), 100-500 ms", title="(b) rate against input")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[1, 0])
    run_step = _run(step)
    keep = run_step["time"].values >= 100
    ax.plot(run_step["time"][keep], run_step["input_I"][keep], color="k", label="input current")
    twin = ax.twinx()
    twin.spines["right"].set_visible(True)
    width_ms = 10.0
    rate = population_rate(run_step, "E", width_ms)
    steps = rate["time_step"].values
    keep_rate = (steps >= 100) & (steps <= steps[-1] - width_ms)  # without the smoothing window's edge drop
    twin.plot(steps[keep_rate], _normalised(rate.values[keep_rate]), color="tab:red", label="E rate (normalised)")
    ax.set(xlabel="t (ms)", ylabel="I_ext", title="(c) response to a fast step")
    twin.set_ylabel("normalised E rate (10-ms window)", color="tab:red")
    ax = fig.add_subplot(grid[1, 1])
    neuron = _firing_neuron(run, 199)
    cell = run.sel(recorded_neuron=neuron)
    ax.plot(cell["time"], cell["I_exc"], color="tab:red", lw=1, label="E input")
    ax.plot(cell["time"], cell["I_inh"], color="tab:blue", lw=1, label="I input")
    ax.plot(cell["time"], cell["I_exc"] + cell["I_inh"] + setting(run, "I"), color="k", lw=1, label="total (+ I_ext)")
    twin = ax.twinx()
    twin.spines["right"].set_visible(True)
    twin.plot(cell["time"], _split_at_drops(cell["V"].values), color="tab:green", lw=1, label="V")
    threshold = json.loads(run.attrs["experiment_config"]).get("params", {}).get("V_th", -50.0)  # the model default
    twin.axhline(threshold, color="tab:green", ls=":", lw=1)
    twin.set_ylabel("V (mV); dotted: threshold", color="tab:green")
    ax.set(xlabel="t (ms)", ylabel="input (mV)", title=f"(d) neuron #{neuron}: the recorded neuron nearest #199 that fires")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.18), ncols=3, fontsize=8)
    return fig


def _split_at_drops(values: np.ndarray, drop_mv: float = 5.0) -> np.ndarray:
    """A network neuron's V with NaN after each reset (a fall of more than ``drop_mv`` in one
    record), so no line is drawn through it (its spikes are in the population's event list)."""
    split = values.astype(float).copy()
    split[1:][np.diff(values) < -drop_mv] = np.nan
    return split


def _firing_neuron(run: xr.Dataset, wanted: int) -> int:
    """Of the recorded neurons, the one nearest ``wanted`` that fires at least twice (the textbook's
    #199 stays silent in this network's draw); ``wanted``'s nearest if none fires."""
    recorded = run["recorded_neuron"].values
    times, neurons = run["spike_time_ms"].values, run["spike_neuron"].values
    counts = np.array([int(np.sum((neurons == n) & np.isfinite(times))) for n in recorded])
    order = np.argsort(np.abs(recorded - wanted), kind="stable")
    firing = [int(recorded[k]) for k in order if counts[k] >= 2]
    return firing[0] if firing else int(recorded[order[0]])


@register("ei_balance_sweep", models=("ei_network",))
def ei_balance_sweep(sweep: xr.Dataset, active_hz: float = 1.0, course_point: tuple[float, float] = (20.0, 6.7)) -> Figure:
    """Where the balanced asynchronous-irregular regime holds, over external input and inhibitory weight, several seeds per cell: the E rate (mean over seeds, log scale), the fraction of runs that stay active (E rate above 1 Hz; bistable cells die out in some seeds), and over the active runs the CV of ISI (contour CV = 0.8: irregular above), the Fano factor and the net/excitatory input; the star marks the course's network (I_ext = 20, w_inh = 6.7)."""
    from matplotlib.colors import LogNorm

    e = sweep.sel(population_name="E")
    seeds = "seed" in e.dims
    active = e["rate_hz"] > active_hz
    mean_over = (lambda v: v.mean("seed")) if seeds else (lambda v: v)
    fraction = mean_over(active.astype(float))
    x, y = sweep["I"].values, sweep["w_inh"].values
    n_seeds = e.sizes.get("seed", 1)
    rate = mean_over(e["rate_hz"]).transpose("w_inh", "I").values
    panels = [
        (rate, f"E rate, mean of {n_seeds} seeds", "E rate (Hz)", "viridis", LogNorm(vmin=max(np.nanmin(rate[rate > 0]), 0.1) if (rate > 0).any() else 0.1, vmax=max(np.nanmax(rate), 1.0))),
        (fraction.transpose("w_inh", "I").values, f"active runs (E rate > {active_hz:g} Hz)", "fraction of seeds", "Greens", (0, 1)),
    ]
    for name, title, units, cmap, limits in (("cv_isi", "CV of ISI, active runs", "CV of ISI", "magma", (0, 2)),
                                             ("fano_factor", "Fano factor, active runs", "Fano factor (100-ms counts)", "cividis", None),
                                             ("balance_index", "net / excitatory input, active runs", "net / excitatory input", "coolwarm", (-1, 1))):  # fmt: skip
        if name in e:
            panels.append((mean_over(e[name].where(active)).transpose("w_inh", "I").values, title, units, cmap, limits))
    cv_active = mean_over(e["cv_isi"].where(active)).transpose("w_inh", "I").values if "cv_isi" in e else None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.6), squeeze=False)
    for ax, (values, title, units, cmap, limits) in zip(axes[0], panels):
        norm = limits if not isinstance(limits, tuple) and limits is not None else None
        vmin, vmax = (limits if isinstance(limits, tuple) else (None, None))
        mesh = ax.pcolormesh(x, y, values, cmap=cmap, shading="nearest", norm=norm, vmin=None if norm else vmin, vmax=None if norm else vmax)
        ax.set_facecolor("0.85")  # cells with no active run
        fig.colorbar(mesh, ax=ax, label=units)
        if cv_active is not None and np.isfinite(cv_active).sum() > 3:
            ax.contour(x, y, np.where(np.isfinite(cv_active), cv_active, 0.0), levels=[0.8], colors="w", linewidths=1.5)
        ax.plot(*course_point, marker="*", ms=13, color="w", mec="k", ls="none")
        ax.set(xlabel="I_ext", ylabel="w_inh", title=title)
    fig.suptitle("white contour: CV of ISI = 0.8 over active runs; grey: no active run; star: the course's network (I_ext = 20, w_inh = 6.7)", fontsize=9)
    return fig
