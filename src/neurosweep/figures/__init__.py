"""Figures: thin functions of reduced data, ``plot(*datasets, **options) -> Figure``.

A figure never simulates: it receives the collected datasets (merged with their analysis) of
the experiments its config entry names, in that order. Plot functions register themselves with
:func:`register`; config picks one by name (``plot:``, default the figure id).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.figure import Figure

__all__ = ["PLOTS", "register", "draw", "available_plots", "STYLE"]

STYLE = Path(__file__).with_name("neurosweep.mplstyle")
PLOTS: dict[str, Callable[..., Figure]] = {}


def register(name: str) -> Callable[[Callable[..., Figure]], Callable[..., Figure]]:
    """Register a plot function under ``name``; its docstring's first line is the caption."""

    def decorator(function: Callable[..., Figure]) -> Callable[..., Figure]:
        PLOTS[name] = function
        return function

    return decorator


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def available_plots() -> list[str]:
    _load_all()
    return sorted(PLOTS)


def draw(plot: str, data: Mapping[str, xr.Dataset], **options: object) -> Figure:
    """Draw ``plot`` from ``data`` (experiment name -> dataset, in config order)."""
    _load_all()
    if plot not in PLOTS:
        raise ValueError(f"unknown plot {plot!r}; allowed: {sorted(PLOTS)}")
    with plt.style.context(STYLE):
        return PLOTS[plot](*data.values(), **options)


def caption(plot: str) -> str:
    _load_all()
    doc = (PLOTS[plot].__doc__ or plot).strip()
    return " ".join(doc.split("\n\n")[0].split())
