"""Storage: atomic writes, provenance, collecting chunks, loading as labelled data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import neurosweep
from neurosweep import jobs, store
from neurosweep.experiments import parse_experiment

CONFIG = {
    "model": "lif",
    "dt_ms": 0.1,
    "t_stop_ms": 100,
    "protocol": {"kind": "constant"},
    "sweep": {"grid": {"I": [18.0, 25.0, 40.0], "tau": [5.0, 10.0]}},
    "chunk_size": 4,
}


def _run_pipeline(tmp_path, config=CONFIG, name="sweep"):
    experiment = parse_experiment(name, config)
    spec = experiment.to_json()
    chunks = []
    for k in range(experiment.n_chunks):
        path = tmp_path / name / "chunks" / f"{k}.zarr"
        jobs.simulate_job(spec, k, path)
        chunks.append(path)
    jobs.collect_job(spec, chunks, tmp_path / name / "dataset.zarr")
    jobs.analyse_job(spec, tmp_path / name / "dataset.zarr", tmp_path / name / "analysis.zarr")
    return experiment


def test_load_gives_sweep_dims_units_and_provenance(tmp_path):
    _run_pipeline(tmp_path)
    data = neurosweep.load("sweep", results_dir=tmp_path, analysis=True)
    assert data["firing_rate_hz"].dims == ("I", "tau")
    assert data["I"].values.tolist() == [18.0, 25.0, 40.0]
    assert data["tau"].attrs["units"] == "ms"
    assert data["firing_rate_hz"].attrs["units"] == "Hz"
    assert data["spike_time_ms"].attrs["units"] == "ms"
    for key in ("experiment_config", "git_commit", "jax_version", "device", "precision", "neurosweep_version", "seeds"):
        assert key in data.attrs, key
    assert json.loads(data.attrs["experiment_config"])["model"] == "lif"
    assert data.attrs["precision"] == "float32"
    # below rheobase no spikes; rate rises with I and falls with tau
    rates = data["firing_rate_hz"]
    assert float(rates.sel(I=18.0).max()) == 0.0
    assert np.all(rates.sel(tau=5.0).values[1:] > rates.sel(tau=10.0).values[1:])


def test_spikes_are_stored_as_events_not_dense(tmp_path):
    _run_pipeline(tmp_path)
    data = neurosweep.load("sweep", results_dir=tmp_path)
    assert "spike" in data.dims and data.sizes["spike"] == int(data["n_spikes"].max())
    assert data.sizes["spike"] < round(100 / 0.1) / 10


def test_interrupted_write_leaves_no_store_that_reads_as_complete(tmp_path, monkeypatch):
    dataset = xr.Dataset({"x": ("point", np.arange(3.0))})
    target = tmp_path / "out.zarr"

    def crash(self, path, **kwargs):  # writes part of a store, then dies
        (path / "zarr.json").parent.mkdir(parents=True, exist_ok=True)
        (path / "zarr.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_zarr", crash)
    with pytest.raises(KeyboardInterrupt):
        store.write_dataset(dataset, target)
    assert not target.exists()
    monkeypatch.undo()
    store.write_dataset(dataset, target)
    xr.testing.assert_identical(store.open_dataset(target).load(), dataset)


def test_rewriting_a_store_replaces_it(tmp_path):
    target = tmp_path / "out.zarr"
    store.write_dataset(xr.Dataset({"x": ("point", np.arange(3.0))}), target)
    store.write_dataset(xr.Dataset({"y": ("point", np.arange(2.0))}), target)
    assert list(store.open_dataset(target).data_vars) == ["y"]


def test_load_names_the_available_experiments(tmp_path):
    _run_pipeline(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no results for experiment 'nope'.*available: \['sweep'\]"):
        neurosweep.load("nope", results_dir=tmp_path)


def test_zip_sweep_keeps_point_with_coordinates(tmp_path):
    config = {**CONFIG, "sweep": {"zip": {"I": [25.0, 40.0], "tau": [5.0, 10.0]}}}
    _run_pipeline(tmp_path, config, name="zipped")
    data = neurosweep.load("zipped", results_dir=tmp_path)
    assert data["n_spikes"].dims == ("point",)
    assert data["I"].dims == ("point",) and data["tau"].values.tolist() == [5.0, 10.0]


def test_a_store_opens_with_plain_xarray_without_a_warning(tmp_path):
    """A results folder copied elsewhere opens with ``xarray.open_zarr`` as it is: consolidated
    metadata, and Snakemake's timestamp file inside a directory output is never listed."""
    import warnings

    import numpy as np
    import xarray as xr

    from neurosweep.store import write_dataset

    dataset = xr.Dataset({"rate_hz": ("point", np.arange(3.0), {"units": "Hz"})}, attrs={"experiment": "x"})
    path = write_dataset(dataset, tmp_path / "results" / "x" / "dataset.zarr")
    (path / ".snakemake_timestamp").write_text("")
    copied = tmp_path / "elsewhere.zarr"
    import shutil

    shutil.copytree(path, copied)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opened = xr.open_zarr(copied)
    assert opened.attrs["experiment"] == "x" and opened["rate_hz"].attrs["units"] == "Hz"


def test_a_store_written_without_consolidated_metadata_still_opens(tmp_path):
    """Results written before stores carried consolidated metadata are read as they are."""
    import warnings

    import numpy as np
    import xarray as xr

    from neurosweep.store import open_dataset

    path = tmp_path / "old.zarr"
    xr.Dataset({"rate_hz": ("point", np.arange(3.0))}).to_zarr(path, mode="w", zarr_format=3, consolidated=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opened = open_dataset(path).load()
    np.testing.assert_array_equal(opened["rate_hz"].values, np.arange(3.0))


@pytest.mark.parametrize("in_memory", [True, False])
def test_a_small_experiment_run_as_one_job_writes_what_three_jobs_write(tmp_path, monkeypatch, in_memory):
    """simulate + collect + analyse in one job (a small experiment of one chunk) gives the same
    dataset and analysis as the three jobs, whether it hands the chunk on in memory or through a
    hidden store (data beyond the budget), and leaves no chunk store behind."""
    from neurosweep.experiments import runs_as_one_job

    if not in_memory:
        monkeypatch.setattr(jobs, "collects_in_memory", lambda *args: False)

    config = {**CONFIG, "chunk_size": 6}
    experiment = _run_pipeline(tmp_path / "three", config)
    assert runs_as_one_job(experiment)
    assert not runs_as_one_job(parse_experiment("sweep", CONFIG))  # two chunks
    one = tmp_path / "one" / "sweep"
    jobs.simulate_collect_job(experiment.to_json(), one / "dataset.zarr", one / "analysis.zarr")
    for name in ("dataset.zarr", "analysis.zarr"):
        expected = store.open_dataset(tmp_path / "three" / "sweep" / name).load()
        got = store.open_dataset(one / name).load()
        volatile = ("created_utc", "wall_time_s", "hostname")  # provenance of the moment
        xr.testing.assert_identical(got.drop_attrs(), expected.drop_attrs())
        assert {k: v for k, v in got.attrs.items() if k not in volatile} == {k: v for k, v in expected.attrs.items() if k not in volatile}
    assert sorted(p.name for p in one.iterdir()) == ["analysis.zarr", "dataset.zarr"]


def test_a_dataset_as_stored_is_what_a_store_gives_back(tmp_path):
    """as_stored (attrs JSON-encoded, arrays C-ordered) equals a write and a read: values, dtypes,
    attrs, and the memory layout numpy's sums depend on."""
    import xarray as xr

    values = np.random.default_rng(0).normal(size=(7, 5, 3))
    dataset = xr.Dataset(
        {"rate_hz": (("a", "b", "c"), values, {"units": "Hz", "window_ms": [0.0, 500.0]})},
        coords={"a": np.arange(7), "b": ("b", list("vwxyz"))},
        attrs={"config": {"k": 1, "nested": {"x": [1, 2]}}, "seed": np.int64(3)},
    ).transpose("c", "a", "b")  # views: not C-ordered
    store.write_dataset(dataset, tmp_path / "d.zarr")
    read = store.open_dataset(tmp_path / "d.zarr").load()
    stored = store.as_stored(dataset)
    xr.testing.assert_identical(stored, read)
    for name in read.variables:
        assert stored[name].attrs == read[name].attrs and stored[name].dtype == read[name].dtype
        assert stored[name].values.flags.c_contiguous
    assert stored.attrs == read.attrs
    np.testing.assert_array_equal(stored["rate_hz"].std("a").values, read["rate_hz"].std("a").values)
