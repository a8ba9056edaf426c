"""Continuous attractor network figures (course_figures.md section 3.5): bumps on a ring and a sheet.

Every figure reads the recorded fields (``u``, ``I_ext``, ``g``, ``h``) and the ``bump``,
``bump_2d`` and ``fixed_point_manifold`` analyses; closed forms (k_c, the free bump's height)
come from the analysis too, never from the model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from neurosweep.analysis.bump import free_bump_height
from neurosweep.figures import register, register_animation
from neurosweep.figures._common import points, setting

U_STYLE = {"color": "tab:orange", "ls": "--", "label": "U"}
I_STYLE = {"color": "tab:blue", "label": "I_ext"}
X_LABEL = "x (rad)"
STATE_COLORS = ("0.85", "tab:blue", "tab:red")


def _at(run: xr.Dataset, t_ms: float) -> xr.Dataset:
    """The record nearest to ``t_ms``."""
    return run.sel(time=t_ms, method="nearest")


def _snapshot(ax: Axes, run: xr.Dataset, t_ms: float, u_scale: float = 1.0, input_label: str = "I_ext", arrow: bool = False) -> None:
    """I_ext(x) and U(x) (dashed) at ``t_ms``, the course's snapshot."""
    now = _at(run, t_ms)
    x = run["x"].values
    if "I_ext" in run:
        ax.plot(x, now["I_ext"], **{**I_STYLE, "label": input_label})
    u_label = "U" if u_scale == 1 else f"{u_scale:g} U"
    ax.plot(x, u_scale * now["u"], **{**U_STYLE, "label": u_label})
    if "bump_position_rad" in now and np.isfinite(now["bump_position_rad"]):
        ax.axvline(float(now["bump_position_rad"]), color="tab:orange", lw=0.6, alpha=0.6)
    if arrow and "input_stimulus_position_rad" in run:
        later = _at(run, t_ms + 1.0)["input_stimulus_position_rad"] - now["input_stimulus_position_rad"]
        if abs(float(later)) > 1e-9:
            top = ax.get_ylim()[1]
            direction = np.sign(float(later))
            ax.annotate("", xy=(0.5 + direction, 0.93 * top), xytext=(0.5, 0.93 * top), arrowprops={"arrowstyle": "->"})
    ax.set(title=f"t = {float(now['time']):g} ms", xlabel=X_LABEL, xlim=(-np.pi, np.pi))


def _snapshot_row(container: Figure, run: xr.Dataset, times: Sequence[float], ylabel: str, legend: str | None = "upper left", **snapshot: object) -> list[Axes]:
    """One snapshot per time side by side (shared y) in ``container`` (a figure or subfigure)."""
    axes = np.atleast_1d(container.subplots(1, len(times), sharey=True))
    for ax, t in zip(axes, times):
        _snapshot(ax, run, t, **snapshot)
    axes[0].set_ylabel(ylabel)
    if legend:
        axes[0].legend(loc=legend)
    return list(axes)


def _snapshots(run: xr.Dataset, times: Sequence[float], title: str, **snapshot: object) -> Figure:
    fig = plt.figure(figsize=(3.6 * len(times), 3.4), layout="constrained")
    _snapshot_row(fig, run, times, "input, synaptic input u (1)", **snapshot)
    fig.suptitle(title)
    return fig


def _one(dataset: xr.Dataset, index: int = 0) -> xr.Dataset:
    return points(dataset).isel(point=index)


def _break_at_wraps(t: np.ndarray, angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t, angle) with a NaN where the angle wraps at +-pi, so a line plot draws no jump across the axes."""
    jumps = np.flatnonzero(np.abs(np.diff(angle)) > np.pi) + 1
    return np.insert(t.astype(float), jumps, np.nan), np.insert(angle.astype(float), jumps, np.nan)


def _ring_axis(ax: Axes, ylabel: str) -> None:
    ax.set(xlabel="t (ms)", ylabel=ylabel, ylim=(-np.pi - 0.2, np.pi + 0.2), yticks=[-np.pi, 0, np.pi], yticklabels=["-π", "0", "π"])


def _position_panel(ax: Axes, run: xr.Dataset, stimulus: bool = True) -> None:
    """Bump position against time (wrapping at +-pi: no line across the jump), and the stimulus'."""
    t = run["time"].values
    ax.plot(*_break_at_wraps(t, run["bump_position_rad"].values), color="tab:orange", label="bump")
    if stimulus and "input_stimulus_position_rad" in run:
        shown = run["input_stimulus_amplitude"].values > 0 if "input_stimulus_amplitude" in run else np.ones_like(t, bool)
        ax.plot(*_break_at_wraps(t, np.where(shown, run["input_stimulus_position_rad"].values, np.nan)), color="tab:blue", lw=0.9, label="stimulus")
    _ring_axis(ax, "position (rad)")


# ---------------------------------------------------------------------------------------------


@register("cann_persistent_activity", models=("cann1d",))
def cann_persistent_activity(dataset: xr.Dataset, times_ms: Sequence[float] = (10.0, 20.0)) -> Figure:
    """CANN1D (k = 0.1, J0 = 1) with input noise: I_ext and U at t = 10 ms (stimulus on) and t = 20 ms (8 ms after it ended); the bump persists and relaxes to the free bump's height U0 (dotted, closed form)."""
    run = _one(dataset)
    fig = _snapshots(run, times_ms, "Persistent activity")
    if "free_bump_height_theory" in run:
        for ax in fig.axes:
            ax.axhline(float(run["free_bump_height_theory"]), color="0.4", ls=":", lw=0.9, label="U0 (closed form)")
        fig.axes[-1].legend(loc="upper left")
    return fig


@register("cann_smooth_tracking", models=("cann1d",))
def cann_smooth_tracking(dataset: xr.Dataset, times_ms: Sequence[float] = (10.0, 15.0, 20.0, 30.0)) -> Figure:
    """CANN1D (k = 8.1, J0 = 4) tracking a stimulus that moves from 0 to 1.5 pi over 10-20 ms: I_ext and U (dashed) snapshots, the arrow showing the stimulus' motion; the bump follows smoothly, lagging, and catches up once the stimulus stops (t = 30 ms)."""
    run = _one(dataset)
    fig = _snapshots(run, times_ms, "Smooth tracking", arrow=True)
    return fig


@register("cann_population_decoding", models=("cann1d",))
def cann_population_decoding(matching: xr.Dataset, coding: xr.Dataset, fast: xr.Dataset) -> Figure:
    """Population decoding with CANN1D: (i) template matching (k = 8.1): a bump formed at 0.5 moves to a noisy stimulus at 0 and keeps its smooth shape; (ii) population coding (k = 0.1): a noisy stimulus on 1-9 ms leaves a smooth bump; (iii) tracking a stimulus moving 0 -> 12 rad in 20 ms. Rows: the three protocols; columns: snapshots of I_ext and U."""
    rows = [
        (_one(matching), (5.0, 12.0, 39.8), "(i) template matching"),
        (_one(coding), (2.0, 8.0, 16.8), "(ii) population coding"),
        (_one(fast), (5.0, 10.0, 19.8), "(iii) fast tracking"),
    ]
    fig, axes = plt.subplots(3, 3, figsize=(11, 9), layout="constrained")
    for row, (run, times, title) in zip(axes, rows):
        for ax, t in zip(row, times):
            _snapshot(ax, run, t)
        row[0].set_ylabel(f"{title}\ninput, u (1)")
    axes[0, 0].legend(loc="upper left")
    return fig


@register("cann_sfa_traveling_wave", models=("cann1d_sfa",))
def cann_sfa_traveling_wave(dataset: xr.Dataset, times_ms: Sequence[float] = (10.0, 30.0, 50.0)) -> Figure:
    """CANN1D_SFA (m = 0.5, k = 0.1, tau_v = 10) driven only by input noise N(0, 0.1): U snapshots (the course's t = 10, 30, 50 ms) and the bump position against time for each seed, a sawtooth wrapping at +-pi: the bump forms and travels spontaneously at a constant speed (the mean speed over seeds in the title)."""
    flat = points(dataset)
    run = flat.isel(point=0)
    fig = plt.figure(figsize=(12, 6.4), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=(1, 1))
    _snapshot_row(top, run, times_ms, "synaptic input u (1)", legend="upper right")
    ax = bottom.subplots()
    for i in range(flat.sizes["point"]):
        one = flat.isel(point=i)
        ax.plot(*_break_at_wraps(one["time"].values, one["bump_position_rad"].values), lw=1, label=f"seed {int(one['seed'])}")
    _ring_axis(ax, "bump position (rad)")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    speed = float(flat["bump_speed_rad_per_ms"].mean())
    fig.suptitle(f"Travelling wave from adaptation (m = {setting(run, 'm'):g} > tau/tau_v = {setting(run, 'tau') / setting(run, 'tau_v'):g}): {speed:.3f} rad/ms")
    return fig


@register("cann_anticipative_tracking", models=("cann1d_sfa",))
def cann_anticipative_tracking(dataset: xr.Dataset, times_ms: Sequence[float] = (10.0, 200.0, 400.0)) -> Figure:
    """CANN1D_SFA (m = 10, tau_v = 10, k = 8.1) tracking a stimulus moving at v_ext: I_ext and 10 U at t = 10, 200, 400 ms for v_ext = 0.006 rad/ms (top), and the bump's lead over the stimulus against time for every v_ext (bottom): with strong adaptation the bump leads the moving stimulus instead of lagging behind it."""
    flat = points(dataset)
    run = flat.isel(point=0)
    fig = plt.figure(figsize=(12, 6.6), layout="constrained")
    top, bottom = fig.subfigures(2, 1)
    _snapshot_row(top, run, times_ms, "input, 10 u (1)", u_scale=10.0)
    top.suptitle(f"v_ext = {setting(run, 'speed_rad_per_ms'):g} rad/ms")
    ax = bottom.subplots()
    for i in range(flat.sizes["point"]):
        one = flat.isel(point=i)
        ax.plot(one["time"], one["bump_minus_stimulus_rad"], label=f"v_ext = {setting(one, 'speed_rad_per_ms'):g} rad/ms (mean lead {float(one['tracking_lead_rad']):.3f} rad)")
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set(xlabel="t (ms)", ylabel="bump - stimulus (rad)")
    ax.legend(loc="upper right")
    return fig


@register("cann_oscillatory_tracking", models=("cann1d_sfa",))
def cann_oscillatory_tracking(dataset: xr.Dataset) -> Figure:
    """CANN1D_SFA (tau_v = 50, k = 1, a = 0.3, A = 0.2, m = 0.3): the stimulus moves from 0 to 7.2 rad over 100-2100 ms and is then held. Top: bump and stimulus positions (wrapping at +-pi); bottom: the bump minus the stimulus. The bump oscillates about the moving stimulus, and keeps oscillating after it stops."""
    run = _one(dataset)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6.4), sharex=True, layout="constrained", gridspec_kw={"height_ratios": (1.4, 1)})
    _position_panel(ax1, run)
    ax1.set_xlabel("")
    ax1.legend(loc="upper left")
    ax1.set_title("Bump position")
    ax2.plot(run["time"], run["bump_minus_stimulus_rad"], color="k", lw=0.9)
    ax2.set(xlabel="t (ms)", ylabel="bump - stimulus (rad)")
    period, amplitude = float(run["oscillation_period_ms"]), float(run["oscillation_amplitude_rad"])
    ax2.set_title(f"oscillation while tracking: period {period:.0f} ms, amplitude {amplitude:.2f} rad")
    return fig


@register("cann2d_levy_flight", models=("cann2d",))
def cann2d_levy_flight(dataset: xr.Dataset, snapshot_step: int = 20, n_bins: int = 100) -> Figure:
    """CANN2D (100 x 100, k = 0.05, a = pi/10, tau_v = 100) with noisy adaptation (m ~ N(0.0095, 0.0007) each step, m tau_v / tau near 1), the course's 100-ms protocol: the connection profile of one neuron, m(t), the bump at step 20, the trajectory of the bump's centre and the histogram of its step sizes (log and the course's linear axes): many small steps and a few long jumps. The long jumps come while the bump forms from noise (first ~10 ms); once formed, at these parameters the bump drifts slowly (steps under 2e-3 rad/ms over 1000 ms in a check run)."""
    run = _one(dataset)
    params = json.loads(dataset.attrs["model_params"])
    J0, a = params["J0"], params["a"]
    x = run["x"].values
    fig, axes = plt.subplots(2, 3, figsize=(13, 8), layout="constrained")
    # The connection weights from the neuron at the centre: J0 exp(-d^2 / (2 a^2)) / (sqrt(2 pi) a) (the config's kernel).
    d2 = x[None, :] ** 2 + x[:, None] ** 2
    weights = J0 * np.exp(-0.5 * d2 / a**2) / (np.sqrt(2 * np.pi) * a)
    image = axes[0, 0].imshow(weights, extent=(x[0], x[-1], x[0], x[-1]), origin="lower", cmap="viridis")
    fig.colorbar(image, ax=axes[0, 0], label="weight from the centre neuron (1)")
    axes[0, 0].set(title="connectivity", xlabel="x (rad)", ylabel="y (rad)")
    axes[0, 1].plot(run["time"], run["m_step"], lw=0.5)
    axes[0, 1].axhline(setting(run, "tau") / setting(run, "tau_v"), color="tab:red", ls="--", lw=0.9)
    axes[0, 1].set(title="adaptation strength (dashed: tau/tau_v)", xlabel="t (ms)", ylabel="m (1)")
    bump = run["u"].isel(time=snapshot_step)
    image = axes[0, 2].imshow(bump.values, extent=(x[0], x[-1], x[0], x[-1]), origin="lower", cmap="magma")
    fig.colorbar(image, ax=axes[0, 2], label="u (1)")
    axes[0, 2].set(title=f"bump at step {snapshot_step} (t = {float(bump['time']):g} ms)", xlabel="x (rad)", ylabel="y (rad)")
    cx, cy = run["centre_x_rad"].values, run["centre_y_rad"].values
    axes[1, 0].plot(cx, cy, lw=0.6, color="0.3")
    axes[1, 0].scatter(cx, cy, c=run["time"].values, s=4, cmap="viridis", zorder=3)
    finite = np.isfinite(cx) & np.isfinite(cy)
    half = max(np.ptp(cx[finite]), np.ptp(cy[finite])) / 2 + 0.05
    mid = ((cx[finite].max() + cx[finite].min()) / 2, (cy[finite].max() + cy[finite].min()) / 2)
    axes[1, 0].set(title="centre trajectory (colour: time)", xlabel="centre x (rad)", ylabel="centre y (rad)", aspect="equal",
                   xlim=(mid[0] - half, mid[0] + half), ylim=(mid[1] - half, mid[1] + half))
    steps = run["centre_step_rad"].values
    steps = steps[np.isfinite(steps) & (steps > 0)]
    bins = np.logspace(np.log10(steps.min()), np.log10(steps.max()), n_bins // 2)
    axes[1, 1].hist(steps, bins=bins, color="tab:blue")
    axes[1, 1].set(xscale="log", yscale="log", title="step sizes (log axes)", xlabel="step size (rad per record)", ylabel="count")
    axes[1, 2].hist(steps, bins=n_bins, color="tab:blue")
    axes[1, 2].set(title="step sizes (log count axis)", xlabel="step size (rad per record)", ylabel="count", yscale="log")
    return fig


@register("cann_stp_traveling_wave", models=("cann1d_stp",))
def cann_stp_traveling_wave(dataset: xr.Dataset, track_ms: float = 100.0, times_ms: Sequence[float] = (100.0, 200.0, 300.0)) -> Figure:
    """CANN1D_STP (G = 0.5, tau_d = 50, k = 0.1, J0 = 12) driven by input noise: g and h at the neuron where u peaks at 100 ms (step 1000), and U snapshots at 100, 200, 300 ms. Depression destabilises the static bump: it travels, and the tracked neuron's resources h are depleted each time the bump passes."""
    run = _one(dataset)
    neuron = int(_at(run, track_ms)["u"].argmax("x"))
    fig = plt.figure(figsize=(12, 6.4), layout="constrained")
    top, bottom = fig.subfigures(2, 1)
    ax = top.subplots()
    trace = run.isel(x=neuron)
    ax.plot(trace["time"], trace["g"], label="g (facilitation)")
    ax.plot(trace["time"], trace["h"], label="h (resources)")
    ax.set(xlabel="t (ms)", ylabel="g, h (1)", title=f"neuron {neuron} (x = {float(run['x'][neuron]):.2f} rad), the peak of u at {track_ms:g} ms")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    _snapshot_row(bottom, run, times_ms, "synaptic input u (1)", legend=None)
    return fig


@register("cann_fixed_point_manifold", models=("cann1d",))
def cann_fixed_point_manifold(dataset: xr.Dataset, n_profiles: int = 4) -> Figure:
    """Fixed points of CANN1D (k = 0.1, a = 0.5) found by following the flow from bump candidates: in the plane of their first two principal components they form a ring (a continuous attractor); four of the fixed-point profiles; the Jacobian spectrum at each, with one eigenvalue at zero (the neutral translation) and the rest negative (the next at -1/2 per ms)."""
    flat = points(dataset)
    good = flat["converged"].values
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), layout="constrained")
    scatter = axes[0].scatter(flat["pc1"][good], flat["pc2"][good], c=flat["bump0_position_rad"][good], cmap="twilight", s=12)
    fig.colorbar(scatter, ax=axes[0], label="candidate's centre (rad)")
    ratio = flat["explained_variance_ratio"].values if "explained_variance_ratio" in flat else dataset["explained_variance_ratio"].values
    axes[0].set(title=f"{int(good.sum())} of {good.size} candidates are fixed points", xlabel=f"PC 1 ({100 * ratio[0]:.0f} % of variance)", ylabel=f"PC 2 ({100 * ratio[1]:.0f} %)", aspect="equal")
    chosen = np.flatnonzero(good)[np.linspace(0, good.sum() - 1, n_profiles + 1).astype(int)[:-1]]
    for i in chosen:
        axes[1].plot(flat["x"], flat["u"].isel(point=i).transpose("x"), label=f"centre {float(flat['bump0_position_rad'][i]):.2f} rad")
    axes[1].set(title="fixed-point profiles", xlabel=X_LABEL, ylabel="u (1)", xlim=(-np.pi, np.pi))
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8)
    real = flat["eigenvalue_real"].transpose("point", "eigen").values[good]
    imag = flat["eigenvalue_imag"].transpose("point", "eigen").values[good]
    n_shown = 12
    for row in real[:, :n_shown]:
        axes[2].plot(np.arange(1, n_shown + 1), row, "o", color="tab:blue", ms=4, alpha=0.3)
    axes[2].axhline(0.0, color="0.5", lw=0.8)
    n_zero = flat["n_zero_eigenvalues"].values[good]
    top = flat["largest_other_eigenvalue"].values[good]
    axes[2].set(
        title=f"Jacobian spectrum ({int(np.median(n_zero))} near 0; next {np.max(top):.2f} /ms)",
        xlabel="eigenvalue (largest real part first)",
        ylabel="Re λ (1/ms)",
    )
    axes[2].annotate(f"all eigenvalues real: |Im λ| < {np.abs(imag).max():.0e} /ms", (0.98, 0.5), xycoords="axes fraction", ha="right", fontsize=8)
    return fig


@register("cann_bump_height_vs_k", models=("cann1d",))
def cann_bump_height_vs_k(dataset: xr.Dataset) -> Figure:
    """The free bump's height against the inhibition k (after a 10-ms stimulus, 300 ms, no noise), for each J0: simulated (dots; crosses where no bump survived) against the closed form U0 = [1 + sqrt(1 - k/k_c)] J0 / (4 sqrt(pi) a k) (lines) and the critical k_c = rho J0^2 / (8 sqrt(2 pi) a) (dashed). Right: k U0 / J0 against k / k_c, where both J0 fall on one curve that drops to half its k -> 0 value at k_c, and ends."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    a, n_neurons = setting(dataset, "a"), setting(dataset, "n_neurons")
    floor = 0.5 * float(dataset["final_bump_height"].where(dataset["final_bump_height"] > 1e-3).min())
    for i, J0 in enumerate(dataset["J0"].values):
        one = dataset.sel(J0=J0)
        color = f"C{i}"
        k, height = one["k"].values, one["final_bump_height"].values
        kc = float(one["critical_k"].max())
        fine = np.geomspace(k.min(), kc, 400)
        theory = np.vectorize(free_bump_height)(fine, J0, a, n_neurons)
        alive = height > 1e-3
        left.plot(fine, theory, color=color, lw=1, label=f"U0 closed form, J0 = {J0:g}")
        left.plot(k[alive], height[alive], "o", color=color, ms=4, label=f"simulated, J0 = {J0:g}")
        left.plot(k[~alive], np.full((~alive).sum(), floor), "x", color=color, ms=5, label=f"no bump, J0 = {J0:g}")
        left.axvline(kc, color=color, ls="--", lw=0.9)
        left.annotate(f"k_c = {kc:.2f}", (kc, 1.4 * floor), xytext=(3, 0), textcoords="offset points", color=color, fontsize=8, rotation=90, va="bottom", ha="left")
        right.plot(fine / kc, fine * theory / J0, color=color, lw=1)
        right.plot(k / kc, k * height / J0, "o", color=color, ms=4, label=f"J0 = {J0:g}")
    left.set(xscale="log", yscale="log", xlabel="k (1)", ylabel="bump height at 300 ms (1)", title="Bump height against global inhibition")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=7, ncol=3)
    right.axvline(1.0, color="0.4", ls="--", lw=0.9)
    right.set(xlabel="k / k_c (1)", ylabel="k U / J0 (1)", title="Collapse onto one curve (lines: closed form)", xlim=(0, 1.3))
    right.legend(loc="upper right")
    return fig


@register("cann_sfa_phase_diagram", models=("cann1d_sfa",))
def cann_sfa_phase_diagram(dataset: xr.Dataset) -> Figure:
    """Adaptive CANN over (k, m), tau_v = 10, J0 = 4: silent, static bump or travelling wave at the end of a 600-ms run from a low bump (left), and the travelling speed (right), with the analytic boundaries m = tau/tau_v (travelling above) and k = k_c / (1 + m)^2 (a static bump exists left of it)."""
    state = dataset["bump_state"].transpose("m", "k")
    k, m = dataset["k"].values, dataset["m"].values
    tau, tau_v = setting(dataset, "tau"), setting(dataset, "tau_v")
    kc = float(dataset["critical_k"].max())
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), layout="constrained")
    cmap = ListedColormap(STATE_COLORS)
    mesh = axes[0].pcolormesh(np.arange(len(k) + 1) - 0.5, np.arange(len(m) + 1) - 0.5, state.values, cmap=cmap, norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3))
    bar = fig.colorbar(mesh, ax=axes[0], ticks=[0, 1, 2])
    bar.ax.set_yticklabels(["silent", "static bump", "travelling wave"])
    speed = dataset["bump_speed_rad_per_ms"].transpose("m", "k").where(state == 2)
    mesh = axes[1].pcolormesh(np.arange(len(k) + 1) - 0.5, np.arange(len(m) + 1) - 0.5, speed.values, cmap="viridis")
    fig.colorbar(mesh, ax=axes[1], label="travelling speed (rad/ms)")
    # Boundaries drawn in the index coordinates of the (uneven) grids.
    k_index = lambda value: np.interp(value, k, np.arange(len(k)))
    m_index = lambda value: np.interp(value, m, np.arange(len(m)))
    m_fine = np.linspace(m.min(), m.max(), 200)
    for ax in axes:
        ax.axhline(m_index(tau / tau_v), color="k", ls="--", lw=1.2, label=f"m = tau/tau_v = {tau / tau_v:g}")
        ax.plot(k_index(kc / (1 + m_fine) ** 2), m_index(m_fine), color="k", ls=":", lw=1.4, label=f"k = k_c/(1+m)^2, k_c = {kc:.0f}")
        ax.set_xticks(np.arange(len(k)), [f"{v:g}" for v in k], rotation=60)
        ax.set_yticks(np.arange(len(m)), [f"{v:g}" for v in m])
        ax.set(xlabel="k (1)", ylabel="m (1)")
    axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), fontsize=8, ncols=2)
    axes[0].set_title("state at the end of the run")
    axes[1].set_title("speed of the travelling wave")
    return fig


@register("cann_tracking_lead", models=("cann1d_sfa",))
def cann_tracking_lead(dataset: xr.Dataset) -> Figure:
    """Adaptive CANN (k = 8.1, J0 = 4, tau_v = 10) tracking a stimulus moving for 500 ms: the bump's mean lead over the stimulus (second half of the motion; negative: lag) against the stimulus speed, one line per adaptation strength m. Without adaptation the bump lags; with m above tau/tau_v = 0.1 it anticipates, by more the faster the stimulus and the stronger m."""
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    m_values = dataset["m"].values
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(m_values)))
    for color, m in zip(colors, m_values):
        one = dataset.sel(m=m)
        ax.plot(one["speed_rad_per_ms"], one["tracking_lead_rad"], "o-", color=color, ms=3, label=f"m = {m:g}")
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set(xlabel="stimulus speed (rad/ms)", ylabel="lead of the bump (rad)", title="Lag or lead against stimulus speed")
    ax.legend(loc="upper left", fontsize=8, ncol=2, title="adaptation")
    return fig


# ---------------------------------------------------------------------------------------------
# Animations: the tracking figures' bump as a GIF, beside the static snapshots.


def _bump_animation(run: xr.Dataset, title: str, u_scale: float = 1.0, every: int = 1) -> tuple[Figure, Callable[[int], None], int, list]:
    frames = run["time"].values[::every]
    u = u_scale * run["u"].transpose("time", "x").values[::every]
    stimulus = run["I_ext"].transpose("time", "x").values[::every] if "I_ext" in run else None
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    x = run["x"].values
    top = max(float(u.max()), float(stimulus.max()) if stimulus is not None else 0.0) * 1.1
    (u_line,) = ax.plot(x, u[0], **{**U_STYLE, "label": "U" if u_scale == 1 else f"{u_scale:g} U"})
    i_line = ax.plot(x, stimulus[0], **I_STYLE)[0] if stimulus is not None else None
    bottom = min(0.0, float(u.min()), float(stimulus.min()) if stimulus is not None else 0.0)
    ax.set(xlim=(-np.pi, np.pi), ylim=(bottom, top), xlabel=X_LABEL, ylabel="input, u (1)")
    ax.legend(loc="upper left")
    ax.set_title(title)
    clock = ax.text(0.98, 0.95, "", transform=ax.transAxes, ha="right", va="top")

    def update(index: int) -> None:
        u_line.set_ydata(u[index])
        if i_line is not None:
            i_line.set_ydata(stimulus[index])
        clock.set_text(f"t = {frames[index]:g} ms")

    return fig, update, len(frames), [line for line in (u_line, i_line, clock) if line is not None]


def _frames_every(run: xr.Dataset, n_frames: int) -> int:
    return max(1, run.sizes["time"] // n_frames)


@register_animation("cann_persistent_activity")
def animate_persistent(dataset: xr.Dataset) -> tuple[Figure, Callable[[int], None], int, list]:
    run = _one(dataset)
    return _bump_animation(run, "persistent activity", every=_frames_every(run, 80))


@register_animation("cann_smooth_tracking")
def animate_tracking(dataset: xr.Dataset) -> tuple[Figure, Callable[[int], None], int, list]:
    run = _one(dataset)
    return _bump_animation(run, "smooth tracking", every=_frames_every(run, 80))


@register_animation("cann_sfa_traveling_wave")
def animate_sfa(dataset: xr.Dataset) -> tuple[Figure, Callable[[int], None], int, list]:
    run = _one(dataset).sel(time=slice(None, 100.0))
    return _bump_animation(run, "travelling wave", every=_frames_every(run, 80))


@register_animation("cann_anticipative_tracking")
def animate_anticipative(dataset: xr.Dataset) -> tuple[Figure, Callable[[int], None], int, list]:
    run = _one(dataset)
    return _bump_animation(run, "anticipative tracking", u_scale=10.0, every=_frames_every(run, 80))


@register_animation("cann_oscillatory_tracking")
def animate_oscillatory(dataset: xr.Dataset) -> tuple[Figure, Callable[[int], None], int, list]:
    run = _one(dataset)
    return _bump_animation(run, "oscillatory tracking", every=_frames_every(run, 100))
