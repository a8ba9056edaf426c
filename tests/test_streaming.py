"""Collect and analyse streamed through dask into zarr give the same datasets as the in-memory
path (which reads every chunk at once), for grids (unsorted values, seeds), zips and networks."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neurosweep.experiments import parse_experiment
from neurosweep.jobs import analyse_job, collect_job
from neurosweep.runner import run_chunk
from neurosweep.store import open_dataset, provenance, stream_chunks, write_dataset

GRID = {
    "model": "lif",
    "dt_ms": 0.1,
    "t_stop_ms": 100,
    "params": {"tau_ref": 2},
    "init": {"V": 0},
    "protocol": {"kind": "ou_noise", "sigma": 6, "tau_ms": 5},
    # Unsorted values: the in-memory unstack orders them, so the stream must too.
    "sweep": {"grid": {"I_mean": [30, 15, 21, 26], "tau": [10, 5, 20]}},
    "seeds": [0, 1, 2],
    "chunk_size": 7,  # chunks that cut the grid's rows
    "record": {"variables": ["V"], "every_ms": 10},
}
ONE_SEED = {**GRID, "seeds": [3], "chunk_size": 5}  # the seed becomes a scalar coordinate
ZIP = {**GRID, "sweep": {"zip": {"I_mean": [30, 15, 21, 26, 40, 18], "tau": [10, 5, 20, 8, 12, 6]}}, "seeds": [4], "chunk_size": 2}
NETWORK = {
    "model": "ei_network",
    "dt_ms": 0.1,
    "t_stop_ms": 50,
    "params": {"n_exc": 80, "n_inh": 20, "p_conn": 0.2},
    "init": {"V": {"normal": [-55, 2]}},
    "protocol": {"kind": "constant"},
    "sweep": {"grid": {"I": [25, 20]}},
    "seeds": [0, 1, 2, 3, 4],
    "chunk_size": 4,
    "record": {"spikes": "statistics"},
    "analyses": ["spike_statistics"],  # per neuron, chunk by chunk (network_statistics reads its data whole)
}

#: A ring attractor: its ``bump`` analysis reads its dataset into memory even when it is large.
CANN = {
    "model": "cann1d",
    "t_stop_ms": 20,
    "params": {"k": 8.1, "J0": 4.0},
    "protocol": {"kind": "moving_stimulus", "amplitude": 10, "duration_ms": 20, "move_delay_ms": 5, "move_duration_ms": 10},
    "sweep": {"grid": {"speed_rad_per_ms": [0.47, 0.2, 0.1]}},
    "chunk_size": 1,
    "record": {"variables": ["u", "stimulus_position_rad"], "every_ms": 1},
}


@pytest.fixture(params=[GRID, ONE_SEED, ZIP, NETWORK, CANN], ids=["grid", "one_seed", "zip", "network", "cann"])
def chunk_stores(request, tmp_path):
    experiment = parse_experiment("x", request.param)
    paths = []
    for index in range(experiment.n_chunks):
        dataset = run_chunk(experiment, index)
        dataset.attrs.update(provenance(experiment))
        dataset.attrs["chunk"] = index
        paths.append(write_dataset(dataset, tmp_path / "chunks" / f"{index}.zarr"))
    assert len(paths) > 2
    return experiment, paths


def test_streamed_collect_and_analysis_equal_the_in_memory_ones(chunk_stores, tmp_path, monkeypatch):
    experiment, paths = chunk_stores
    monkeypatch.setattr("neurosweep.store.STREAM_BATCH", 2)  # several appends
    spec = experiment.to_json()
    collect_job(spec, paths, tmp_path / "memory.zarr")
    collect_job(spec, paths[::-1], tmp_path / "streamed.zarr", memory_mb=0.0)  # any order of inputs
    in_memory = open_dataset(tmp_path / "memory.zarr").load()
    xr.testing.assert_identical(open_dataset(tmp_path / "streamed.zarr").load(), in_memory)
    assert set(experiment.sweep_axes) <= set(in_memory.dims)
    analyse_job(spec, tmp_path / "memory.zarr", tmp_path / "analysis_memory.zarr")
    analyse_job(spec, tmp_path / "memory.zarr", tmp_path / "analysis_streamed.zarr", memory_mb=0.0)
    expected = open_dataset(tmp_path / "analysis_memory.zarr").load()
    rate = "bump_speed_rad_per_ms" if "bump" in experiment.analyses else "firing_rate_hz"
    assert np.isfinite(expected[rate]).any()
    xr.testing.assert_identical(open_dataset(tmp_path / "analysis_streamed.zarr").load(), expected)


def test_a_stream_writes_bounded_chunks(tmp_path):
    experiment = parse_experiment("x", GRID)
    paths = []
    for index in range(experiment.n_chunks):
        paths.append(write_dataset(run_chunk(experiment, index).assign_attrs(chunk=index), tmp_path / f"{index}.zarr"))
    stream_chunks(paths, tmp_path / "out.zarr", experiment.sweep_grid, chunk_bytes=256)
    streamed = open_dataset(tmp_path / "out.zarr", chunks={})
    for name, variable in streamed.data_vars.items():
        block = np.prod([c[0] for c in variable.chunks]) * variable.dtype.itemsize
        assert block <= max(256, variable.shape[-1] * variable.dtype.itemsize), name


def test_the_collect_streams_exactly_where_its_measured_peak_would_pass_the_budget():
    """The in-memory estimate on the measured cases (512 MB budget): the E/I grid (70.7 MB in 12
    chunk stores, 286 MB added in memory) is concatenated in memory; a 10^6-point sweep (60 MB
    over 248 stores, 721 MB in memory) streams."""
    from neurosweep.jobs import collects_in_memory

    assert collects_in_memory(70.7e6, 12, 512.0)
    assert not collects_in_memory(60e6, 248, 512.0)
    assert not collects_in_memory(120e6, 1, 512.0)  # four copies of it pass three quarters
