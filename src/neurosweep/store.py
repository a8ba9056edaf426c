"""Zarr in and out: atomic writes, provenance, and collecting chunks into one dataset.

Atomicity: zarr has none at store level, so a store is written under a hidden sibling name and
renamed into place (``os.replace`` of a directory is atomic on POSIX). A job killed half-way
leaves only ``.<name>.tmp-<pid>``, which nothing reads and the next write of that path removes; a
path that exists is complete.
"""

from __future__ import annotations

import dataclasses

import json
import math
import os
import platform
import shutil
import subprocess
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

__all__ = [
    "write_dataset",
    "open_dataset",
    "provenance",
    "as_stored",
    "concatenate_chunks",
    "stream_chunks",
    "STREAM_CHUNK_BYTES",
    "uniform_chunks",
    "open_experiment",
    "open_with_analysis",
    "experiment_dir",
]

#: Zarr format 3 stores with consolidated metadata: plain ``xarray.open_zarr`` opens them without
#: a warning and without listing the directory (where Snakemake leaves ``.snakemake_timestamp``).
_ZARR_OPTIONS = {"zarr_format": 3, "consolidated": True}
#: zarr-python's note on writing consolidated v3 metadata (xarray, zarr-python and our reader all use it).
_CONSOLIDATED_NOTE = "Consolidated metadata is currently not part"


def experiment_dir(name: str, results_dir: str | os.PathLike = "results") -> Path:
    return Path(results_dir) / name


def _encode_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    # zarr attrs are JSON: nested config goes in as a JSON string, numpy scalars as Python ones.
    encoded = {}
    for key, value in attrs.items():
        if isinstance(value, (dict, list, tuple)):
            value = json.dumps(value, sort_keys=True, default=str)
        elif isinstance(value, np.generic):
            value = value.item()
        encoded[key] = value
    return encoded


def _remove_stale_temporaries(path: Path) -> None:
    """Remove half-written stores of ``path`` left by killed writers (``.<name>.tmp-<pid>`` whose
    process is gone), and this process's own leftover."""
    for stale in path.parent.glob(f".{path.name}.tmp-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid() or not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _to_zarr(dataset: xr.Dataset, path: str | os.PathLike, **options: Any) -> None:
    """Write (or append, by ``options``) ``dataset`` to a zarr store: attrs JSON-encoded, the
    encodings read from the sources dropped."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_CONSOLIDATED_NOTE)
        as_stored(dataset).to_zarr(path, **options, **_ZARR_OPTIONS)


def write_dataset(dataset: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``dataset`` as a zarr v3 store at ``path``, atomically (temp sibling + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    _remove_stale_temporaries(path)
    _to_zarr(dataset, tmp, mode="w")
    if path.exists():
        shutil.rmtree(path)
    os.replace(tmp, path)
    return path


def open_dataset(path: str | os.PathLike, chunks: Any = None, drop_variables: Iterable[str] = ()) -> xr.Dataset:
    """Open a store written by :func:`write_dataset` (lazily with dask when ``chunks`` is given)."""
    with warnings.catch_warnings():
        # Snakemake leaves a .snakemake_timestamp file in directory outputs; zarr notes it.
        warnings.filterwarnings("ignore", message=".*snakemake_timestamp.*")
        # A store written before metadata was consolidated still opens (xarray falls back, and says so).
        warnings.filterwarnings("ignore", message="Failed to open Zarr store with consolidated metadata")
        return xr.open_zarr(path, chunks=chunks, zarr_format=3, consolidated=None, drop_variables=list(drop_variables) or None)


def _git_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def provenance(experiment: Any) -> dict[str, Any]:
    """Attributes that say how a dataset was made: config, seeds, versions, device, precision."""
    import jax

    from neurosweep import __version__

    device = jax.devices()[0]
    return {
        "experiment": experiment.name,
        "experiment_config": experiment.to_json(),
        "model": experiment.model.name,
        # Every parameter's value (the model's defaults with the config's), so a reader needs no model.
        "model_params": json.dumps(dataclasses.asdict(experiment.model.defaults(**experiment.params))),
        "kind": experiment.kind,
        "integrator": experiment.method,
        "dt_ms": experiment.dt_ms,
        "t_stop_ms": experiment.t_stop_ms,
        "precision": experiment.precision,
        "seeds": list(experiment.seeds),
        "neurosweep_version": __version__,
        "git_commit": _git_commit(),
        "jax_version": jax.__version__,
        "device": f"{device.platform}:{getattr(device, 'device_kind', '')}",
        "python_version": platform.python_version(),
    }


def _pad_ragged(part: xr.Dataset, dim: str, width: int) -> xr.Dataset:
    """Pad ``dim`` to ``width``: NaN for floats, -1 for integers (e.g. spike_neuron), False for flags."""
    padded = {}
    for name, variable in part.data_vars.items():
        if dim not in variable.dims:
            padded[name] = variable
            continue
        kind = variable.dtype.kind
        fill = np.nan if kind in "fc" else (-1 if kind in "iu" else False)
        padded[name] = variable.pad({dim: (0, width - part.sizes[dim])}, constant_values=fill)
    return xr.Dataset(padded, coords={k: v for k, v in part.coords.items() if dim not in v.dims}, attrs=part.attrs)


#: Dims whose length varies by chunk (each chunk trims them to its own widest point): padded to
#: the widest chunk's when chunks are concatenated.
RAGGED_DIMS = ("spike", "fixed_point")


def as_stored(dataset: xr.Dataset) -> xr.Dataset:
    """``dataset`` as :func:`open_dataset` gives it back from a store :func:`write_dataset` wrote:
    the attrs JSON-encoded, the encodings empty, every array C-ordered (numpy's reductions
    group their sums by the memory layout: a transposed view sums in another order). So a job
    can hand a dataset on in memory instead of writing and reading a store in between (tested
    against the round trip)."""
    stored = dataset.copy()
    stored.attrs = _encode_attrs(stored.attrs)
    for name in stored.variables:
        variable = stored[name].variable
        if isinstance(variable.data, np.ndarray) and not variable.data.flags.c_contiguous:
            variable.data = np.ascontiguousarray(variable.data)
        stored[name].attrs = _encode_attrs(stored[name].attrs)
        stored[name].encoding = {}
    return stored


def concatenate_chunks(parts: Sequence[xr.Dataset], grid_axes: Iterable[str] = ()) -> xr.Dataset:
    """Concatenate chunk datasets along ``point``; unstack a grid sweep into one dim per axis.

    Ragged dims (``spike``, ``fixed_point``) are padded to the widest chunk's (each chunk trims
    them to its own widest point).
    """
    parts = list(parts)
    for dim in RAGGED_DIMS:
        if dim in parts[0].dims:
            width = max(part.sizes[dim] for part in parts)
            parts = [_pad_ragged(part, dim, width) if part.sizes[dim] < width else part for part in parts]
    dataset = xr.concat(parts, dim="point", join="exact", data_vars="minimal", coords="minimal", compat="override")
    dataset = dataset.sortby("point")
    dataset.attrs = dict(parts[0].attrs)
    grid_axes = list(grid_axes)
    if grid_axes:
        for name in list(dataset.coords):
            if name not in grid_axes and name != "point" and dataset[name].dims == ("point",):
                if np.unique(dataset[name].values).size == 1:  # e.g. the single seed
                    dataset = dataset.assign_coords({name: dataset[name].values[0]})
        attrs = {axis: dataset[axis].attrs for axis in grid_axes}
        if len(grid_axes) == 1:
            dataset = dataset.swap_dims(point=grid_axes[0]).drop_vars("point")
        else:
            dataset = dataset.drop_vars("point").set_index(point=grid_axes).unstack("point")
        for axis in grid_axes:
            dataset[axis].attrs = attrs[axis]
        dataset = dataset.transpose(*grid_axes, ...)
    return dataset


#: Bytes per dask chunk of a streamed dataset (what each of dask's threads holds at a time).
STREAM_CHUNK_BYTES = 32 * 2**20


def uniform_chunks(dataset: xr.Dataset, limit_bytes: int) -> xr.Dataset:
    """Each variable rechunked to even dask chunks of at most ``limit_bytes`` (zarr needs even
    chunks), splitting the leading dims first so that a chunk stays a contiguous block."""
    import dask.array as da

    chunked = dataset.copy()
    for name, variable in dataset.variables.items():
        if not isinstance(variable.data, da.Array):
            continue
        itemsize = max(variable.dtype.itemsize, 1)
        chunks, budget = [], max(limit_bytes // itemsize, 1)
        for size in reversed(variable.shape):  # the trailing dims whole while they fit
            take = max(min(size, budget), 1)
            chunks.insert(0, take)
            budget = max(budget // max(size, 1), 1) if take == size else 1
        rechunked = dataset[name].chunk(dict(zip(variable.dims, chunks)))
        if name in dataset.coords:
            chunked = chunked.assign_coords({name: rechunked})
        else:
            chunked[name] = rechunked
    return chunked


def _unstack_grid(dataset: xr.Dataset, grid: Mapping[str, np.ndarray]) -> xr.Dataset:
    """Unstack ``point`` into one dim per grid axis by reshaping each variable (lazily, chunk by
    chunk): the points run through the grid in C order (:meth:`Experiment.point_columns`)."""
    import dask.array as da

    shape = tuple(len(values) for values in grid.values())
    if math.prod(shape) != dataset.sizes["point"]:
        raise ValueError(f"{dataset.sizes['point']} points are not the grid {dict(zip(grid, shape))}")
    variables, coords = {}, {}
    for name, variable in dataset.variables.items():
        if "point" not in variable.dims:
            (coords if name in dataset.coords else variables)[name] = variable
            continue
        variable = variable.transpose("point", ...)
        data = variable.data
        reshaped = data.reshape(shape + data.shape[1:]) if isinstance(data, da.Array) else np.reshape(data, shape + data.shape[1:])
        (coords if name in dataset.coords else variables)[name] = xr.Variable(tuple(grid) + variable.dims[1:], reshaped, variable.attrs)
    unstacked = xr.Dataset(variables, coords=coords, attrs=dataset.attrs)
    # pandas' unstack (the in-memory collect of several axes) orders each axis' values
    # ascending; a single axis keeps the config's order (a dim swap).
    for axis, values in grid.items() if len(grid) > 1 else ():
        order = np.argsort(values, kind="stable")
        if np.any(order != np.arange(len(values))):
            unstacked = unstacked.isel({axis: order})
    return unstacked


#: Chunk stores a stream opens at a time (each open one holds about 0.2 MB of metadata).
STREAM_BATCH = 32


def _gather_in_point_order(paths: list[str | os.PathLike], into: Path, dropped: list[str]) -> xr.Dataset:
    """Concatenate the chunk stores along ``point`` into one zarr store, :data:`STREAM_BATCH` at a
    time (ragged dims padded to the widest), so that what stays open does not grow with their
    number; returns it opened lazily."""
    order, widths = [], {}
    for path in paths:  # a first pass over the metadata only: each store's place and ragged widths
        part = open_dataset(path, chunks={})
        order.append(int(part.attrs["chunk"]) if "chunk" in part.attrs else int(part["point"].values[0]))
        for dim in RAGGED_DIMS:
            if dim in part.dims:
                widths[dim] = max(widths.get(dim, 0), part.sizes[dim])
        part.close()
    ordered = [path for _, path in sorted(zip(order, paths), key=lambda pair: pair[0])]
    for start in range(0, len(ordered), STREAM_BATCH):
        parts = [open_dataset(p, chunks={}, drop_variables=dropped) for p in ordered[start : start + STREAM_BATCH]]
        for dim, width in widths.items():
            parts = [_pad_ragged(part, dim, width) if part.sizes[dim] < width else part for part in parts]
        batch = xr.concat(parts, dim="point", join="exact", data_vars="minimal", coords="minimal", compat="override")
        if start == 0:
            points_per_chunk = parts[0].sizes["point"]
            whole = {dim: -1 for dim in batch.dims if dim != "point"}
        batch = batch.chunk({"point": points_per_chunk, **whole})
        if start == 0:
            _to_zarr(batch, into, mode="w")
        else:  # only what runs along point; the rest, attrs included, the first batch wrote
            appended = batch[[name for name in batch.data_vars if "point" in batch[name].dims]]
            appended = appended.drop_vars([name for name in appended.coords if "point" not in appended[name].dims])
            for name in appended.variables:
                appended[name].attrs = {}
            appended.attrs = {}
            _to_zarr(appended, into, mode="a", append_dim="point")
        for part in parts:
            part.close()
    return open_dataset(into, chunks={})


def stream_chunks(paths: Iterable[str | os.PathLike], output: str | os.PathLike, grid: Mapping[str, Any] | None = None,
                  attrs: Mapping[str, Any] | None = None, chunk_bytes: int = STREAM_CHUNK_BYTES) -> Path:  # fmt: skip
    """:func:`concatenate_chunks` of the chunk stores, written to ``output`` chunk by chunk through dask: the same dataset
    as the in-memory collect, with a few ``chunk_bytes`` per thread and :data:`STREAM_BATCH` chunk
    stores open at a time in memory, however many points and chunks the sweep has.

    ``grid``: the sweep's axes -> values in the order its points run through them (C order, as
    :attr:`Experiment.sweep_grid`); the points' coordinates are then not read (each chunk's
    ``chunk`` attribute gives its place). Without it the chunks are concatenated along ``point``.
    The chunks are first gathered in point order into a hidden sibling store, removed after.
    """
    import dask.array as da

    paths = list(paths)
    output = Path(output)
    first = open_dataset(paths[0], chunks={})
    grid = {axis: np.asarray(values) for axis, values in (grid or {}).items()}
    along_point = [name for name in first.coords if first[name].dims == ("point",)]
    units = {name: first[name].attrs for name in along_point}
    first_attrs = dict(first.attrs)
    first.close()
    gathered = output.with_name(f".{output.name}.gathered-{os.getpid()}")
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        # The grid's own coordinates come from the grid: not read, so no per-point index is built.
        dataset = _gather_in_point_order(paths, gathered, ["point", *grid] if grid else [])
        dataset.attrs = first_attrs if attrs is None else dict(attrs)
        if grid:
            for name in along_point:
                if name in grid or name not in dataset.coords:
                    continue
                values = dataset[name].data
                low, high = da.compute(values.min(), values.max()) if isinstance(values, da.Array) else (values.min(), values.max())
                if low == high:  # e.g. the single seed: a scalar coordinate, as in the in-memory collect
                    dataset = dataset.assign_coords({name: np.asarray(low, dtype=values.dtype)[()]})
            dataset = _unstack_grid(dataset, grid)
            dataset = dataset.assign_coords({axis: (axis, np.sort(values, kind="stable") if len(grid) > 1 else values, units.get(axis, {}))
                                        for axis, values in grid.items()})  # fmt: skip
            dataset = dataset.transpose(*grid, ...)
        return write_dataset(uniform_chunks(dataset, chunk_bytes), output)
    finally:
        shutil.rmtree(gathered, ignore_errors=True)


def open_experiment(name: str, results_dir: str | os.PathLike = "results", analysis: bool = False) -> xr.Dataset:
    """The collected dataset of experiment ``name`` (merged with its analysis if asked)."""
    folder = experiment_dir(name, results_dir)
    path = folder / "dataset.zarr"
    if not path.exists():
        available = sorted(p.parent.name for p in Path(results_dir).glob("*/dataset.zarr"))
        raise FileNotFoundError(f"no results for experiment {name!r} in {results_dir}/; available: {available}")
    if analysis:
        return open_with_analysis(path, folder / "analysis.zarr")
    return open_dataset(path)


def open_with_analysis(dataset_path: str | os.PathLike, analysis_path: str | os.PathLike) -> xr.Dataset:
    """A collected dataset merged with its analysis (same coordinates, exactly). Where both have
    a variable of one name (a network's per-neuron ``cv_isi`` counted in the loop, the analysis's
    per population), the analysis's is kept."""
    analysis = open_dataset(analysis_path)
    dataset = open_dataset(dataset_path)
    return xr.merge([dataset.drop_vars([name for name in analysis.data_vars if name in dataset.data_vars]), analysis], compat="override", join="exact")
