"""What the workflow needs to know of a config, validated once and remembered.

Parsing the workflow needs, per experiment, its rerun fingerprint, its number of chunks, its
device and the digests of the code its jobs run, and per figure its section, caption and code
digest. Working them out validates the whole config, which imports the models (JAX) and the
figures (matplotlib): 3-4 s of every ``snakemake`` call, dry runs included. :func:`workflow_plan`
returns them as plain data and remembers them in small JSON files under ``cache_dir``, in three
layers, each keyed by what it depends on and the digest of every neurosweep source:

- the whole plan, by the config and its files' text: an unchanged config skips every check;
- the experiments' part, by the config without its figures: a figure-only edit (the usual
  redraw) re-checks that config's figures without importing a model or JAX;
- each figure's entry, by its spec and the facts of the experiments it draws: only a changed
  figure is checked against its plot again (matplotlib and the plot modules).

A partly remembered plan equals the plan worked out from nothing (tests/test_plan.py). The
model-free checks (a key given twice, finite numbers, the schema, figure references) run on
every config not remembered whole.

This module imports only the standard library at import time.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

__all__ = ["PlanError", "plan_key", "workflow_plan"]


class PlanError(ValueError):
    """A config that cannot run (a ConfigError or a FigureSpecError, by its message)."""


@functools.lru_cache(maxsize=1)
def _sources_digest() -> str:
    """A digest of every neurosweep source file (a per-process snapshot: the code is fixed while
    a workflow is parsed)."""
    hasher = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml", ".mplstyle") and path.is_file():
            hasher.update(path.relative_to(package).as_posix().encode())
            hasher.update(path.read_bytes())
    return hasher.hexdigest()


def _digest(*parts: object) -> str:
    hasher = hashlib.sha256(_sources_digest().encode())
    for part in parts:
        hasher.update(json.dumps(part, sort_keys=True, default=str).encode())
    return hasher.hexdigest()[:24]


def plan_key(config: Mapping[str, Any], config_files: Iterable[str | Path] = ()) -> str:
    """A digest of what the plan depends on: the config, its files' text (a key given twice is
    an error only the text shows) and every neurosweep source file."""
    return _digest(config, [Path(path).read_text() for path in config_files])


def _experiments_part(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every experiment parsed and checked (imports the models): what its rules need, and the
    facts the figure check reads of it."""
    from neurosweep.experiments import parse_config, runs_as_one_job, size_warnings
    from neurosweep.models import model_module
    from neurosweep.sources import analysis_modules, digest, simulation_modules

    experiments = parse_config(config)
    return {
        "experiments": {
            name: {
                "fingerprint": experiment.fingerprint(),
                "n_chunks": experiment.n_chunks,
                "one_job": runs_as_one_job(experiment),
                "device": experiment.device,
                "model": experiment.model_name,
                "simulate_code": digest(simulation_modules(model_module(experiment.model_name))),
                "analyse_code": digest(analysis_modules(experiment.analyses)),
            }
            for name, experiment in experiments.items()
        },
        "facts": {
            name: {
                "model_name": experiment.model_name,
                "sweep_axes": list(experiment.sweep_axes),
                "record_variables": list(experiment.record_variables),
            }
            for name, experiment in experiments.items()
        },
        "store_code": digest(["neurosweep.store"]),
        "warnings": size_warnings(experiments),
    }


def _figure_entries(figure_specs: Mapping[str, Mapping[str, Any]], facts: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Check ``figure_specs`` against their plots and experiments (imports the figures) and work
    out each one's caption, report section and code digest."""
    from neurosweep import figures
    from neurosweep.sources import digest

    drawn = {name: SimpleNamespace(**{k: tuple(v) if isinstance(v, list) else v for k, v in fact.items()}) for name, fact in facts.items()}
    figures.check_figures(figure_specs, drawn)
    entries = {}
    for figure_id, spec in figure_specs.items():
        plot = spec.get("plot", figure_id)
        models = [facts[name]["model_name"] for name in spec["experiments"]]
        entries[figure_id] = {
            "caption": spec.get("caption") or figures.caption(plot),
            "section": figures.section(plot, models),
            "code": digest(["neurosweep.store", figures.PLOTS[plot].__module__]),
        }
    return entries


class _Cache:
    """JSON files under a directory, each written atomically (a half-written one is never read);
    with no directory, remembers nothing."""

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = None if directory is None else Path(directory)

    def read(self, name: str) -> Any:
        if self.directory is None or not (self.directory / name).is_file():
            return None
        try:
            return json.loads((self.directory / name).read_text())
        except ValueError:  # a file from another version or damaged: work it out again
            return None

    def write(self, name: str, value: Any) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".{name}.partial"
        partial.write_text(json.dumps(value))
        partial.replace(self.directory / name)


def _build(config: Mapping[str, Any], config_files: Iterable[Path], cache: _Cache) -> dict[str, Any]:
    """Check the config and work out its plan, from the remembered parts where they still hold."""
    from neurosweep.configfile import check_config, read_config

    for path in config_files:
        read_config(path)
    check_config(config)

    experiments_config = {key: value for key, value in config.items() if key != "figures"}
    part_name = f"experiments-{_digest(experiments_config)}.json"
    part = cache.read(part_name)
    if part is None:
        part = _experiments_part(experiments_config)
        cache.write(part_name, part)

    figure_specs = config.get("figures", {})
    entry_keys = {
        figure_id: _digest(figure_id, spec, [part["facts"][name] for name in spec["experiments"]])
        for figure_id, spec in figure_specs.items()
    }
    figures_name = f"figures-{_sources_digest()[:24]}.json"
    known = cache.read(figures_name) or {}
    missing = {figure_id: spec for figure_id, spec in figure_specs.items() if entry_keys[figure_id] not in known}
    if missing:
        built = _figure_entries(missing, part["facts"])
        known.update({entry_keys[figure_id]: entry for figure_id, entry in built.items()})
        cache.write(figures_name, known)

    return {
        "experiments": part["experiments"],
        "figures": {figure_id: known[entry_keys[figure_id]] for figure_id in figure_specs},
        "store_code": part["store_code"],
        "warnings": part["warnings"],
    }


def workflow_plan(config: Mapping[str, Any], config_files: Iterable[str | Path] = (), cache_dir: str | Path | None = None) -> dict[str, Any]:
    """The plan of ``config`` (see the module docstring); raises :class:`PlanError` with the
    message naming the key when the config cannot run. With ``cache_dir``, what was worked out
    before for the same config, experiments or figures is read back instead."""
    files = [Path(path) for path in config_files]
    cache = _Cache(cache_dir)
    name = f"plan-{plan_key(config, files)}.json"
    plan = cache.read(name)
    if plan is not None:
        return plan
    try:
        plan = _build(config, files, cache)
    except ValueError as error:
        raise PlanError(f"{type(error).__name__}: {error}") from None
    cache.write(name, plan)
    return plan
