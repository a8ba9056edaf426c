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

__all__ = ["ANIMATIONS", "PLOTS", "STYLE", "FigureSpecError", "animate", "available_plots", "check_figures", "draw", "register", "register_animation"]

STYLE = Path(__file__).with_name("neurosweep.mplstyle")
PLOTS: dict[str, Callable[..., Figure]] = {}
#: An animation: ``(*datasets) -> (figure, update(frame_index), n_frames, animated artists)``.
AnimationFrames = tuple[Figure, Callable[[int], None], int, list]
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
    """Write the animation of ``plot`` from ``data`` to ``path``, a GIF (Pillow).

    The static part of the figure (axes, ticks, labels) is drawn once; each frame redraws only
    the animated artists over it (blitting), 10-20x faster than redrawing the whole figure.
    """
    from PIL import Image

    _load_all()
    if plot not in ANIMATIONS:
        raise ValueError(f"plot {plot!r} has no animation; plots with one: {sorted(ANIMATIONS)}")
    with plt.style.context(STYLE):
        figure, update, n_frames, artists = ANIMATIONS[plot](*data.values())
        figure.set_dpi(80)
        figure.canvas.draw()
        figure.set_layout_engine("none")
        for artist in artists:
            artist.set_animated(True)
        figure.canvas.draw()
        background = figure.canvas.copy_from_bbox(figure.bbox)
        frames = []
        for index in range(n_frames):
            update(index)
            figure.canvas.restore_region(background)
            for artist in artists:
                figure.draw_artist(artist)
            width, height = figure.canvas.get_width_height()
            image = Image.frombuffer("RGBA", (width, height), bytes(figure.canvas.buffer_rgba()), "raw", "RGBA", 0, 1)
            frames.append(image.convert("RGB").quantize(colors=64))
    plt.close(figure)
    frames[0].save(str(path), format="GIF", save_all=True, append_images=frames[1:], duration=round(1000 / fps), loop=0)


class FigureSpecError(ValueError):
    """A figure entry of the config that cannot be drawn; the message names the key."""


def check_figures(figures: Mapping[str, Mapping[str, object]]) -> None:
    """Check every figure entry before any job runs: the plot exists, takes as many datasets as
    the entry names experiments and accepts its options; an animation exists where one is asked for."""
    import inspect

    _load_all()
    for figure_id, spec in figures.items():
        plot = str(spec.get("plot", figure_id))
        key = f"figures.{figure_id}"
        if plot not in PLOTS:
            raise FigureSpecError(f"{key}.plot: unknown plot {plot!r}; allowed: {sorted(PLOTS)}")
        experiments = list(spec.get("experiments", []))  # type: ignore[call-overload]
        options = dict(spec.get("options", {}))  # type: ignore[call-overload]
        signature = inspect.signature(PLOTS[plot])
        try:
            signature.bind(*experiments, **options)
        except TypeError as error:
            datasets = [p.name for p in signature.parameters.values() if p.default is inspect.Parameter.empty]
            keywords = [p.name for p in signature.parameters.values() if p.default is not inspect.Parameter.empty]
            raise FigureSpecError(
                f"{key}: plot {plot!r} takes {len(datasets)} experiment(s) ({', '.join(datasets)}) and the options "
                f"{keywords or 'none'}; got experiments {experiments} and options {sorted(options)} ({error})"
            ) from None
        if spec.get("animate") and plot not in ANIMATIONS:
            raise FigureSpecError(f"{key}.animate: plot {plot!r} has no animation; plots with one: {sorted(ANIMATIONS)}")


def caption(plot: str) -> str:
    _load_all()
    doc = (PLOTS[plot].__doc__ or plot).strip()
    return " ".join(doc.split("\n\n")[0].split())
