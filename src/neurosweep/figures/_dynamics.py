"""Drawing helpers for phase lines, phase planes and fixed-point branches (reduced data only)."""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from neurosweep.figures._common import initial_value, points, split_at_resets

#: Fixed-point type code (``stability``) -> (label, colour); filled markers are stable.
STABILITY_STYLE = {1: ("stable node", "tab:blue"), 2: ("stable focus", "tab:cyan"), 3: ("unstable node", "tab:red"),
                   4: ("unstable focus", "tab:orange"), 5: ("saddle", "tab:purple"), 6: ("centre", "tab:gray"), 7: ("non-hyperbolic", "k")}  # fmt: skip


def _one(dataset: xr.Dataset) -> xr.Dataset:
    """A single sweep point: drop a length-1 ``point`` dim (pick points with ``.sel`` first)."""
    if "point" in dataset.dims:
        if dataset.sizes["point"] != 1:
            raise ValueError(f"expected one sweep point, got {dataset.sizes['point']}; select one first")
        dataset = dataset.isel(point=0)
    return dataset


def fixed_point_list(fixed: xr.Dataset, names: list[str]) -> list[tuple[dict[str, float], int]]:
    """The distinct fixed points of one sweep point as ``({variable: value}, stability code)``."""
    flat = points(fixed).isel(point=0) if "fixed_point" in fixed.dims else None
    if flat is None:
        return []
    return [({name: float(flat[name][k]) for name in names}, int(flat["stability"][k])) for k in range(int(flat["n_fixed_points"]))]


def phase_line(ax: Axes, line: xr.Dataset, fixed: xr.Dataset | None = None, n_arrows: int = 9, ylim: tuple[float, float] | None = None) -> None:
    """dV/dt against V (a 1-D vector field), its fixed points (filled stable, open unstable) and the flow on the axis."""
    line = _one(line)
    (rate_name,) = list(line.data_vars)
    rate = line[rate_name]
    (x_name,) = rate.dims
    x, dx = line[x_name].values, rate.values
    ax.plot(x, dx, color="k", lw=1.5)
    ax.axhline(0.0, color="0.5", lw=0.8)
    # Arrows on the axis show where the flow goes (right where dV/dt > 0).
    for position in np.linspace(x.min(), x.max(), n_arrows + 2)[1:-1]:
        direction = np.sign(np.interp(position, x, dx))
        if direction:
            span = 0.02 * (x.max() - x.min())
            ax.annotate("", xy=(position + direction * span, 0.0), xytext=(position - direction * span, 0.0),
                        arrowprops={"arrowstyle": "-|>", "color": "tab:green", "lw": 1.2})  # fmt: skip
    for state, code in fixed_point_list(fixed, [x_name]) if fixed is not None else []:
        label, color = STABILITY_STYLE.get(code, ("?", "k"))
        stable = code in (1, 2)
        ax.plot(state[x_name], 0.0, "o", ms=8, mec=color, mfc=color if stable else "w", mew=2, fillstyle="full" if code != 7 else "left", label=f"{label} {x_name} = {state[x_name]:.3f}", zorder=5)
    units = line[x_name].attrs.get("units")
    ax.set(xlabel=with_units(line, x_name), ylabel=f"d{x_name}/dt ({units}/ms)" if units and units != "1" else f"d{x_name}/dt", xlim=(x.min(), x.max()))
    if ylim is not None:
        ax.set_ylim(ylim)
    outside_legend(ax, below=True)


def phase_plane(
    ax: Axes, plane: xr.Dataset, fixed: xr.Dataset | None = None, trajectory: xr.Dataset | None = None, reset: float | None = None
) -> None:
    """Vector field (streamlines), nullclines (zero contours of each rate), fixed points, a trajectory split at resets."""
    plane = _one(plane)
    x_name, y_name = plane[next(iter(plane.data_vars))].dims
    x, y = plane[x_name].values, plane[y_name].values
    dx, dy = plane[f"d{x_name}_dt"].values.T, plane[f"d{y_name}_dt"].values.T
    ax.streamplot(x, y, dx, dy, color="0.75", density=1.0, linewidth=0.6, arrowsize=0.8)
    ax.contour(x, y, dx, levels=[0.0], colors="tab:blue", linewidths=1.5)
    ax.contour(x, y, dy, levels=[0.0], colors="tab:orange", linewidths=1.5)
    ax.plot([], [], color="tab:blue", label=f"{x_name} nullcline")
    ax.plot([], [], color="tab:orange", label=f"{y_name} nullcline")
    if reset is not None:
        ax.axvline(reset, color="0.3", ls="--", lw=1, label=f"{x_name}_reset = {reset:g}")
    if trajectory is not None:
        run = _one(points(trajectory))
        x_values, y_values = split_at_resets(run, x_name), run[y_name].values
        start = (initial_value(run, x_name), initial_value(run, y_name))
        if None not in start:  # the trajectory from its initial point (t = 0 is not recorded)
            x_values, y_values = np.r_[start[0], x_values], np.r_[start[1], y_values]
            ax.plot(*start, "k^", ms=6, label=f"start ({start[0]:g}, {start[1]:g})", zorder=6, clip_on=False)
        resets = np.isnan(x_values).any()
        ax.plot(x_values, y_values, color="k", lw=1, label="trajectory (split at resets)" if resets else "trajectory")
    if fixed is not None:
        found = fixed_point_list(fixed, [x_name, y_name])
        for state, code in found:
            label, color = STABILITY_STYLE.get(code, ("?", "k"))
            ax.plot(state[x_name], state[y_name], "o", ms=8, color=color, mec="k", label=f"{label} ({state[x_name]:.4f}, {state[y_name]:.4f})", zorder=5)
        if not found:
            ax.plot([], [], " ", label="no fixed point")
    ax.set(xlabel=with_units(plane, x_name), ylabel=with_units(plane, y_name), xlim=(x.min(), x.max()), ylim=(y.min(), y.max()))
    outside_legend(ax)


def with_units(dataset: xr.Dataset, name: str) -> str:
    """``name (units)`` from the coordinate's attrs (plain ``name`` if it has none)."""
    units = dataset[name].attrs.get("units") if name in dataset.variables else None
    return f"{name} ({units})" if units and units != "1" else name


def outside_legend(ax: Axes, below: bool = True) -> None:
    """The axes' legend outside its data: below the axes (or to its right), never over a curve."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if below:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, ncols=2 if len(labels) > 3 else 1)
    else:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)


def branch(ax: Axes, fixed: xr.Dataset, axis: str, variable: str) -> None:
    """Fixed-point branches against a swept parameter, coloured by stability."""
    values = fixed[axis].values
    states = fixed[variable].transpose(axis, "fixed_point").values
    codes = fixed["stability"].transpose(axis, "fixed_point").values
    for code, (label, color) in STABILITY_STYLE.items():
        mask = codes == code
        if mask.any():
            ax.plot(np.broadcast_to(values[:, None], states.shape)[mask], states[mask], ".", ms=3, color=color, label=label)
    units = fixed[variable].attrs.get("units")
    ax.set(xlabel=with_units(fixed, axis), ylabel=f"{variable}* ({units})" if units and units != "1" else f"{variable}*")
    outside_legend(ax)


def mark_bifurcations(ax: Axes, fixed: xr.Dataset, axis: str, hopf: bool = True, saddle_node: bool = True) -> None:
    """Dotted lines at the located saddle-node (with its grid half-width) and Hopf points, named
    in the legend (a label beside the line would lie over the branches it marks)."""
    from neurosweep.dynamics.bifurcation import hopf_points, saddle_nodes

    if saddle_node:
        found = saddle_nodes(fixed, axis)
        for location, resolution in zip(found["location"].values, found["resolution"].values):
            ax.axvline(location, color="k", ls=":", lw=1, label=f"saddle-node {axis} = {location:.3f} +/- {resolution:.3f}")
    if hopf:
        for location in hopf_points(fixed, axis)["location"].values:
            ax.axvline(location, color="k", ls="-.", lw=1, label=f"Hopf {axis} = {location:.3f}")
    outside_legend(ax)
