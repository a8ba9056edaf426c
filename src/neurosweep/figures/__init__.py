"""Figures: thin functions of reduced data, ``plot(*datasets, **options) -> Figure``.

A figure never simulates: it receives the collected datasets (merged with their analysis) of
the experiments its config entry names, in that order. Plot functions register themselves with
:func:`register`; config picks one by name (``plot:``, default the figure id).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.figure import Figure

__all__ = ["ANIMATIONS", "NEEDS", "PLOTS", "Needs", "STYLE", "FigureSpecError", "animate", "available_plots", "check_figures", "draw", "register", "register_animation", "render"]

STYLE = Path(__file__).with_name("neurosweep.mplstyle")
PLOTS: dict[str, Callable[..., Figure]] = {}
#: An animation: ``(*datasets) -> (figure, update(frame_index), n_frames, animated artists)``.
AnimationFrames = tuple[Figure, Callable[[int], None], int, list]
ANIMATIONS: dict[str, Callable[..., AnimationFrames]] = {}


@dataclasses.dataclass(frozen=True)
class Needs:
    """What a plot needs of the experiments it draws, checked when the workflow is parsed."""

    #: Models every experiment must run (empty: any model).
    models: tuple[str, ...] = ()
    #: The number of swept axes (besides seeds) the first experiment must have (None: any).
    sweep_dims: int | None = None
    #: Options whose value names a variable every experiment must record.
    recorded_options: tuple[str, ...] = ()
    #: Options whose value names an axis every experiment must sweep.
    swept_options: tuple[str, ...] = ()


#: Plot name -> what it needs (see :class:`Needs`).
NEEDS: dict[str, Needs] = {}


def register(
    name: str,
    *,
    models: tuple[str, ...] = (),
    sweep_dims: int | None = None,
    recorded_options: tuple[str, ...] = (),
    swept_options: tuple[str, ...] = (),
) -> Callable[[Callable[..., Figure]], Callable[..., Figure]]:
    """Register a plot function under ``name``; its docstring's first line is the caption.

    The keywords say what the plot needs of its experiments (:class:`Needs`): a course figure
    names the models it draws, a generic plot the options that name variables or sweep axes.
    """

    def decorator(function: Callable[..., Figure]) -> Callable[..., Figure]:
        PLOTS[name] = function
        NEEDS[name] = Needs(models, sweep_dims, recorded_options, swept_options)
        return function

    return decorator


def register_animation(name: str) -> Callable[[Callable[..., AnimationFrames]], Callable[..., AnimationFrames]]:
    """Register the animation of plot ``name`` (drawn when its figure's config says ``animate: true``)."""

    def decorator(function: Callable[..., AnimationFrames]) -> Callable[..., AnimationFrames]:
        ANIMATIONS[name] = function
        return function

    return decorator


#: Modules of this package that hold no plots.
_HELPERS = ("layout", "typeset")


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name not in _HELPERS:
            importlib.import_module(f"{__name__}.{info.name}")


def available_plots() -> list[str]:
    _load_all()
    return sorted(PLOTS)


def draw(plot: str, data: Mapping[str, xr.Dataset], **options: object) -> Figure:
    """Draw ``plot`` from ``data`` (experiment name -> dataset, in config order)."""
    _load_all()
    if plot not in PLOTS:
        raise ValueError(f"unknown plot {plot!r}; allowed: {sorted(PLOTS)}")
    from neurosweep.figures.typeset import typeset

    with plt.style.context(STYLE):
        return typeset(PLOTS[plot](*data.values(), **options))


def render(plot: str, data: Mapping[str, xr.Dataset], figure_id: str, options: Mapping[str, object] | None = None) -> Figure:
    """:func:`draw`, laid out as a figure job saves it: a bottom strip with the figure's id.

    Call it, check and save it inside ``plt.style.context(STYLE)`` (the style's layout and
    bounding box apply when the file is written).
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    figure = draw(plot, data, **dict(options or {}))
    engine = figure.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        # A strip at the bottom for the figure's id, so it never lies over an axis label.
        engine.set(rect=(0.0, 0.025, 1.0, 0.975))
    figure.text(0.995, 0.004, f"neurosweep {figure_id}", ha="right", va="bottom", fontsize=6, color="0.6")
    return figure


def animate(plot: str, data: Mapping[str, xr.Dataset], path: str | Path, fps: int = 20) -> None:
    """Write the animation of ``plot`` from ``data`` to ``path``, a GIF (Pillow).

    The static part of the figure (axes, ticks, labels) is drawn once; each frame redraws only
    the animated artists over it (blitting), 10-20x faster than redrawing the whole figure.
    """
    from PIL import Image

    from neurosweep.figures.typeset import typeset

    _load_all()
    if plot not in ANIMATIONS:
        raise ValueError(f"plot {plot!r} has no animation; plots with one: {sorted(ANIMATIONS)}")
    with plt.style.context(STYLE):
        figure, update, n_frames, artists = ANIMATIONS[plot](*data.values())
        typeset(figure)
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
            # Fast octree: a fifth of median cut's time per frame, the same 64 colours per frame.
            frames.append(image.convert("RGB").quantize(colors=64, method=Image.Quantize.FASTOCTREE))
    plt.close(figure)
    frames[0].save(str(path), format="GIF", save_all=True, append_images=frames[1:], duration=round(1000 / fps), loop=0)


class FigureSpecError(ValueError):
    """A figure entry of the config that cannot be drawn; the message names the key."""


class ExperimentFacts(Protocol):
    """What the figure check reads of an experiment (``neurosweep.experiments.Experiment`` has it)."""

    @property
    def model_name(self) -> str: ...
    @property
    def sweep_axes(self) -> tuple[str, ...]: ...
    @property
    def record_variables(self) -> tuple[str, ...]: ...


def check_figures(figures: Mapping[str, Mapping[str, object]], experiments: Mapping[str, ExperimentFacts] | None = None) -> None:
    """Check every figure entry before any job runs: the plot exists, takes as many datasets as
    the entry names experiments and accepts its options; an animation exists where one is asked
    for; and, given the experiments, each runs a model the plot draws, sweeps the axes it needs
    and records the variables its options name."""
    import inspect

    _load_all()
    for figure_id, spec in figures.items():
        plot = str(spec.get("plot", figure_id))
        key = f"figures.{figure_id}"
        if plot not in PLOTS:
            raise FigureSpecError(f"{key}.plot: unknown plot {plot!r}; allowed: {sorted(PLOTS)}")
        names = list(spec.get("experiments", []))  # type: ignore[call-overload]
        options = dict(spec.get("options", {}))  # type: ignore[call-overload]
        signature = inspect.signature(PLOTS[plot])
        try:
            bound = signature.bind(*names, **options)
        except TypeError as error:
            parameters = signature.parameters.values()
            datasets = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is inspect.Parameter.empty]
            more = [f"*{p.name}" for p in parameters if p.kind is p.VAR_POSITIONAL]
            keywords = [p.name for p in parameters if p.default is not inspect.Parameter.empty]
            count = f"at least {len(datasets)}" if more else f"{len(datasets)}"
            raise FigureSpecError(
                f"{key}: plot {plot!r} takes {count} experiment(s) ({', '.join(datasets + more)}) and the options "
                f"{keywords or 'none'}; got experiments {names} and options {sorted(options)} ({error})"
            ) from None
        if spec.get("animate") and plot not in ANIMATIONS:
            raise FigureSpecError(f"{key}.animate: plot {plot!r} has no animation; plots with one: {sorted(ANIMATIONS)}")
        if experiments is not None:
            bound.apply_defaults()
            _check_needs(key, plot, NEEDS[plot], [(name, experiments[name]) for name in names if name in experiments], bound.arguments)


def _check_needs(key: str, plot: str, needs: Needs, drawn: Sequence[tuple[str, ExperimentFacts]], arguments: Mapping[str, object]) -> None:
    for index, (name, experiment) in enumerate(drawn):
        if needs.models and experiment.model_name not in needs.models:
            raise FigureSpecError(
                f"{key}.experiments[{index}]: plot {plot!r} draws experiments of model {' or '.join(needs.models)}; "
                f"{name!r} runs {experiment.model_name!r}"
            )
        for option in needs.recorded_options:
            if arguments[option] not in experiment.record_variables:
                raise FigureSpecError(
                    f"{key}.options.{option}: plot {plot!r} draws the recorded variable {arguments[option]!r}, which "
                    f"experiment {name!r} does not record (record.variables: {list(experiment.record_variables)})"
                )
        for option in needs.swept_options:
            if arguments[option] not in experiment.sweep_axes:
                raise FigureSpecError(
                    f"{key}.options.{option}: plot {plot!r} puts {arguments[option]!r} on an axis, which experiment "
                    f"{name!r} does not sweep (swept: {[a for a in experiment.sweep_axes if a != 'seed']})"
                )
    if needs.sweep_dims is not None and drawn:
        name, experiment = drawn[0]
        axes = [a for a in experiment.sweep_axes if a != "seed"]
        if len(axes) != needs.sweep_dims:
            raise FigureSpecError(
                f"{key}.experiments[0]: plot {plot!r} needs a {needs.sweep_dims}-D sweep; {name!r} sweeps {axes or 'nothing'}"
            )


#: The course's sections, in its order, by the models their figures draw (the report's categories).
COURSE_SECTIONS = (
    ("1 Hodgkin-Huxley", ("hh",)),
    ("2 LIF and simplified neurons", ("lif", "qif", "expif", "adex", "izhikevich", "fhn")),
    ("3 E/I balanced network", ("ei_network",)),
    ("4 Decision making", ("wong_wang", "wang2002")),
    ("5 Continuous attractor networks", ("cann1d", "cann1d_sfa", "cann1d_stp", "cann2d")),
)


def section(plot: str, models: Sequence[str] = ()) -> str:
    """The course section a figure belongs to: its plot's models (a generic plot: the models of
    the experiments it draws), or "6 Sweeps" for one outside the course."""
    _load_all()
    drawn = set(NEEDS[plot].models or models)
    for title, members in COURSE_SECTIONS:
        if drawn and drawn <= set(members):
            return title
    return "6 Sweeps"


def caption(plot: str) -> str:
    _load_all()
    doc = (PLOTS[plot].__doc__ or plot).strip()
    return " ".join(doc.split("\n\n")[0].split())
