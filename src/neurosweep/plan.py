"""What the workflow needs to know of a config, validated once and remembered.

Parsing the workflow needs, per experiment, its rerun fingerprint, its number of chunks, its
device and the digests of the code its jobs run, and per figure its section, caption and code
digest. Working them out validates the whole config, which imports the models (JAX) and the
figures (matplotlib): 3-4 s of every ``snakemake`` call, dry runs included. :func:`workflow_plan`
returns them as plain data and keeps them in a small JSON file keyed by the config, the config
files' text and the digest of every neurosweep source, so that an unchanged config and unchanged
code skip the imports (and the checks they passed before).

This module imports only the standard library at import time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["PlanError", "plan_key", "workflow_plan"]


class PlanError(ValueError):
    """A config that cannot run (a ConfigError or a FigureSpecError, by its message)."""


def plan_key(config: Mapping[str, Any], config_files: Iterable[str | Path] = ()) -> str:
    """A digest of what the plan depends on: the config, its files' text (a key given twice is
    an error only the text shows) and every neurosweep source file."""
    hasher = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    for path in config_files:
        hasher.update(Path(path).read_bytes())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml", ".mplstyle") and path.is_file():
            hasher.update(path.relative_to(package).as_posix().encode())
            hasher.update(path.read_bytes())
    return hasher.hexdigest()[:24]


def _build(config: Mapping[str, Any], config_files: Iterable[str | Path]) -> dict[str, Any]:
    """Validate the config (every check) and work out the plan (imports models and figures)."""
    from neurosweep import figures
    from neurosweep.experiments import parse_config, read_config, size_warnings
    from neurosweep.models import model_module
    from neurosweep.sources import analysis_modules, digest, simulation_modules

    try:
        for path in config_files:
            read_config(path)
        experiments = parse_config(config)
        figures.check_figures(config.get("figures", {}), experiments)
    except ValueError as error:
        raise PlanError(f"{type(error).__name__}: {error}") from None
    plan_experiments = {
        name: {
            "fingerprint": experiment.fingerprint(),
            "n_chunks": experiment.n_chunks,
            "device": experiment.device,
            "model": experiment.model_name,
            "simulate_code": digest(simulation_modules(model_module(experiment.model_name))),
            "analyse_code": digest(analysis_modules(experiment.analyses)),
        }
        for name, experiment in experiments.items()
    }
    plan_figures = {}
    for figure_id, spec in config.get("figures", {}).items():
        plot = spec.get("plot", figure_id)
        models = [experiments[name].model_name for name in spec["experiments"]]
        plan_figures[figure_id] = {
            "caption": spec.get("caption") or figures.caption(plot),
            "section": figures.section(plot, models),
            "code": digest(["neurosweep.store", figures.PLOTS[plot].__module__]),
        }
    return {
        "experiments": plan_experiments,
        "figures": plan_figures,
        "store_code": digest(["neurosweep.store"]),
        "warnings": size_warnings(experiments),
    }


def workflow_plan(config: Mapping[str, Any], config_files: Iterable[str | Path] = (), cache_dir: str | Path | None = None) -> dict[str, Any]:
    """The plan of ``config`` (see the module docstring); raises :class:`PlanError` with the
    message naming the key when the config cannot run. With ``cache_dir``, a plan worked out
    before for the same key is read back instead."""
    files = [Path(path) for path in config_files]
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir) / f"plan-{plan_key(config, files)}.json"
        if cache.is_file():
            return json.loads(cache.read_text())
    plan = _build(config, files)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f".{cache.name}.partial")
        partial.write_text(json.dumps(plan))
        partial.replace(cache)  # atomic: a half-written plan is never read
    return plan
