"""The pipeline's stages, one function each: what a Snakemake script calls.

simulate (one chunk) -> collect (one dataset per experiment) -> analyse -> figure.
Each takes plain paths and the experiment's config, so it runs the same from Snakemake, a test
or a notebook.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from neurosweep.experiments import Experiment, parse_experiment

__all__ = ["animation_job", "simulate_job", "simulate_collect_job", "collect_job", "analyse_job", "figure_job", "experiment_from_json", "spec_from_config"]

log = logging.getLogger("neurosweep")


def experiment_from_json(spec: str | Mapping[str, Any]) -> Experiment:
    """Rebuild an experiment from :meth:`Experiment.to_json` (what rules pass as params)."""
    raw = json.loads(spec) if isinstance(spec, str) else dict(spec)
    name = raw.pop("name")
    return parse_experiment(name, raw)  # its chunk_size is in the spec, resolved


def spec_from_config(config: Mapping[str, Any], name: str) -> str:
    """Experiment ``name`` of a whole config as the JSON a job takes (what a rule's script
    passes: the config reaches a job whole, so its description is not a rerun trigger)."""
    from neurosweep.experiments import chunking, experiment_config

    return parse_experiment(name, experiment_config(config, name), *chunking(config)).to_json()


def simulate_job(spec: str, chunk_index: int, output: str | os.PathLike, jax_cache_dir: str | None = None) -> None:
    """Run chunk ``chunk_index`` of the experiment and write it atomically to ``output``."""
    from neurosweep.store import write_dataset

    write_dataset(_simulated(experiment_from_json(spec), chunk_index, jax_cache_dir), output)


def _simulated(experiment: Experiment, chunk_index: int, jax_cache_dir: str | None) -> xr.Dataset:
    """Chunk ``chunk_index`` of ``experiment``, simulated, with its provenance; logged."""
    from neurosweep.runtime import configure_jax, require_device
    from neurosweep.runner import run_chunk
    from neurosweep.store import provenance

    configure_jax(jax_cache_dir, experiment.device)
    require_device(experiment.device, experiment.name)
    started = time.perf_counter()
    dataset = run_chunk(experiment, chunk_index)
    dataset.attrs.update(provenance(experiment))
    dataset.attrs["chunk"] = chunk_index
    n_diverged = int(dataset["diverged"].sum()) if "diverged" in dataset else 0
    log.info(
        "%s chunk %d: %d points in %.2f s on %s (%s); %d diverged",
        experiment.name, chunk_index, dataset.sizes.get("point", 1), time.perf_counter() - started,
        dataset.attrs["device"], experiment.precision, n_diverged,
    )  # fmt: skip
    if n_diverged:
        log.warning("%s chunk %d: %d sweep points diverged (flagged in `diverged`)", experiment.name, chunk_index, n_diverged)
    return dataset


#: Experiment kinds that write one store, whatever their sweep: their collect has nothing to concatenate.
_ONE_STORE_KINDS = ("function", "vector_field", "continuation")


def memory_mb(config: Mapping[str, Any]) -> float:
    """A job's memory budget: the config's ``chunk_memory_mb``."""
    from neurosweep.experiments import chunking

    return chunking(config)[1]


#: An analyse job reads its dataset at once while it takes at most this share of its memory
#: budget, and streams it otherwise (an analysis makes float64 temporaries of the whole field).
IN_MEMORY_SHARE = 0.1
#: A collect job concatenates in memory while its estimated peak, ``COLLECT_COPIES`` times the
#: data plus ``CHUNK_STORE_MB`` per chunk store opened, stays within ``COLLECT_SHARE`` of the
#: budget, and streams otherwise. Measured: E/I grid, 70.7 MB in 12 chunks: 286 MB added
#: (1.5 s; streamed 3.8 s); CANN phase diagram, 62.9 MB in 1: 254 MB; a 10^6-point sweep's
#: 60 MB over 248 chunks: 721 MB (so streamed).
COLLECT_COPIES = 4
CHUNK_STORE_MB = 2.0
COLLECT_SHARE = 0.75


def collects_in_memory(n_bytes: float, n_chunks: int, memory_mb: float) -> bool:
    """Whether a collect of ``n_bytes`` over ``n_chunks`` stores fits ``memory_mb`` in memory."""
    return COLLECT_COPIES * n_bytes / 1e6 + CHUNK_STORE_MB * n_chunks <= COLLECT_SHARE * memory_mb


def _stream_chunk_bytes(memory_mb: float) -> int:
    # dask holds a few chunks per thread: a sixteenth of the budget each, between 1 and 32 MiB.
    from neurosweep.store import STREAM_CHUNK_BYTES

    return int(min(STREAM_CHUNK_BYTES, max(2**20, memory_mb * 1e6 / 16)))


def collect_job(spec: str, inputs: Sequence[str | os.PathLike], output: str | os.PathLike, memory_mb: float = 512.0) -> None:
    """Concatenate the chunk stores of one experiment into its dataset: at once when that fits
    ``memory_mb`` (:func:`collects_in_memory`), streamed through dask into zarr otherwise
    (memory then stays bounded by the stream's chunks, whatever the sweep's size)."""
    from neurosweep.store import open_dataset, stream_chunks, write_dataset

    experiment = experiment_from_json(spec)
    single = experiment.kind in _ONE_STORE_KINDS
    grid = experiment.sweep_axes if experiment.is_grid and not single else ()
    n_bytes, attrs = 0, {}
    for index, path in enumerate(inputs):  # sizes from the metadata, each store closed again
        with open_dataset(path, chunks={}) as part:
            n_bytes += part.nbytes
            if index == 0:
                attrs = {k: v for k, v in part.attrs.items() if k != "chunk"}
    streamed = not single and not collects_in_memory(n_bytes, len(inputs), memory_mb)
    if streamed:
        stream_chunks(inputs, output, experiment.sweep_grid if grid else None, attrs=attrs, chunk_bytes=_stream_chunk_bytes(memory_mb))
        dataset = open_dataset(output, chunks={})
    else:
        dataset = _concatenated(experiment, [open_dataset(path).load() for path in inputs])
        write_dataset(dataset, output)
    _report_diverged(experiment, dataset)
    log.info("%s: collected %d chunk(s), %.1f MB, into %s%s", experiment.name, len(inputs), n_bytes / 1e6, output,
             " (streamed through dask)" if streamed else "")  # fmt: skip


def _concatenated(experiment: Experiment, parts: Sequence[xr.Dataset]) -> xr.Dataset:
    """The experiment's dataset from its chunks' (read at once): one store as it is for a kind
    that writes one, else concatenated along ``point`` and a grid unstacked."""
    from neurosweep.store import concatenate_chunks

    dataset = parts[0] if experiment.kind in _ONE_STORE_KINDS else concatenate_chunks(parts, experiment.sweep_axes if experiment.is_grid else ())
    dataset.attrs.pop("chunk", None)
    return dataset


def _report_diverged(experiment: Experiment, dataset: xr.Dataset) -> None:
    if "diverged" in dataset and bool(dataset["diverged"].any()):
        log.warning("%s: %d of %d points diverged", experiment.name, int(dataset["diverged"].sum()), dataset["diverged"].size)


def _analysed(experiment: Experiment, dataset: xr.Dataset) -> xr.Dataset:
    """The experiment's analyses of ``dataset``, merged, with their provenance."""
    from neurosweep.analysis import get_analysis

    reduced = xr.merge([get_analysis(name)(dataset, **experiment.analysis_options.get(name, {})) for name in experiment.analyses],
                       compat="override", join="exact")  # fmt: skip
    reduced.attrs = {"analyses": list(experiment.analyses)}
    reduced.attrs.update({k: dataset.attrs[k] for k in ("experiment", "git_commit") if k in dataset.attrs})
    return reduced


def analyse_job(spec: str, dataset_path: str | os.PathLike, output: str | os.PathLike, memory_mb: float = 512.0) -> None:
    """Run the experiment's analyses (its config's ``analyses``, or its model's default) on its
    dataset and write their merged result; a dataset above a tenth of ``memory_mb`` is read
    and reduced chunk by chunk through dask when its analyses can (``STREAMING_ANALYSES``)."""
    from neurosweep.store import open_dataset, uniform_chunks, write_dataset

    experiment = experiment_from_json(spec)
    dataset = open_dataset(dataset_path, chunks={})
    streamed = _analyses_stream(experiment, dataset.nbytes, memory_mb)
    if not streamed:
        dataset = dataset.load()
    reduced = _analysed(experiment, dataset)
    if streamed:
        reduced = uniform_chunks(reduced, _stream_chunk_bytes(memory_mb))
    write_dataset(reduced, output)
    log.info("analysed %s (%s) -> %s%s", dataset_path, ", ".join(experiment.analyses) or "nothing to analyse", output,
             " (streamed through dask)" if streamed else "")  # fmt: skip


def _analyses_stream(experiment: Experiment, n_bytes: float, memory_mb: float) -> bool:
    """Whether the analyses read a dataset of ``n_bytes`` chunk by chunk (it is large and they can)."""
    from neurosweep.analysis import STREAMING_ANALYSES

    return n_bytes > IN_MEMORY_SHARE * memory_mb * 1e6 and all(name in STREAMING_ANALYSES for name in experiment.analyses)


def simulate_collect_job(
    spec: str, dataset_output: str | os.PathLike, analysis_output: str | os.PathLike, jax_cache_dir: str | None = None, memory_mb: float = 512.0
) -> None:
    """An experiment of one chunk in one job, writing the same dataset and analysis as the three
    jobs would. Where its data fit the memory budget (:func:`collects_in_memory`, and the
    analyses read at once) the chunk is handed from simulation to collection to the analyses
    in memory, as a store would give it back (:func:`neurosweep.store.as_stored`): one store
    write and two reads fewer, a third of a small job. Else the chunk goes through a hidden
    store beside the dataset, collected and analysed by :func:`collect_job` and
    :func:`analyse_job`, and the store is removed."""
    from neurosweep.store import as_stored, write_dataset

    experiment = experiment_from_json(spec)
    simulated = as_stored(_simulated(experiment, 0, jax_cache_dir))
    if collects_in_memory(simulated.nbytes, 1, memory_mb) and not _analyses_stream(experiment, simulated.nbytes, memory_mb):
        dataset = as_stored(_concatenated(experiment, [simulated]))
        write_dataset(dataset, dataset_output)
        _report_diverged(experiment, dataset)
        write_dataset(_analysed(experiment, dataset), analysis_output)
        log.info("%s: simulated, collected and analysed (%s) in memory -> %s, %s", experiment.name,
                 ", ".join(experiment.analyses) or "nothing to analyse", dataset_output, analysis_output)  # fmt: skip
        return
    chunk = Path(dataset_output).with_name(".chunk_0.zarr")
    try:
        write_dataset(simulated, chunk)
        collect_job(spec, [chunk], dataset_output, memory_mb=memory_mb)
        analyse_job(spec, dataset_output, analysis_output, memory_mb=memory_mb)
    finally:
        shutil.rmtree(chunk, ignore_errors=True)


def _figure_data(
    figure_id: str, experiments: Sequence[str], datasets: Sequence[str | os.PathLike], analyses: Sequence[str | os.PathLike]
) -> dict[str, xr.Dataset]:
    """What a figure or its animation draws from: each experiment's dataset merged with its
    analysis (matplotlib set to draw off-screen); diverged points are reported, never drawn."""
    import matplotlib

    matplotlib.use("Agg")
    from neurosweep.store import open_with_analysis

    data = {name: open_with_analysis(d, a).load() for name, d, a in zip(experiments, datasets, analyses)}
    for name, dataset in data.items():
        if "diverged" in dataset and bool(dataset["diverged"].any()):
            log.warning("%s: %s has %d diverged points; the figure leaves them out", figure_id, name, int(dataset["diverged"].sum()))
    return data


def figure_job(
    figure_id: str,
    plot: str,
    experiments: Sequence[str],
    datasets: Sequence[str | os.PathLike],
    analyses: Sequence[str | os.PathLike],
    outputs: Sequence[str | os.PathLike],
    options: Mapping[str, Any] | None = None,
) -> None:
    """Draw figure ``figure_id`` with plot function ``plot`` and save it to every output path.

    Drawn and saved in the figure style (:func:`neurosweep.figures.files.save_checked`); the
    layout check's findings (:func:`neurosweep.figures.layout.layout_problems`) go to the log.
    """
    import matplotlib.pyplot as plt

    from neurosweep.figures import STYLE, render
    from neurosweep.figures.files import save_checked

    data = _figure_data(figure_id, experiments, datasets, analyses)
    with plt.style.context(STYLE):
        figure = render(plot, data, figure_id, options)
        for problem in save_checked(figure, outputs):
            log.warning("figure %s: %s", figure_id, problem)
    plt.close(figure)
    log.info("figure %s -> %s", figure_id, ", ".join(map(str, outputs)))


def animation_job(
    figure_id: str, plot: str, experiments: Sequence[str], datasets: Sequence[str | os.PathLike], analyses: Sequence[str | os.PathLike], output: str | os.PathLike
) -> None:
    """Write the animation of figure ``figure_id`` (its plot's registered animation) to ``output``."""
    from neurosweep.figures import animate

    data = _figure_data(figure_id, experiments, datasets, analyses)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    partial = Path(output).with_name(f".{Path(output).name}.partial.gif")
    animate(plot, data, partial)
    partial.replace(output)  # atomic: a half-written GIF is never taken as done
    log.info("animation %s -> %s", figure_id, output)
