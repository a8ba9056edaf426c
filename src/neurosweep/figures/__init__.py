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

__all__ = ["ANIMATIONS", "PLOTS", "STYLE", "animate", "available_plots", "draw", "register", "register_animation"]

STYLE = Path(__file__).with_name("neurosweep.mplstyle")
PLOTS: dict[str, Callable[..., Figure]] = {}
#: An animation: ``(*datasets, **options) -> (figure, update(frame_index), n_frames)``.
AnimationFrames = tuple[Figure, Callable[[int], None], int]
ANIMATIONS: dict[str, Callable[..., AnimationFrames]] = {}


def register(name: str) -> Callable[[Callable[..., Figure]], Callable[..., Figure]]:
    """Register a plot function under ``name``; its docstring's first line is the caption."""

    def decorator(function: Callable[..., Figure]) -> Callable[..., Figure]:
        PLOTS[name] = function
        return function

    return decorator


def register_animation(name: str) -> Callable[[Callable[..., AnimationFrames]], Callable[..., AnimationFrames]]:
    """Register the animation of plot ``name`` (drawn when its figure's config says ``animate: true``)."""

    def decorator(function: Callable[..., AnimationFrames]) -> Callable[..., AnimationFrames]:
        ANIMATIONS[name] = function
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


def animate(plot: str, data: Mapping[str, xr.Dataset], path: str | Path, fps: int = 20) -> None:
    """Write the animation of ``plot`` from ``data`` to ``path`` (a GIF, by Pillow through matplotlib)."""
    from matplotlib.animation import FuncAnimation, PillowWriter

    _load_all()
    if plot not in ANIMATIONS:
        raise ValueError(f"plot {plot!r} has no animation; plots with one: {sorted(ANIMATIONS)}")
    with plt.style.context(STYLE):
        figure, update, n_frames = ANIMATIONS[plot](*data.values())
        animation = FuncAnimation(figure, update, frames=n_frames, blit=False)
        animation.save(str(path), writer=PillowWriter(fps=fps), dpi=80)
    plt.close(figure)


def caption(plot: str) -> str:
    _load_all()
    doc = (PLOTS[plot].__doc__ or plot).strip()
    return " ".join(doc.split("\n\n")[0].split())
