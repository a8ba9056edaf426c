"""The data of the layout test: every course figure's inputs, cut down to what its plot reads.

``python tests/figure_fixture.py [results_dir]`` (after a course run) writes, for each experiment
that a figure of ``config/config.yaml`` draws, ``tests/data/figures/<experiment>.zarr``: its
dataset merged with its analysis, without the large variables no plot reads (each plot is drawn
once while the variables it asks for are noted; the cut data must draw the same figure, else the
experiment is kept whole). ``tests/test_figure_layout.py`` draws every course figure from them.
Rebuild it when a figure or an experiment it draws changes.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from neurosweep.experiments import load_config  # noqa: E402
from neurosweep.figures import STYLE, render  # noqa: E402
from neurosweep.store import open_with_analysis  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "data" / "figures"
#: Variables with fewer elements than this are always kept (cheap, and safe for plots that iterate).
SMALL = 4096


@contextmanager
def _noting_times() -> Iterator[dict[str, set[float]]]:
    """Every time (ms) and position x picked by ``sel``/``isel`` on any Dataset or DataArray
    while the block runs."""
    picked: dict[str, set[float]] = {"time": set(), "x": set()}
    originals = {(kind, name): getattr(kind, name) for kind in (xr.Dataset, xr.DataArray) for name in ("sel", "isel")}

    def noting(kind, name):  # type: ignore[no-untyped-def]
        original = originals[(kind, name)]

        def wrapped(self, indexers=None, *args, **kwargs):  # type: ignore[no-untyped-def]
            result = original(self, indexers, *args, **kwargs)
            wanted = {**(indexers or {}), **kwargs}
            for dim in picked:
                if dim in wanted and dim in result.coords:
                    picked[dim].update(np.atleast_1d(np.asarray(result[dim].values, dtype=float)).tolist())
            return result

        return wrapped

    for (kind, name) in originals:
        setattr(kind, name, noting(kind, name))
    try:
        yield picked
    finally:
        for (kind, name), original in originals.items():
            setattr(kind, name, original)


def _blank_unpicked_times(dataset: xr.Dataset, picked: dict[str, set[float]]) -> xr.Dataset:
    """Field variables (dims time and x or y) NaN wherever no plot picked their time or their x:
    same shapes, and the NaNs compress to nothing."""
    if not picked["time"] or "time" not in dataset.dims:
        return dataset
    keep = xr.DataArray(np.isin(dataset["time"].values, sorted(picked["time"])), dims="time")
    if picked["x"] and "x" in dataset.dims:
        keep = keep | xr.DataArray(np.isin(dataset["x"].values, sorted(picked["x"])), dims="x")
    fields = [v for v in dataset.data_vars if "time" in dataset[v].dims and {"x", "y"} & set(dataset[v].dims)
              and dataset[v].size >= SMALL and np.issubdtype(dataset[v].dtype, np.floating)]  # fmt: skip
    return dataset.assign({v: dataset[v].where(keep) for v in fields})


@contextmanager
def _noting_reads() -> Iterator[set[str]]:
    """Every name asked of any Dataset (``ds[name]``, ``ds.name``) while the block runs."""
    names: set[str] = set()
    getitem, getattr_ = xr.Dataset.__getitem__, xr.Dataset.__getattr__

    def noted_getitem(self, key):  # type: ignore[no-untyped-def]
        for name in key if isinstance(key, list) else [key]:
            if isinstance(name, str):
                names.add(name)
        return getitem(self, key)

    def noted_getattr(self, name):  # type: ignore[no-untyped-def]
        names.add(name)
        return getattr_(self, name)

    xr.Dataset.__getitem__, xr.Dataset.__getattr__ = noted_getitem, noted_getattr  # type: ignore[method-assign]
    try:
        yield names
    finally:
        xr.Dataset.__getitem__, xr.Dataset.__getattr__ = getitem, getattr_  # type: ignore[method-assign]


def _drawn(plot: str, data: dict[str, xr.Dataset], figure_id: str, options: dict) -> bytes:
    with plt.style.context(STYLE):
        figure = render(plot, data, figure_id, options)
        figure.canvas.draw()
        pixels = bytes(figure.canvas.buffer_rgba())
    plt.close(figure)
    return pixels


def build(results: Path) -> None:
    config = load_config(REPO / "config" / "config.yaml")
    figures = config["figures"]
    data = {}
    for spec in figures.values():
        for name in spec["experiments"]:
            if name not in data:
                data[name] = open_with_analysis(results / name / "dataset.zarr", results / name / "analysis.zarr").load()
    read: dict[str, set[str]] = {name: set() for name in data}
    picked: dict[str, dict[str, set[float]]] = {name: {"time": set(), "x": set()} for name in data}
    for figure_id, spec in figures.items():
        inputs = {name: data[name] for name in spec["experiments"]}
        with _noting_reads() as names, _noting_times() as times:
            _drawn(spec.get("plot", figure_id), inputs, figure_id, spec.get("options", {}))
        for name in spec["experiments"]:
            read[name] |= names
            for dim, values in times.items():
                picked[name][dim] |= values
    cut = {}
    for name, dataset in data.items():
        keep = [v for v in dataset.data_vars if v in read[name] or dataset[v].size < SMALL]
        cut[name] = _blank_unpicked_times(dataset[keep], picked[name])
    for figure_id, spec in figures.items():
        plot, options = spec.get("plot", figure_id), spec.get("options", {})
        whole = _drawn(plot, {n: data[n] for n in spec["experiments"]}, figure_id, options)
        try:
            same = _drawn(plot, {n: cut[n] for n in spec["experiments"]}, figure_id, options) == whole
        except (KeyError, AttributeError, ValueError):
            same = False
        if not same:
            print(f"{figure_id}: drawn differently from the cut data; its experiments are kept whole")
            for name in spec["experiments"]:
                cut[name] = data[name]
    if FIXTURE.exists():
        shutil.rmtree(FIXTURE)
    FIXTURE.mkdir(parents=True)
    for name, dataset in cut.items():
        dataset = dataset.copy()
        for variable in dataset.variables.values():
            variable.encoding = {}  # the stores' chunking; the fixture is written in one chunk per variable
        dataset.to_zarr(FIXTURE / f"{name}.zarr", mode="w", consolidated=True)
    sizes = {name: sum(f.stat().st_size for f in (FIXTURE / f"{name}.zarr").rglob("*") if f.is_file()) for name in cut}
    total = sum(sizes.values())
    print(f"{len(cut)} experiments, {total / 1e6:.1f} MB; largest: " + ", ".join(f"{n} {s / 1e6:.2f} MB" for n, s in sorted(sizes.items(), key=lambda kv: -kv[1])[:5]))


def load(name: str) -> xr.Dataset:
    """One experiment's cut data (dataset merged with its analysis), for the layout test."""
    return xr.open_zarr(FIXTURE / f"{name}.zarr", consolidated=True).load()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "results")
