"""The bump of a continuous attractor network, and how it moves (Dataset -> Dataset).

``bump``: on a ring (a field ``u`` over ``x`` in rad), at every recorded time, the bump's
position (the population vector ``arg sum_i u_i exp(i x_i)``, which handles the wrap-around at
+-pi), height (max u), width (the u-weighted circular sd about the position) and, where the
stimulus centre was recorded, the bump's offset from it; per run, the travelling speed, the
state (silent, static bump, travelling wave), the lead over a moving stimulus and the period and
amplitude of the oscillation about it. ``bump_2d``: on a torus (``u`` over ``y, x``), the centre
of mass (a population vector per axis), the height, and the step sizes of the centre.

Every quantity is NaN where there is no bump (height below :data:`SILENT_HEIGHT`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["SILENT_HEIGHT", "TRAVELLING_SPEED_RAD_PER_MS", "BUMP_STATES", "bump", "bump_2d", "wrap"]

#: A field whose max u is below this holds no bump ("silent").
SILENT_HEIGHT = 1e-2
#: A bump moving faster than this (over the second half of the run) is a travelling wave; slower
#: is a static bump (noise makes a static bump diffuse at well under 1e-4 rad/ms in the course's runs).
TRAVELLING_SPEED_RAD_PER_MS = 1e-3
#: An oscillation about the stimulus smaller than this has no period (float jitter is not an oscillation).
OSCILLATION_MIN_RAD = 1e-3
#: Codes of ``bump_state`` (CF flag_values / flag_meanings).
BUMP_STATES = ("silent", "static bump", "travelling wave")


def wrap(angle: xr.DataArray | np.ndarray) -> xr.DataArray | np.ndarray:
    """Angles wrapped to [-pi, pi)."""
    return (angle + np.pi) % (2.0 * np.pi) - np.pi


def _field(dataset: xr.Dataset) -> xr.DataArray:
    if "u" not in dataset:
        raise ValueError("a bump analysis needs the recorded field u (record: {variables: [u]})")
    return dataset["u"].clip(min=0.0)


def _population_vector(u: xr.DataArray, dim: str) -> tuple[xr.DataArray, xr.DataArray]:
    """(angle, |vector|/sum) of ``sum u exp(i x)`` along ``dim``."""
    x = u[dim]
    cos, sin = (u * np.cos(x)).sum(dim), (u * np.sin(x)).sum(dim)
    return np.arctan2(sin, cos), np.hypot(cos, sin) / u.sum(dim)


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
    position, _ = _population_vector(u, "x")
    position = position.where(present)
    offset = wrap(u["x"] - position)
    width = np.sqrt((u * offset**2).sum("x") / u.sum("x")).where(present)
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
    centre_x, _ = _population_vector(u.sum("y"), "x")
    centre_y, _ = _population_vector(u.sum("x"), "y")
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
