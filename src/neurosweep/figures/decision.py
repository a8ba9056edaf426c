"""Decision-making figures (course_figures.md section 3.4): the Wang (2002) spiking network."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurosweep.figures import register
from neurosweep.figures._common import points, population_rate, setting, spike_raster
from neurosweep.figures._dynamics import phase_plane

GROUP_COLORS = {"A": "tab:red", "B": "tab:blue"}
#: The course's smoothing of the population rates (``bp.measure.firing_rate`` width).
RATE_WIDTH_MS = 10.0


def _periods(dataset: xr.Dataset) -> tuple[float, float, float]:
    """Stimulus onset, offset and the end of the trial (ms), from the experiment's protocol."""
    config = json.loads(dataset.attrs["experiment_config"])
    protocol = {"t_start_ms": 100.0, "duration_ms": 1000.0, **config["protocol"]}
    onset = float(protocol["t_start_ms"])
    return onset, onset + float(protocol["duration_ms"]), float(dataset.attrs["t_stop_ms"])


def _winner(run: xr.Dataset, offset_ms: float) -> str:
    """The selective group with the higher rate over the delay (after the stimulus)."""
    rate = run["population_rate_hz"].sel(time_step=slice(offset_ms, None)).mean("time_step")
    return "A" if float(rate.sel(population_name="A")) >= float(rate.sel(population_name="B")) else "B"


def _trial(axes: list[Axes], run: xr.Dataset, periods: tuple[float, float, float], label_y: bool = True) -> None:
    """The course's four panels: rasters of A and B, their population rates, their input rates."""
    names = list(run["population_name"].values)
    for ax, name in zip(axes[:2], ("A", "B")):
        spike_raster(ax, run, names.index(name), name, GROUP_COLORS[name], size=1.5)
    for name in ("A", "B"):
        rate = population_rate(run, name, RATE_WIDTH_MS)
        axes[2].plot(rate["time_step"], rate, color=GROUP_COLORS[name], label=name)
        axes[3].plot(run["time"], run[f"input_stimulus_{name}_hz"], color=GROUP_COLORS[name], label=name)
    axes[2].set(ylabel="rate (Hz)")
    axes[3].set(ylabel="input rate (Hz)", xlabel="t (ms)")
    for ax in axes:
        for t in periods:
            ax.axvline(t, color="0.4", ls="--", lw=0.8)
        ax.set_xlim(0.0, periods[2])
        if not label_y:
            ax.set_ylabel("")


def _legend(fig: Figure, ax: Axes) -> None:
    """One legend for the groups' colours, outside the panels (the traces fill them)."""
    fig.legend(*ax.get_legend_handles_labels(), loc="outside upper right", ncol=2, title="group")


@register("dm_spiking_trial", models=("wang2002",))
def dm_spiking_trial(trials: xr.Dataset, seed_index: int = 0) -> Figure:
    """Wang (2002) spiking decision network, one trial: rasters of the selective groups A and B, their population rates (10-ms window) and the Poisson input rates (redrawn every 50 ms around mu0 (1 +/- c/100)); dashed lines at stimulus onset, offset and the end of the delay. The group with the stronger evidence wins and stays active through the delay."""
    run = points(trials).isel(point=seed_index)
    periods = _periods(trials)
    fig, axes = plt.subplots(4, 1, figsize=(10, 10), sharex=True, layout="constrained", gridspec_kw={"height_ratios": (2, 2, 1.5, 1.2)})
    _trial(list(axes), run, periods)
    _legend(fig, axes[2])
    winner = _winner(run, periods[1])
    fig.suptitle(f"c = {setting(run, 'coherence'):g} %, seed {int(run['seed']) if 'seed' in run.coords else json.loads(trials.attrs['seeds'])[0]}: {winner} wins")
    return fig


@register("dm_spiking_stochastic_c0", models=("wang2002",))
def dm_spiking_stochastic_c0(trials: xr.Dataset, n_shown: int = 3) -> Figure:
    """Wang (2002) at zero coherence over several seeds: the same four panels for a few runs (each winner shown where there is one of each), and which group won in every seed. The winner differs from seed to seed; in each run it sustains its rate through the delay while the loser is suppressed."""
    flat = points(trials)
    periods = _periods(trials)
    winners = [_winner(flat.isel(point=k), periods[1]) for k in range(flat.sizes["point"])]
    # Shown: the first run of each winner, then the next ones in seed order.
    first = [winners.index(name) for name in ("A", "B") if name in winners]
    shown = (first + [k for k in range(len(winners)) if k not in first])[:n_shown]
    fig, axes = plt.subplots(4, len(shown), figsize=(5 * len(shown), 10), sharex=True, squeeze=False, layout="constrained",
                             gridspec_kw={"height_ratios": (2, 2, 1.5, 1.2)})  # fmt: skip
    seeds = flat["seed"].values if "seed" in flat.coords else np.arange(len(winners))
    for column, k in enumerate(sorted(shown)):
        _trial(list(axes[:, column]), flat.isel(point=k), periods, label_y=column == 0)
        axes[0, column].set_title(f"seed {int(seeds[k])}: {winners[k]} wins")
    _legend(fig, axes[2, 0])
    tally = ", ".join(f"{int(s)}: {w}" for s, w in zip(seeds, winners))
    fig.suptitle(f"c = 0 %: A won {winners.count('A')} of {len(winners)} seeds ({tally})")
    return fig


@register("dm_rate_trial", models=("wong_wang",))
def dm_rate_trial(trials: xr.Dataset) -> Figure:
    """Reduced Wong-Wang model, deterministic trials (mu0 = 20 Hz from 100 to 2100 ms, dashed): the gating variables s1, s2 and the rates r1, r2 for each coherence. The population with the stronger evidence ramps up, crosses 20 Hz during the stimulus and stays elevated through the delay; the other is suppressed."""
    flat = points(trials)
    periods = _periods(trials)
    n = flat.sizes["point"]
    fig, axes = plt.subplots(2, n, figsize=(5 * n, 6), sharex=True, squeeze=False, layout="constrained")
    for k in range(n):
        run = flat.isel(point=k)
        for row, (first, second, label) in enumerate((("S1", "S2", "gating s"), ("r1", "r2", "rate (Hz)"))):
            ax = axes[row, k]
            ax.plot(run["time"], run[first], color=GROUP_COLORS["A"], label="population 1")
            ax.plot(run["time"], run[second], color=GROUP_COLORS["B"], label="population 2")
            for t in periods[:2]:
                ax.axvline(t, color="0.4", ls="--", lw=0.8)
            ax.set(ylabel=label if k == 0 else "", xlim=(0.0, periods[2]))
        axes[1, k].set_xlabel("t (ms)")
        axes[0, k].set_title(f"c = {setting(run, 'coherence'):g} %")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper right", ncol=2)
    return fig


@register("dm_rate_phase_plane", models=("wong_wang",))
def dm_rate_phase_plane(planes: xr.Dataset, fixed: xr.Dataset, trajectories: xr.Dataset) -> Figure:
    """Reduced Wong-Wang phase planes (s1, s2) for (mu0, c) = (0, -), (30, 0), (30, 14), (30, 100): vector field, nullclines, fixed points by type, and the trajectory from (0.1, 0.1) over 2 s. Without input three attractors (spontaneous state and two decisions); at mu0 = 30 the spontaneous state is gone; coherence tilts the basins; at c = 100 only population 1's decision is left."""
    # A zipped sweep keeps its "point" dim; the planes keep their (S1, S2) grid.
    flat_planes, flat_fixed, flat_runs = planes, points(fixed), points(trajectories)
    n = flat_planes.sizes["point"]
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 5.6), squeeze=False, layout="constrained")
    for k, ax in enumerate(axes[0]):
        plane = flat_planes.isel(point=k)
        phase_plane(ax, plane, flat_fixed.isel(point=[k]), flat_runs.isel(point=[k]))
        mu_a, mu_b = float(plane["stimulus_A_hz"]), float(plane["stimulus_B_hz"])
        mu0 = (mu_a + mu_b) / 2
        title = f"mu0 = {mu0:g} Hz" + (f", c = {100 * (mu_a - mu_b) / (mu_a + mu_b):.0f} %" if mu0 > 0 else "")
        ax.set(title=title, xlabel="s1", ylabel="s2" if k == 0 else "")
        # Below the plane: inside it the legend would cover nullclines and attractors.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=7)
    return fig


def _wilson(k: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95 % interval of a binomial proportion k/n."""
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


@register("dm_psychometric_rt", models=("wang2002", "wong_wang"))
def dm_psychometric_rt(noisy: xr.Dataset, deterministic: xr.Dataset, spiking: xr.Dataset | None = None) -> Figure:
    """Reduced Wong-Wang model, behaviour from many noisy trials (OU noise, decision at 20 Hz): (a) accuracy against coherence with Wilson intervals and the Weibull fit (threshold and slope with bootstrap intervals); (b) mean decision time (+/- sd) against coherence, beside the deterministic model's, with the trials that reached no decision counted; (c) the decision-time distribution at each coherence. With a third experiment, the Wang (2002) spiking network's accuracy and decision times (its smoothed rates of A and B at 20 Hz) are drawn in orange."""
    from neurosweep.analysis.decision import weibull_accuracy

    coherence = noisy["coherence"].values
    positive = coherence > 0
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")
    ax = axes[0]
    decided = (noisy["choice"] > 0).sum("seed").values
    n_correct = (noisy["correct"] == 1).sum("seed").values
    low, high = _wilson(n_correct[positive], np.maximum(decided[positive], 1))
    accuracy = noisy["accuracy"].values[positive]
    ax.errorbar(coherence[positive], accuracy, yerr=[accuracy - low, high - accuracy], fmt="o", color="k", capsize=3, label="simulated (95 % Wilson)")
    grid = np.geomspace(coherence[positive].min() / 2, 100.0, 200)
    alpha, beta = float(noisy["weibull_threshold_pct"]), float(noisy["weibull_slope"])
    (a_low, a_high), (b_low, b_high) = noisy["weibull_threshold_pct_ci"].values, noisy["weibull_slope_ci"].values
    ax.plot(grid, weibull_accuracy(grid, alpha, beta), color="tab:red",
            label=f"Weibull: alpha = {alpha:.1f} % [{a_low:.1f}, {a_high:.1f}],\nbeta = {beta:.2f} [{b_low:.2f}, {b_high:.2f}]")  # fmt: skip
    if spiking is not None:
        c_spiking = spiking["coherence"].values
        n_spiking = spiking.sizes["seed"]
        ax.plot(c_spiking[c_spiking > 0], spiking["accuracy"].values[c_spiking > 0], "D", color="tab:orange", label=f"spiking network ({n_spiking} trials each)")
    ax.axhline(0.5, color="0.6", ls=":", lw=1)
    ax.set(xscale="log", xlabel="coherence c (%)", ylabel="accuracy (fraction correct)", ylim=(0.4, 1.02), title="(a) psychometric function")
    ax.legend(loc="center right")  # under the plateau at 1, above chance: empty
    ax = axes[1]
    mean, sd = noisy["mean_decision_time_ms"].values, noisy["sd_decision_time_ms"].values
    ax.errorbar(coherence[positive], mean[positive], yerr=sd[positive], fmt="o-", color="k", capsize=3, label=f"noisy, mean +/- sd ({noisy.sizes['seed']} trials each)")
    det = deterministic["decision_time_ms"]
    det_c, det_t = det["coherence"].values, det.values
    ax.plot(det_c[det_c > 0], det_t[det_c > 0], "s--", color="tab:blue", label="deterministic")
    if spiking is not None:
        c_spiking = spiking["coherence"].values
        ax.plot(c_spiking[c_spiking > 0], spiking["mean_decision_time_ms"].values[c_spiking > 0], "D-", color="tab:orange", label="spiking network, mean")
    # From 0, so the counts below the shortest times stand clear of the data.
    ax.set(xscale="log", xlabel="coherence c (%)", ylabel="decision time from onset (ms)", title="(b) chronometric function", ylim=(0.0, None))
    ax.set_ylim(-0.12 * ax.get_ylim()[1], None)
    undecided = noisy["n_no_decision"].values
    c0 = float(mean[~positive][0]) if (~positive).any() else np.nan
    counts = [f"{c:g}%: {int(u)}" for c, u in zip(coherence, undecided)]
    half = (len(counts) + 1) // 2
    text = (f"c = 0: mean {c0:.0f} ms; deterministic: {'no decision' if np.isnan(det_t[det_c == 0]).all() else 'decides'}\n"
            f"no decision (of {noisy.sizes['seed']}): " + ", ".join(counts[:half]) + ",\n" + ", ".join(counts[half:]))  # fmt: skip
    ax.text(0.02, 0.02, text, transform=ax.transAxes, fontsize=8, va="bottom")
    ax.legend(loc="upper right")
    ax = axes[2]
    samples = [noisy["decision_time_ms"].sel(coherence=c).values for c in coherence]
    samples = [s[np.isfinite(s)] for s in samples]
    ax.violinplot([s if s.size else [np.nan] for s in samples], showmedians=True)
    ax.set_xticks(np.arange(1, len(coherence) + 1), [f"{c:g}" for c in coherence])
    ax.set(xlabel="coherence c (%)", ylabel="decision time from onset (ms)", title="(c) decision-time distributions")
    return fig


def _along(fixed: xr.Dataset, name: str, values: np.ndarray, units: str) -> xr.Dataset:
    """A zipped sweep of the two stimulus rates relabelled by the quantity it varies (mu0 or c)."""
    fixed = fixed.assign_coords({name: ("point", values, {"units": units, "long_name": name})})
    return fixed.swap_dims(point=name)


def _continued(ax: Axes, continued: xr.Dataset, axis: str, span: tuple[float, float]) -> None:
    """Continued branches (solid where stable, dashed where not) over the grid's ``span``, and the
    folds they locate there in the legend."""
    for k in range(continued.sizes["branch"]):
        one = continued.isel(branch=k)
        p, s1, stable = one[axis].values, one["S1"].values, one["stable"].values
        ax.plot(p, np.where(stable, s1, np.nan), color="k", lw=0.8)
        ax.plot(p, np.where(stable, np.nan, s1), color="k", lw=0.8, ls="--")
    located = continued[f"fold_{axis}"].values
    found = ", ".join(f"{v:.3f}" for v in located[(located >= span[0]) & (located <= span[1])])
    ax.plot([], [], color="k", lw=0.8, label=f"continuation; folds at {found}")
    ax.set_xlim(*span)


def _stability_windows(ax: Axes, fixed: xr.Dataset, axis: str) -> None:
    """Dotted lines where the number of stable fixed points changes (between grid values: the
    label gives the midpoint and half the interval) and that number written in each window."""
    values = fixed[axis].values
    n_stable = fixed["stable"].sum("fixed_point").transpose(axis).values
    edges = np.flatnonzero(np.diff(n_stable) != 0)
    cuts = [values[0], *((values[edges] + values[edges + 1]) / 2), values[-1]]
    half = np.diff(values).max() / 2
    for x in cuts[1:-1]:
        ax.axvline(x, color="k", ls=":", lw=1)
        # Above the branches (s1* < 0.75 here), under the window labels.
        ax.annotate(f"{x:.2f} +/- {half:.2f}", (x, 0.93), xycoords=("data", "axes fraction"), rotation=90, ha="right", va="top", fontsize=8)
    starts = [0, *(edges + 1)]
    for (low, high), start in zip(zip(cuts[:-1], cuts[1:]), starts):
        ax.annotate(f"{int(n_stable[start])} stable", ((low + high) / 2, 0.97), xycoords=("data", "axes fraction"), ha="center", va="top", fontsize=8)


@register("dm_rate_bifurcation", models=("wong_wang",))
def dm_rate_bifurcation(over_mu0: xr.Dataset, over_coherence: xr.Dataset, continued_mu0: xr.Dataset | None = None, continued_coherence: xr.Dataset | None = None) -> Figure:
    """Reduced Wong-Wang fixed points (dense parameter grids, Newton from a grid of guesses, as BrainPy's Bifurcation2D), coloured by type, with the number of stable states in each window: (a) s1* against mu0 at c = 0: one low symmetric state at small mu0, then tri-, bi- and tristable windows (pairs of saddle-nodes at the outer edges, where the decision states appear and vanish; the symmetric state changing stability at the inner ones) and one state again at large mu0; (b) s1* against coherence at mu0 = 30 Hz: the losing side's attractor meets the saddle in a saddle-node and disappears. With the continuation experiments, the branches traced through their folds by pseudo-arclength continuation are drawn over the grid (black, dashed where unstable) and the folds they locate are given."""
    from neurosweep.figures._dynamics import branch

    a, b = over_mu0["stimulus_A_hz"].values, over_mu0["stimulus_B_hz"].values
    by_mu0 = _along(over_mu0, "mu0", (a + b) / 2, "Hz")
    a, b = over_coherence["stimulus_A_hz"].values, over_coherence["stimulus_B_hz"].values
    by_coherence = _along(over_coherence, "coherence", 100.0 * (a - b) / (a + b), "%")
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
    panels = ((axes[0], by_mu0, "mu0", "(a) c = 0", continued_mu0), (axes[1], by_coherence, "coherence", "(b) mu0 = 30 Hz", continued_coherence))
    for ax, fixed, axis, title, continued in panels:
        branch(ax, fixed, axis, "S1")
        if continued is not None:
            values = fixed[axis].values
            margin = 0.02 * (values.max() - values.min())
            _continued(ax, continued, axis, (values.min() - margin, values.max() + margin))
        ax.set_ylim(-0.05, 1.0)
        _stability_windows(ax, fixed, axis)
        ax.set(title=title, xlabel=f"{axis} ({fixed[axis].attrs['units']})", ylabel="s1*")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)  # below: the branches fill the plane
    return fig
