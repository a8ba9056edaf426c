"""Which source files a job's result depends on, and their digest (a rerun trigger).

Snakemake reruns a job when one of its ``params`` changes. Each rule passes the digest of the
neurosweep modules its job runs: the job's entry module(s) and everything they import from
neurosweep, found by reading their ``import`` statements (no import is executed). A model is
loaded by the registry at run time, so a simulation names its model's module explicitly: editing
``models/wong_wang.py`` changes the digest of the Wong-Wang experiments and of no other.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["analysis_modules", "dependencies", "digest", "simulation_modules"]

_ROOT = Path(__file__).resolve().parent
_PACKAGE = "neurosweep"


def _file(module: str) -> Path | None:
    """The source file of a neurosweep module (a package's ``__init__.py``), or None."""
    parts = module.split(".")[1:]
    base = _ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@functools.cache
def _imports(module: str) -> frozenset[str]:
    """The neurosweep modules ``module`` imports (with the packages Python runs on the way)."""
    path = _file(module)
    if path is None:
        return frozenset()
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            # ``from neurosweep.x import y``: y may itself be a module.
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] == _PACKAGE and _file(name) is not None:
                found.add(name)
                found.update(parent for parent in _parents(name) if _file(parent) is not None)
    found.discard(module)
    return frozenset(found)


def dependencies(modules: Iterable[str]) -> list[Path]:
    """Every neurosweep source file the given modules import, directly or not (sorted)."""
    seen: set[str] = set()
    stack = list(modules)
    while stack:
        module = stack.pop()
        if module in seen or _file(module) is None:
            continue
        seen.add(module)
        stack.extend(_imports(module))
    return sorted({_file(module) for module in seen})  # type: ignore[type-var]


def digest(modules: Iterable[str]) -> str:
    """A short digest of the sources of ``modules`` and everything they import from neurosweep.

    Memoised per process: a workflow asks it for every job (hundreds of times) while the sources
    stay as they are; a source edit is seen by the next Snakemake run, a new process."""
    return _digest(tuple(sorted(set(modules))))


@functools.lru_cache(maxsize=None)
def _digest(modules: tuple[str, ...]) -> str:
    hasher = hashlib.sha256()
    for path in dependencies(modules):
        hasher.update(path.relative_to(_ROOT).as_posix().encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()[:16]


def simulation_modules(model_module: str) -> list[str]:
    """The modules a simulate job runs: the runner (and through it the dynamics toolkit), the
    store, and the model's own module."""
    return ["neurosweep.runner", "neurosweep.store", model_module]


def analysis_modules(analyses: Iterable[str]) -> list[str]:
    """The modules an analyse job runs: the store and each chosen analysis's module."""
    from neurosweep.analysis import ANALYSES

    return ["neurosweep.store", *(ANALYSES[name].split(":")[0] for name in analyses)]
