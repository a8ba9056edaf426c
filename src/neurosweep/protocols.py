"""Input protocols: what a neuron receives at each time step.

A protocol is a kind (static) plus scalar fields (traced, so they can be swept). It declares the
inputs it produces (``outputs``, with units); a model takes the inputs it names and every input
it names that the protocol does not drive is zero. Inputs at step ``i`` are computed inside the
jitted loop from the step index, never stored as arrays, so a 20-s ramp costs no memory. Times
are compared in whole steps (``round(t_ms / dt)``), like BrainPy's ``section_input``, which makes
every edge land on the same step in float32 and float64.

Every produced input is a scalar per point and step (a stimulus on a ring is its centre and
strength; the model, which owns the positions, draws the profile). A protocol may draw random
numbers (resampled stimulus rates, OU noise): it gets the point's
protocol key (derived from the point's seed, never from the chunk) and may carry a state from
step to step.

Current-like fields are in the model's input unit (uA/cm2 for HH, the dimensionless input of LIF).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from neurosweep.rng import normals

__all__ = ["INPUT_UNIT", "PROTOCOLS", "Protocol", "protocol_inputs", "protocol_start"]

Fields = Mapping[str, jax.Array]


#: A field or output in the model's input unit (e.g. uA/cm2 for HH).
INPUT_UNIT = "input"


@dataclasses.dataclass(frozen=True)
class Protocol:
    """A protocol kind: its scalar fields with defaults (None = required) and units, and the
    inputs it produces with theirs.

    ``inputs(fields, i, dt)`` gives the inputs at step ``i``; a random or stateful protocol gives
    ``step(fields, i, dt, key, carry) -> (inputs, carry)`` instead, with ``start(fields)`` its
    first carry.
    """

    fields: Mapping[str, float | None]
    units: Mapping[str, str]
    list_fields: tuple[str, ...]
    inputs: Callable[[Fields, jax.Array, float], dict[str, jax.Array]] | None
    doc: str
    outputs: Mapping[str, str] = dataclasses.field(default_factory=lambda: {"I": INPUT_UNIT})
    step: Callable[..., tuple[dict[str, jax.Array], Any]] | None = None
    start: Callable[[Fields], Any] | None = None
    #: Fields with a restricted domain -> that domain (a key of ``neurosweep.models.base.DOMAINS``).
    domains: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: Fields that only scale a random draw: one that is zero at every point of an experiment
    #: reaches ``step`` as the number 0.0 (:func:`silent`), and the draw is skipped (zero times
    #: the draw is zero: the same inputs, without the cost of the draw).
    noise_scales: tuple[str, ...] = ()

    def field_units(self, model_inputs: Mapping[str, str]) -> dict[str, str]:
        """Each field's unit, the model's input unit filled in."""
        return _fill_input_unit(self.units, model_inputs)

    def output_units(self, model_inputs: Mapping[str, str]) -> dict[str, str]:
        """Each produced input's unit, the model's input unit filled in."""
        return _fill_input_unit(self.outputs, model_inputs)


def _fill_input_unit(units: Mapping[str, str], model_inputs: Mapping[str, str]) -> dict[str, str]:
    return {k: model_inputs.get("I", "1") if u == INPUT_UNIT else u for k, u in units.items()}


def _steps(t_ms: jax.Array, dt: float) -> jax.Array:
    return jnp.round(t_ms / dt)


def _constant(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    return {"I": f["I"]}


def _window(i: jax.Array, start_ms: jax.Array, length_ms: jax.Array, dt: float) -> jax.Array:
    start = _steps(start_ms, dt)
    return (i >= start) & (i < start + _steps(length_ms, dt))


def _pulse(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    inside = _window(i, f["t_start_ms"], f["duration_ms"], dt)
    return {"I": jnp.where(inside, f["I"], f["I_baseline"])}


def _pulse_train(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    start, period = _steps(f["t_start_ms"], dt), _steps(f["period_ms"], dt)
    since = i - start
    inside = (since >= 0) & (since < period * f["n_pulses"]) & (
        jnp.mod(since, period) < _steps(f["width_ms"], dt)
    )
    return {"I": jnp.where(inside, f["I"], f["I_baseline"])}


def _section(durations_ms: jax.Array, i: jax.Array, dt: float) -> tuple[jax.Array, jax.Array]:
    """The section step ``i`` falls in (the last one past the end), and whether ``i`` is past it."""
    ends = jnp.cumsum(_steps(durations_ms, dt))
    return jnp.minimum(jnp.searchsorted(ends, i, side="right"), ends.shape[-1] - 1), i >= ends[-1]


def _sections(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    # Past the last section the input is the last value, as if the protocol were held.
    index, _ = _section(f["durations_ms"], i, dt)
    return {"I": f["I_values"][index]}


def _ramp(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    # BrainPy ramp_input: linear from I_start to I_end on [t_start, t_end), zero outside.
    start, end = _steps(f["t_start_ms"], dt), _steps(f["t_end_ms"], dt)
    fraction = (i - start) / jnp.maximum(end - start, 1.0)
    value = f["I_start"] + (f["I_end"] - f["I_start"]) * fraction
    return {"I": jnp.where((i >= start) & (i < end), value, 0.0)}


def _ramp_hold(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    # I_start until t_start, linear to I_end at t_end, I_end after (a fast step with a rise time).
    start, end = _steps(f["t_start_ms"], dt), _steps(f["t_end_ms"], dt)
    fraction = jnp.clip((i - start) / jnp.maximum(end - start, 1.0), 0.0, 1.0)
    return {"I": f["I_start"] + (f["I_end"] - f["I_start"]) * fraction}


def _triangle(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    # Up from I_min to I_max over t_rise_ms, then back down over the same time (hysteresis scans).
    rise = _steps(f["t_rise_ms"], dt)
    fraction = jnp.clip(1.0 - jnp.abs(i - rise) / rise, 0.0, 1.0)
    return {"I": f["I_min"] + (f["I_max"] - f["I_min"]) * fraction}


def _sine(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    phase = 2.0 * jnp.pi * i * dt / f["period_ms"]
    return {"I": f["I_offset"] + f["amplitude"] * jnp.sin(phase)}


def _clamp(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    stepped = _window(i, f["t_hold_ms"], f["t_step_ms"], dt)
    V = f["V_hold_mV"] + jnp.where(stepped, f["V_step_mV"], 0.0)
    return {"I": jnp.zeros_like(V), "V_clamp": V}


def silent(value: Any) -> bool:
    """Whether a field of :attr:`Protocol.noise_scales` came as the number 0.0 (zero at every
    point of the experiment), so that the draw it scales can be skipped."""
    return isinstance(value, float) and value == 0.0


def _decision_stimulus(f: Fields, i: jax.Array, dt: float, key: jax.Array, carry: Any) -> tuple[dict[str, jax.Array], Any]:
    # Wang (2002): during the stimulus, the rates of A and B are redrawn every resample_ms from
    # N(mu0 (1 +/- c/100), sd); window w's draw comes from fold_in(key, w), so it needs no state.
    since = i - _steps(f["t_start_ms"], dt)
    inside = (since >= 0) & (since < _steps(f["duration_ms"], dt))
    window = jnp.floor_divide(since, jnp.maximum(_steps(f["resample_ms"], dt), 1.0)).astype(jnp.int32)
    # The kit's cheap normals: a threefry normal every step costs a fifth of a Wang trial's loop
    # (and 45 % of a reduced Wong-Wang trial's, whose stimulus has sd 0: then none is drawn).
    # The carry holds the window's draw, made again only when the window changes (a trial run
    # alone: one step in 500 at the defaults; under vmap both branches run, as before).
    if silent(f["sd_hz"]):
        noise = 0.0
    else:
        held, held_noise = carry
        current = jnp.maximum(window, 0)
        noise = jax.lax.cond(current != held, lambda: normals(jax.random.fold_in(key, current), (2,)).astype(held_noise.dtype), lambda: held_noise)
        carry = (current, noise)
    mean = f["mu0_hz"] * (1.0 + jnp.stack([1.0, -1.0]) * f["coherence"] / 100.0)
    rates = jnp.where(inside, mean + f["sd_hz"] * noise, 0.0)
    return {"stimulus_A_hz": rates[0], "stimulus_B_hz": rates[1]}, carry


def _moving_stimulus(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    # A stimulus on a ring: held at position_rad until t_start + move_delay, then moving at
    # speed_rad_per_ms for move_duration_ms, then held; wrapped to [-pi, pi). A model with
    # positions (a CANN's x) draws its own profile around the centre.
    inside = _window(i, f["t_start_ms"], f["duration_ms"], dt)
    moving_steps = jnp.clip(i - _steps(f["t_start_ms"] + f["move_delay_ms"], dt), 0.0, _steps(f["move_duration_ms"], dt))
    centre = f["position_rad"] + f["speed_rad_per_ms"] * moving_steps * dt
    wrapped = jnp.mod(centre + jnp.pi, 2.0 * jnp.pi) - jnp.pi
    return {"stimulus_position_rad": wrapped, "stimulus_amplitude": jnp.where(inside, f["amplitude"], 0.0)}


def _ring_sections(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    # Piecewise constant stimulus on a ring (a section_input of positions and strengths); zero after the last.
    index, after = _section(f["durations_ms"], i, dt)
    return {"stimulus_position_rad": f["positions_rad"][index], "stimulus_amplitude": jnp.where(after, 0.0, f["amplitudes"][index])}


def _no_input(f: Fields, i: jax.Array, dt: float) -> dict[str, jax.Array]:
    return {}


def _ou_noise(f: Fields, i: jax.Array, dt: float, key: jax.Array, noise: jax.Array) -> tuple[dict[str, jax.Array], Any]:
    # Euler-Maruyama of tau dx = -x dt + sqrt(2 tau) sigma dW: stationary sd sigma, correlation time tau.
    xi = normals(jax.random.fold_in(key, i), ()).astype(noise.dtype)
    ratio = dt / f["tau_ms"]
    noise = noise - ratio * noise + f["sigma"] * jnp.sqrt(2.0 * ratio) * xi
    return {"I": f["I_mean"] + noise}, noise


_I = INPUT_UNIT
#: "For the rest of the run": a motion longer than any simulation (11 days).
MOVE_FOREVER_MS = 1e9
PROTOCOLS: dict[str, Protocol] = {
    "constant": Protocol({"I": None}, {"I": _I}, (), _constant, "constant input I"),
    "pulse": Protocol(
        {"I": None, "t_start_ms": None, "duration_ms": None, "I_baseline": 0.0},
        {"I": _I, "I_baseline": _I, "t_start_ms": "ms", "duration_ms": "ms"},
        (),
        _pulse,
        "I on [t_start_ms, t_start_ms + duration_ms), I_baseline elsewhere",
    ),
    "pulse_train": Protocol(
        {
            "I": None,
            "t_start_ms": None,
            "width_ms": None,
            "period_ms": None,
            "n_pulses": None,
            "I_baseline": 0.0,
        },
        {
            "I": _I,
            "I_baseline": _I,
            "t_start_ms": "ms",
            "width_ms": "ms",
            "period_ms": "ms",
            "n_pulses": "1",
        },
        (),
        _pulse_train,
        "n_pulses pulses of width_ms every period_ms from t_start_ms",
    ),
    "sections": Protocol(
        {"I_values": None, "durations_ms": None},
        {"I_values": _I, "durations_ms": "ms"},
        ("I_values", "durations_ms"),
        _sections,
        "piecewise constant (BrainPy section_input): I_values[k] for durations_ms[k]",
    ),
    "ramp": Protocol(
        {"I_start": None, "I_end": None, "t_start_ms": None, "t_end_ms": None},
        {"I_start": _I, "I_end": _I, "t_start_ms": "ms", "t_end_ms": "ms"},
        (),
        _ramp,
        "linear ramp on [t_start_ms, t_end_ms), zero outside (BrainPy ramp_input)",
    ),
    "ramp_hold": Protocol(
        {"I_start": None, "I_end": None, "t_start_ms": None, "t_end_ms": None},
        {"I_start": _I, "I_end": _I, "t_start_ms": "ms", "t_end_ms": "ms"},
        (),
        _ramp_hold,
        "I_start, then linear to I_end on [t_start_ms, t_end_ms), then I_end",
    ),
    "triangle": Protocol(
        {"I_min": None, "I_max": None, "t_rise_ms": None},
        {"I_min": _I, "I_max": _I, "t_rise_ms": "ms"},
        (),
        _triangle,
        "I_min -> I_max over t_rise_ms and back down over t_rise_ms",
    ),
    "sine": Protocol(
        {"amplitude": None, "period_ms": None, "I_offset": 0.0},
        {"amplitude": _I, "period_ms": "ms", "I_offset": _I},
        (),
        _sine,
        "I_offset + amplitude sin(2 pi t / period_ms) (negative half-cycles are negative input)",
    ),
    "decision_stimulus": Protocol(
        {"coherence": None, "mu0_hz": 40.0, "sd_hz": 10.0, "resample_ms": 50.0, "t_start_ms": 100.0, "duration_ms": 1000.0},
        {"coherence": "%", "mu0_hz": "Hz", "sd_hz": "Hz", "resample_ms": "ms", "t_start_ms": "ms", "duration_ms": "ms"},
        (),
        None,
        "two-choice stimulus (Wang 2002): rates mu0 (1 + c/100) to A and mu0 (1 - c/100) to B on "
        "[t_start_ms, t_start_ms + duration_ms), each redrawn every resample_ms from N(mean, sd_hz); zero outside",
        outputs={"stimulus_A_hz": "Hz", "stimulus_B_hz": "Hz"},
        step=_decision_stimulus,
        start=lambda f: (jnp.int32(-1), jnp.zeros(2, jnp.result_type(f["mu0_hz"]))),  # no window drawn yet
        domains={"coherence": "[-100, 100]", "mu0_hz": ">= 0", "sd_hz": ">= 0", "resample_ms": "> 0", "duration_ms": ">= 0"},
        noise_scales=("sd_hz",),
    ),
    "moving_stimulus": Protocol(
        {"amplitude": None, "position_rad": 0.0, "speed_rad_per_ms": 0.0, "t_start_ms": 0.0, "duration_ms": None,
         "move_delay_ms": 0.0, "move_duration_ms": MOVE_FOREVER_MS},
        {"amplitude": _I, "position_rad": "rad", "speed_rad_per_ms": "rad/ms", "t_start_ms": "ms", "duration_ms": "ms",
         "move_delay_ms": "ms", "move_duration_ms": "ms"},
        (),
        _moving_stimulus,
        "a stimulus on a ring of strength amplitude on [t_start_ms, t_start_ms + duration_ms), centred at "
        "position_rad until t_start_ms + move_delay_ms, then moving at speed_rad_per_ms for move_duration_ms "
        "(default: to the end), then held; wrapped to [-pi, pi)",
        outputs={"stimulus_position_rad": "rad", "stimulus_amplitude": _I},
        domains={"duration_ms": ">= 0", "move_delay_ms": ">= 0", "move_duration_ms": ">= 0"},
    ),
    "ring_sections": Protocol(
        {"positions_rad": None, "amplitudes": None, "durations_ms": None},
        {"positions_rad": "rad", "amplitudes": _I, "durations_ms": "ms"},
        ("positions_rad", "amplitudes", "durations_ms"),
        _ring_sections,
        "piecewise constant stimulus on a ring: centre positions_rad[k] and strength amplitudes[k] for durations_ms[k]; none after",
        outputs={"stimulus_position_rad": "rad", "stimulus_amplitude": _I},
    ),
    "none": Protocol({}, {}, (), _no_input, "no input (a model driven by its own noise)", outputs={}),
    "ou_noise": Protocol(
        {"I_mean": 0.0, "sigma": None, "tau_ms": None},
        {"I_mean": _I, "sigma": _I, "tau_ms": "ms"},
        (),
        None,
        "I_mean plus Ornstein-Uhlenbeck noise of stationary sd sigma and correlation time tau_ms (starts at 0)",
        step=_ou_noise,
        start=lambda f: jnp.zeros_like(f["sigma"]),
        domains={"sigma": ">= 0", "tau_ms": "> 0"},
    ),
    "clamp": Protocol(
        {"V_hold_mV": None, "V_step_mV": None, "t_hold_ms": None, "t_step_ms": None},
        {"V_hold_mV": "mV", "V_step_mV": "mV", "t_hold_ms": "ms", "t_step_ms": "ms"},
        (),
        _clamp,
        "voltage clamp: V_hold_mV, stepped by V_step_mV on [t_hold_ms, t_hold_ms + t_step_ms)",
        outputs={"I": _I, "V_clamp": "mV"},
    ),
}

#: Inputs whose absence means "not applied" (no clamp: a free membrane).
_OPTIONAL = frozenset({"V_clamp"})


def protocol_start(kind: str, fields: Fields) -> Any:
    """The protocol's first carry (``()`` for a protocol without state)."""
    start = PROTOCOLS[kind].start
    return () if start is None else start(fields)


def protocol_inputs(
    kind: str, fields: Fields, i: jax.Array, dt: float, input_names: Mapping[str, str], dtype: Any, key: jax.Array, carry: Any
) -> tuple[dict[str, jax.Array], Any]:
    """Every input the model accepts at step ``i`` (plus ``t_ms``, the time at the step's start),
    and the protocol's next carry."""
    protocol = PROTOCOLS[kind]
    given, carry = protocol.step(fields, i, dt, key, carry) if protocol.step else (protocol.inputs(fields, i, dt), carry)
    # An input the protocol does not drive is absent when absence means "not applied"
    # (a clamp), so the model skips that branch at trace time; other inputs default to zero.
    inputs = {
        name: jnp.asarray(given.get(name, 0.0), dtype=dtype)
        for name in input_names
        if name in given or name not in _OPTIONAL
    }
    inputs["t_ms"] = i.astype(dtype) * dt
    return inputs, carry
