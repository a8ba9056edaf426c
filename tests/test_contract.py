"""The model contract itself, on a toy field model defined here: dims and coordinates of a
variable, the per-step key, named inputs, and results independent of chunking."""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import simulate

from neurosweep.models import _registry
from neurosweep.models.base import ModelSpec, Setup, Variable, param, pytree_dataclass
from neurosweep.rng import normals


@pytree_dataclass
class RingParams:
    n_x: float = param(16, "1", "positions on the ring", domain="whole >= 1", structural=True)
    tau: float = param(10.0, "ms", "time constant", domain="> 0")
    sigma: float = param(0.0, "1", "noise amplitude", domain=">= 0")


@pytree_dataclass
class RingState:
    u: jax.Array


def _positions(params: RingParams) -> np.ndarray:
    n = int(params.n_x)
    return np.linspace(-np.pi, np.pi, n, endpoint=False)


def _init(params: RingParams, initial: Mapping[str, jax.Array], key: jax.Array, setup: Setup) -> RingState:
    return RingState(u=jnp.zeros(setup["n_x"], params.tau.dtype))


def _step(state: RingState, params: RingParams, inputs: Mapping[str, jax.Array], key: jax.Array, setup: Setup):
    x = jnp.asarray(np.linspace(-np.pi, np.pi, setup["n_x"], endpoint=False), state.u.dtype)
    drive = inputs["stimulus_amplitude"] * jnp.cos(x - inputs["stimulus_position_rad"])
    noise = params.sigma * normals(key, state.u.shape).astype(state.u.dtype)
    u = state.u + setup.dt * (drive - state.u) / params.tau + noise
    return RingState(u=u), {"bump_height": jnp.max(u)}


RING = ModelSpec(
    name="toy_ring",
    Params=RingParams,
    State=RingState,
    init_state=_init,
    step=_step,
    variables={"u": Variable("1", "activity", ("x",)), "bump_height": Variable("1", "largest activity")},
    inputs={"stimulus_position_rad": "rad", "stimulus_amplitude": "1"},
    spikes=None,
    methods=("euler",),
    static=lambda params, swept: {"n_x": int(params.n_x)},
    sizes=lambda params: {"x": int(params.n_x)},
    coords=lambda params: {"x": ("x", _positions(params), {"units": "rad", "long_name": "position on the ring"})},
    analyses=(),
    random=True,
)


@pytest.fixture(autouse=True)
def toy_ring(monkeypatch):
    monkeypatch.setitem(_registry(), "toy_ring", RING)


def _config(**changes) -> dict:
    base = {"model": "toy_ring", "dt_ms": 0.5, "t_stop_ms": 100.0,
            "protocol": {"kind": "moving_stimulus", "amplitude": 1.0, "position_rad": 1.0, "duration_ms": 100.0},
            "record": {"variables": ["u", "bump_height"], "every_ms": 5.0}}  # fmt: skip
    return {**base, **changes}


def test_a_field_is_stored_with_its_dim_and_coordinates():
    run = simulate(_config())
    assert run["u"].dims == ("point", "time", "x")
    assert run["x"].attrs["units"] == "rad" and run.sizes["x"] == 16
    assert run["bump_height"].dims == ("point", "time")
    # A static stimulus at 1 rad: u relaxes to cos(x - 1) (1 - e^{-t/tau}) with forward Euler's factor.
    final = run["u"].isel(point=0, time=-1)
    expected = np.cos(run["x"].values - 1.0) * (1.0 - (1.0 - 0.5 / 10.0) ** 200)
    np.testing.assert_allclose(final.values, expected, rtol=1e-5, atol=1e-6)
    assert float(run["x"][int(np.argmax(final.values))]) == pytest.approx(3 * np.pi / 8)  # the grid point nearest 1 rad
    assert "spike_time_ms" not in run  # a model without spikes stores none


def test_the_step_key_comes_from_the_point_seed_not_the_chunk():
    """The same draws whether a point runs alone or in a batch: equal to round-off (a batch of one
    is compiled without the batch axis, so XLA may order a sum differently), while seeds differ by
    the noise itself."""
    config = _config(params={"sigma": 0.1}, seeds=[4, 5, 6], precision="float64")
    together = simulate({**config, "chunk_size": 3})["u"].values
    for chunk in range(3):
        alone = simulate({**config, "chunk_size": 1}, chunk=chunk)["u"].values[0]
        np.testing.assert_allclose(alone, together[chunk], rtol=0, atol=1e-12)
    assert np.abs(together[0] - together[1]).max() > 0.1


def test_a_deterministic_model_gets_no_step_key(monkeypatch):
    """A model that does not declare ``random`` is given None: one that draws anyway fails loudly
    instead of reusing one key every step."""
    import dataclasses

    monkeypatch.setitem(_registry(), "toy_ring_undeclared", dataclasses.replace(RING, name="toy_ring_undeclared", random=False))
    with pytest.raises(Exception, match="key|None"):
        simulate({**_config(params={"sigma": 0.1}), "model": "toy_ring_undeclared"})


def test_a_recorded_element_subset_is_labelled_with_its_indices():
    run = simulate(_config(record={"variables": ["u"], "neurons": [0, 4], "every_ms": 5.0}))
    assert run["u"].dims == ("point", "time", "recorded_x")
    assert list(run["recorded_x"].values) == [0, 4]
