"""The bump of a continuous attractor network, and how it moves (Dataset -> Dataset).

``bump``: on a ring (a field ``u`` over ``x`` in rad), at every recorded time, the bump's
position (the population vector ``arg sum_i u_i exp(i x_i)``, which handles the wrap-around at
+-pi), height (max u), width (the u-weighted circular sd about the position) and, where the
stimulus centre was recorded, the bump's offset from it; per run, the travelling speed, the
state (silent, static bump, travelling wave), the lead over a moving stimulus and the period and
amplitude of the oscillation about it. ``fixed_point_manifold``: the fixed points of the
slow-point finder projected on their first two principal components, and their spectra. ``bump_2d``: on a torus (``u`` over ``y, x``), the centre
of mass (a population vector per axis), the height, and the step sizes of the centre.

Every quantity is NaN where there is no bump (height below :data:`SILENT_HEIGHT`).
"""

from __future__ import annotations

import json
import math

import numpy as np
import xarray as xr

__all__ = ["BUMP_STATES", "SILENT_HEIGHT", "TRAVELLING_SPEED_RAD_PER_MS", "ZERO_EIGENVALUE_PER_MS", "bump", "bump_2d", "critical_k", "fixed_point_manifold", "free_bump_height", "parameter", "wrap"]

#: A field whose max u is below this holds no bump ("silent"): the smallest stable bump (at k_c) of
#: the course's J0 = 4 network is 0.0087 high, the floor of input noise of sd 1e-4 under 1e-4.
SILENT_HEIGHT = 1e-3
#: A bump moving faster than this (over the second half of the run) is a travelling wave; slower
#: is a static bump (input noise of sd 0.1 makes the course's static bumps drift at under 1e-4 rad/ms).
TRAVELLING_SPEED_RAD_PER_MS = 3e-4
#: An oscillation about the stimulus smaller than this has no period (float jitter is not an oscillation).
OSCILLATION_MIN_RAD = 1e-3
#: A Jacobian eigenvalue with |Re| below this (1/ms) is the neutral (translation) direction of the ring
#: of fixed points: the finder leaves |q| < 1e-7, so |lambda| ~ 1e-4 at worst; the next is -1/(2 tau).
ZERO_EIGENVALUE_PER_MS = 1e-3
#: Codes of ``bump_state`` (CF flag_values / flag_meanings).
BUMP_STATES = ("silent", "static bump", "travelling wave")


def critical_k(J0: float, a: float, n_neurons: float) -> float:
    """k_c = rho J0^2 / (8 sqrt(2 pi) a), rho = N / 2 pi: above it no bump exists (Wu, Hamaguchi & Amari 2008)."""
    rho = n_neurons / (2.0 * math.pi)
    return rho * J0**2 / (8.0 * math.sqrt(2.0 * math.pi) * a)


def free_bump_height(k: float, J0: float, a: float, n_neurons: float) -> float:
    """U0 = [1 + sqrt(1 - k / k_c)] J0 / (4 sqrt(pi) a k), the height of the stable free bump (NaN above k_c).

    From the Gaussian ansatz u = U0 exp(-x^2 / (4 a^2)) with the sum over neurons taken as rho
    times the integral: U0 solves k rho sqrt(2 pi) a U0^2 - rho J0 U0 / sqrt(2) + 1 = 0 (the
    larger root is the stable bump); rho cancels from U0 but not from k_c.
    """
    ratio = k / critical_k(J0, a, n_neurons)
    return (1.0 + math.sqrt(1.0 - ratio)) * J0 / (4.0 * math.sqrt(math.pi) * a * k) if ratio <= 1 else math.nan


def parameter(dataset: xr.Dataset, name: str) -> xr.DataArray:
    """A model parameter of every run: its sweep coordinate, else the value the runs shared."""
    if name in dataset.coords:
        return dataset[name]
    return xr.DataArray(float(json.loads(dataset.attrs["model_params"])[name]))


def wrap(angle: xr.DataArray | np.ndarray) -> xr.DataArray | np.ndarray:
    """Angles wrapped to [-pi, pi) (by floor: half the time of the float remainder, which the
    bump analysis of a 256-point sweep spent a second on; the same to 1 ulp of 2 pi)."""
    return angle - 2.0 * np.pi * np.floor((angle + np.pi) / (2.0 * np.pi))


def _field(dataset: xr.Dataset) -> xr.DataArray:
    if "u" not in dataset:
        raise ValueError("a bump analysis needs the recorded field u (record: {variables: [u]})")
    return dataset["u"].clip(min=0.0)


def _population_vector(u: xr.DataArray, dim: str) -> xr.DataArray:
    """The angle of ``sum u exp(i x)`` along ``dim``."""
    x = u[dim]
    # skipna=False: a field with NaN (a diverged point) has no position (and nansum's masking
    # cost more than the products).
    return np.arctan2((u * np.sin(x)).sum(dim, skipna=False), (u * np.cos(x)).sum(dim, skipna=False))


def _speed(position: xr.DataArray) -> xr.DataArray:
    """|slope| of the unwrapped position over the second half of the run (rad/ms), by least squares."""
    half = position.isel(time=slice(position.sizes["time"] // 2, None))
    unwrapped = xr.apply_ufunc(np.unwrap, half, input_core_dims=[["time"]], output_core_dims=[["time"]])
    t = half["time"] - half["time"].mean()
    slope = ((unwrapped - unwrapped.mean("time")) * t).sum("time") / (t**2).sum()
    return np.abs(slope)


def _crossing_period(offset: np.ndarray, time: np.ndarray) -> float:
    """Twice the mean interval between the crossings of its mean by a 1-D signal (NaN with fewer than 3)."""
    good = np.isfinite(offset)
    if good.sum() < 4:
        return np.nan
    signal, t = offset[good] - offset[good].mean(), time[good]
    crossings = t[1:][np.diff(np.signbit(signal)) != 0]
    return float(2.0 * np.diff(crossings).mean()) if len(crossings) >= 3 else np.nan


def bump(dataset: xr.Dataset) -> xr.Dataset:
    """Position, height, width and motion of the bump of a 1-D field (see the module docstring)."""
    u = _field(dataset)
    height = u.max("x")
    present = height > SILENT_HEIGHT
    position = _population_vector(u, "x")
    position = position.where(present)
    offset = wrap(u["x"] - position)
    width = np.sqrt((u * offset**2).sum("x", skipna=False) / u.sum("x", skipna=False)).where(present)
    speed = _speed(position)
    final_present = present.isel(time=-1)
    state = xr.where(~final_present, 0, xr.where(speed > TRAVELLING_SPEED_RAD_PER_MS, 2, 1)).astype(np.int8)
    out = xr.Dataset(
        {
            "bump_position_rad": position.assign_attrs({"units": "rad", "long_name": "bump position (population vector)"}),
            "bump_height": height.assign_attrs({"units": dataset["u"].attrs.get("units", "1"), "long_name": "bump height (max u)"}),
            "bump_width_rad": width.assign_attrs({"units": "rad", "long_name": "bump width (u-weighted sd about its position)"}),
            "final_bump_height": (height.isel(time=-1, drop=True)).assign_attrs({"units": dataset["u"].attrs.get("units", "1"), "long_name": "bump height at the end of the run"}),
            "bump_speed_rad_per_ms": (speed.where(final_present)).assign_attrs({"units": "rad/ms", "long_name": "travelling speed over the second half of the run"}),
            "bump_state": state.assign_attrs({
                "long_name": "state of the network at the end of the run",
                "flag_values": list(range(len(BUMP_STATES))),
                "flag_meanings": " ".join(s.replace(" ", "_") for s in BUMP_STATES),
            }),
        }
    )  # fmt: skip
    if "n_neurons" in json.loads(dataset.attrs.get("model_params", "{}")):
        J0, a, n, k = (parameter(dataset, name) for name in ("J0", "a", "n_neurons", "k"))
        out["critical_k"] = xr.apply_ufunc(critical_k, J0, a, n, vectorize=True).assign_attrs(units="1", long_name="k_c (closed form)")
        out["free_bump_height_theory"] = xr.apply_ufunc(free_bump_height, k, J0, a, n, vectorize=True).assign_attrs(
            units="1", long_name="free bump height U0 (closed form, no adaptation)"
        )
    if "input_stimulus_position_rad" in dataset:
        stimulus = dataset["input_stimulus_position_rad"]
        shown = dataset["input_stimulus_amplitude"] > 0 if "input_stimulus_amplitude" in dataset else True
        difference = wrap(position - stimulus).where(shown)
        out["bump_minus_stimulus_rad"] = difference.assign_attrs(units="rad", long_name="bump position minus stimulus position (wrapped)")
        velocity = wrap(stimulus.diff("time", label="upper")) / stimulus["time"].diff("time", label="upper")
        direction = np.sign(velocity).reindex(time=stimulus["time"], fill_value=0.0)
        moving = (direction != 0) & shown
        lead = (difference * direction).where(moving)
        # The settled lead: the mean over the second half of the stimulus' motion.
        t_moving = stimulus["time"].where(moving)
        later = moving & (stimulus["time"] >= (t_moving.min("time") + t_moving.max("time")) / 2)
        out["tracking_lead_rad"] = lead.where(later).mean("time").assign_attrs(
            units="rad", long_name="lead of the bump over the moving stimulus (negative: lag), second half of the motion"
        )
        period = xr.apply_ufunc(
            _crossing_period, difference.where(later), stimulus["time"], input_core_dims=[["time"], ["time"]], vectorize=True
        )
        half_range = (difference.where(later).max("time") - difference.where(later).min("time")) / 2
        out["oscillation_period_ms"] = period.where(half_range > OSCILLATION_MIN_RAD).assign_attrs(units="ms", long_name="period of the bump's oscillation about the moving stimulus")
        out["oscillation_amplitude_rad"] = half_range.assign_attrs(units="rad", long_name="amplitude of the bump's oscillation about the moving stimulus")
    return out


def bump_2d(dataset: xr.Dataset) -> xr.Dataset:
    """Centre (a population vector along each axis of the torus), height and step sizes of a 2-D bump."""
    u = _field(dataset)
    height = u.max(("y", "x"))
    present = height > SILENT_HEIGHT
    centre_x = _population_vector(u.sum("y"), "x")
    centre_y = _population_vector(u.sum("x"), "y")
    centre_x, centre_y = centre_x.where(present), centre_y.where(present)
    step = np.hypot(wrap(centre_x.diff("time", label="upper")), wrap(centre_y.diff("time", label="upper")))
    return xr.Dataset(
        {
            "centre_x_rad": centre_x.assign_attrs({"units": "rad", "long_name": "bump centre, first feature"}),
            "centre_y_rad": centre_y.assign_attrs({"units": "rad", "long_name": "bump centre, second feature"}),
            "bump_height": height.assign_attrs({"units": dataset["u"].attrs.get("units", "1"), "long_name": "bump height (max u)"}),
            "centre_step_rad": (step.rename(time="step_time")).assign_attrs({"units": "rad", "long_name": "distance moved by the centre since the previous record"}),
        }
    )


def fixed_point_manifold(dataset: xr.Dataset) -> xr.Dataset:
    """The fixed points found by the slow-point finder in the plane of their first two principal
    components (a ring for a CANN), with the variance each explains, and per point the number of
    near-zero Jacobian eigenvalues (|Re| below :data:`ZERO_EIGENVALUE_PER_MS`) and the largest
    real part of the others."""
    u = dataset["u"]
    stacked = u.stack(candidate=[d for d in u.dims if d != "x"]).transpose("candidate", "x")
    converged = dataset["converged"].stack(candidate=[d for d in dataset["converged"].dims]).values
    values = stacked.values[converged]
    centred = values - values.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    projection = np.full((stacked.sizes["candidate"], 2), np.nan)
    projection[converged] = centred @ vt[:2].T
    pcs = xr.DataArray(projection, dims=("candidate", "component"), coords={"candidate": stacked["candidate"]}).unstack("candidate")
    real = dataset["eigenvalue_real"]
    near_zero = np.abs(real) < ZERO_EIGENVALUE_PER_MS
    return xr.Dataset(
        {
            "pc1": pcs.isel(component=0, drop=True).assign_attrs(units="1", long_name="fixed point: first principal component"),
            "pc2": pcs.isel(component=1, drop=True).assign_attrs(units="1", long_name="fixed point: second principal component"),
            "explained_variance_ratio": xr.DataArray(singular**2 / np.sum(singular**2), dims="pc").assign_attrs(units="1", long_name="fraction of the variance of the fixed points"),
            "n_zero_eigenvalues": near_zero.sum("eigen").assign_attrs(units="1", long_name=f"eigenvalues with |Re| < {ZERO_EIGENVALUE_PER_MS:g} /ms"),
            "largest_other_eigenvalue": real.where(~near_zero).max("eigen").assign_attrs(units="1/ms", long_name="largest real part of the other eigenvalues"),
        }
    )
