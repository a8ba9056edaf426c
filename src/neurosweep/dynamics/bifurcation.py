"""Locating bifurcations along a one-parameter sweep of fixed points (Dataset -> values).

The sweep comes from a ``fixed_points`` experiment with ``guesses`` (dims ``<axis>, fixed_point``).
A saddle-node is where two fixed points appear or vanish between neighbouring grid values; a
Hopf point is where a focus's eigenvalue real part changes sign (interpolated linearly). Both are
known to within the grid's resolution, reported with them.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["saddle_nodes", "hopf_points"]


def saddle_nodes(fixed_points: xr.Dataset, axis: str) -> xr.Dataset:
    """Midpoints (and half-widths) of the grid intervals where the fixed-point count changes by 2."""
    values = fixed_points[axis].values
    count = fixed_points["n_fixed_points"].transpose(axis).values
    # A grid value at (or next to) the fold itself can show the double root once: a change of
    # two may be spread over two intervals (2 -> 1 -> 0), so changes are grouped.
    starts, ends = [], []
    k = 0
    while k < len(count) - 1:
        if count[k + 1] == count[k]:
            k += 1
            continue
        end = k + 1
        while end < len(count) - 1 and count[end + 1] != count[end] and np.sign(count[end + 1] - count[end]) == np.sign(count[k + 1] - count[k]):
            end += 1
        if abs(int(count[end]) - int(count[k])) == 2:
            starts.append(k)
            ends.append(end)
        k = end
    low, high = values[np.asarray(starts, int)], values[np.asarray(ends, int)]
    return xr.Dataset(
        {
            "location": ("bifurcation", (low + high) / 2, {"long_name": f"saddle-node {axis}", "units": fixed_points[axis].attrs.get("units", "1")}),
            "resolution": ("bifurcation", (high - low) / 2, {"long_name": "half the grid interval around it"}),
        }
    )


def zero_crossings(values: np.ndarray, growth: np.ndarray) -> np.ndarray:
    """Where ``growth`` changes sign along ``values``, linearly interpolated (NaNs skipped)."""
    found = np.flatnonzero(np.isfinite(growth[:-1]) & np.isfinite(growth[1:]) & (np.sign(growth[:-1]) != np.sign(growth[1:])))
    return np.array([values[k] - growth[k] * (values[k + 1] - values[k]) / (growth[k + 1] - growth[k]) for k in found], dtype=float)


def hopf_points(fixed_points: xr.Dataset, axis: str) -> xr.Dataset:
    """Where the leading real part of a complex pair crosses zero along each fixed-point slot.

    A sweep with one fixed point per value (no ``fixed_point`` dim) is one slot.
    """
    if "fixed_point" not in fixed_points.dims:
        fixed_points = fixed_points.expand_dims("fixed_point")
    values = fixed_points[axis].values
    real = fixed_points["eigenvalue_real"].transpose(axis, "fixed_point", "eigen").values
    imag = fixed_points["eigenvalue_imag"].transpose(axis, "fixed_point", "eigen").values
    foci = np.where(np.abs(imag) > 0, real, -np.inf)
    leading = np.where(np.isfinite(foci).any(axis=-1), foci.max(axis=-1), np.nan)  # foci only
    found = np.sort(np.concatenate([zero_crossings(values, leading[:, slot]) for slot in range(leading.shape[1])]))
    return xr.Dataset({"location": ("bifurcation", found, {"long_name": f"Hopf {axis}", "units": fixed_points[axis].attrs.get("units", "1")})})
