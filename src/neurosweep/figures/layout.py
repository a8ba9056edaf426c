"""The layout check: no text over text, nothing off the canvas, no legend over the data.

:func:`layout_problems` draws a figure and returns, in words, every fault a reader would notice
at once: two texts (titles, axis labels, tick labels, annotations, legends, colourbar labels)
whose boxes overlap, a text that falls outside the canvas, a legend that covers more than
:data:`LEGEND_COVER_MAX` of an axes' plotted lines or points, an annotation struck through by a
plotted line, and tick labels on a side whose spine is hidden (ticks then read as minus signs).
Every figure job runs it and logs what it finds; ``tests/test_figure_layout.py`` fails on it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

__all__ = ["ANNOTATION_CROSSED_MAX", "LEGEND_COVER_MAX", "OVERLAP_PX", "layout_problems"]

#: Two texts overlap when their boxes share more than this many pixels each way (at 100 dpi).
OVERLAP_PX = 1.0
#: A legend may cover at most this fraction of an axes' plotted data (lines by length, points by count).
LEGEND_COVER_MAX = 0.02
#: An annotation may have at most this fraction of its box's width crossed by plotted lines.
ANNOTATION_CROSSED_MAX = 0.25


@dataclass(frozen=True)
class _Text:
    name: str
    box: Bbox
    owner: object  # texts of one owner (a legend, one axis' tick labels) are judged as one
    artist: Text | None = None


def _describe(artist: Artist, kind: str, ax: Axes | None) -> str:
    text = artist.get_text() if isinstance(artist, Text) else ""
    where = f" of axes {ax.get_label() or ax.get_title() or _axes_index(ax)!r}" if ax is not None else ""
    return f"{kind} {text!r}{where}" if text else f"{kind}{where}"


def _axes_index(ax: Axes) -> str:
    figure = ax.get_figure()
    index = figure.axes.index(ax) if figure is not None and ax in figure.axes else -1
    return f"#{index}"


def _texts(figure: Figure, renderer) -> list[_Text]:
    found: list[_Text] = []

    def add(artist: Text, kind: str, ax: Axes | None, owner: object) -> None:
        if isinstance(artist, Text) and artist.get_visible() and artist.get_text().strip():
            box = artist.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                found.append(_Text(_describe(artist, kind, ax), box, owner, artist))

    titles = {name.strip("_"): getattr(figure, name, None) for name in ("_suptitle", "_supxlabel", "_supylabel")}
    for text in figure.texts:
        if not any(text is title for title in titles.values()):
            add(text, "figure text", None, text)
    for name, title in titles.items():
        if title is not None:
            add(title, name, None, title)
    for legend in figure.legends:
        if legend.get_visible():
            found.append(_Text(f"figure legend {[t.get_text() for t in legend.get_texts()]}", legend.get_window_extent(renderer), legend))
    for ax in figure.axes:
        if not ax.get_visible() or not ax.axison and not ax.texts and ax.get_legend() is None:
            continue
        for title in (ax.title, ax._left_title, ax._right_title):
            add(title, "title", ax, title)
        for axis, side in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            if not axis.get_visible() or not ax.axison:
                continue
            add(axis.label, f"{side}-label", ax, axis.label)
            add(axis.get_offset_text(), f"{side} offset text", ax, axis)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if tick.get_visible():
                    for label in (tick.label1, tick.label2):
                        if label.get_visible() and _inside_view(axis, tick.get_loc()):
                            add(label, f"{side} tick label", ax, (axis, side))
        for text in ax.texts:
            add(text, "annotation", ax, text)
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            found.append(_Text(f"legend {[t.get_text() for t in legend.get_texts()]} of axes {_axes_index(ax)}",
                               legend.get_window_extent(renderer), legend))  # fmt: skip
    return found


def _inside_view(axis, location: float) -> bool:
    low, high = sorted(axis.get_view_interval())
    span = high - low
    return low - 1e-9 * abs(span) <= location <= high + 1e-9 * abs(span)


def _overlap(a: Bbox, b: Bbox) -> bool:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width > OVERLAP_PX and height > OVERLAP_PX


def _texts_overlap(a: _Text, b: _Text, renderer) -> bool:
    """Box overlap; for two texts turned by the same slanted angle (rotated tick labels), the
    overlap of their turned rectangles, not of the upright boxes around them."""
    if not _overlap(a.box, b.box):
        return False
    if a.artist is None or b.artist is None:
        return True
    angle = a.artist.get_rotation()
    if angle % 90 == 0 or abs(angle - b.artist.get_rotation()) > 1e-6:
        return True
    theta = np.deg2rad(angle)
    turn = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])  # rotation by -angle
    sizes = []
    for text in (a.artist, b.artist):
        upright = text.get_rotation()
        text.set_rotation(0)
        box = text.get_window_extent(renderer)
        text.set_rotation(upright)
        sizes.append((box.width, box.height))
    centres = [turn @ np.array([(t.box.x0 + t.box.x1) / 2, (t.box.y0 + t.box.y1) / 2]) for t in (a, b)]
    dx, dy = np.abs(centres[0] - centres[1])
    return dx < (sizes[0][0] + sizes[1][0]) / 2 - OVERLAP_PX and dy < (sizes[0][1] + sizes[1][1]) / 2 - OVERLAP_PX


def _line_points(line: Line2D, spacing_px: float = 2.0, window: Bbox | None = None) -> np.ndarray:
    """The line's path in display coordinates, resampled every ``spacing_px`` (so a two-point
    line across a legend counts by the length it covers). With ``window``, the segments that lie
    wholly beyond one of its edges are left out (none of their points could fall inside it: a
    curve that runs off the axes would be millions of points)."""
    path = line.get_path()
    transformed = line.get_transform().transform(path.vertices)
    transformed = transformed[np.all(np.isfinite(transformed), axis=1)]
    if len(transformed) < 2 or line.get_linestyle() in ("None", "none", " ", ""):
        return transformed if line.get_marker() not in (None, "None", "none", "", " ") else np.empty((0, 2))
    starts, steps = transformed[:-1], np.diff(transformed, axis=0)
    if window is not None:
        ends = transformed[1:]
        beyond = (
            ((starts[:, 0] < window.x0) & (ends[:, 0] < window.x0)) | ((starts[:, 0] > window.x1) & (ends[:, 0] > window.x1))
            | ((starts[:, 1] < window.y0) & (ends[:, 1] < window.y0)) | ((starts[:, 1] > window.y1) & (ends[:, 1] > window.y1))
        )  # fmt: skip
        starts, steps = starts[~beyond], steps[~beyond]
    lengths = np.hypot(*steps.T)
    counts = np.minimum(np.maximum(lengths / spacing_px, 1), 2000).astype(np.int64)  # points per segment
    segment = np.repeat(np.arange(len(steps)), counts)
    k = np.arange(1, len(segment) + 1) - np.repeat(np.cumsum(counts) - counts, counts)  # 1..n within each
    fractions = k / counts[segment]
    return np.concatenate([transformed[:1], starts[segment] + steps[segment] * fractions[:, None]])


def _data_points(ax: Axes) -> list[tuple[str, np.ndarray]]:
    """Every plotted line and scatter of ``ax`` as display-coordinate points, inside the axes."""
    window = ax.get_window_extent()
    found = []
    for line in ax.get_lines():
        if line.get_visible() and not line.get_label().startswith("_legend"):
            points = _line_points(line, window=window)
            if len(points):
                found.append((line.get_label(), points[_inside(window, points)]))
    for collection in ax.collections:
        if isinstance(collection, PathCollection) and collection.get_visible():
            offsets = collection.get_offset_transform().transform(collection.get_offsets())
            offsets = offsets[np.all(np.isfinite(offsets), axis=1)]
            found.append((collection.get_label(), offsets[_inside(window, offsets)]))
    return [(label, points) for label, points in found if len(points)]


def _legend_cover(ax: Axes, legend: Legend, renderer) -> float:
    box = legend.get_window_extent(renderer)
    covered = total = 0
    for _, points in _data_points(ax):
        covered += int(_inside(box, points).sum())
        total += len(points)
    return covered / total if total else 0.0


def _inside(box: Bbox, points: np.ndarray) -> np.ndarray:
    return (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)


def _crossed_fraction(ax: Axes, box: Bbox) -> tuple[float, str]:
    """The largest fraction of ``box``'s width that one plotted line runs through."""
    shrunk = Bbox.from_extents(box.x0 + 1, box.y0 + 1, box.x1 - 1, box.y1 - 1)
    worst, name = 0.0, ""
    for label, points in _data_points(ax):
        inside = points[_inside(shrunk, points)]
        if len(inside):
            fraction = float(np.ptp(inside[:, 0]) / max(shrunk.width, 1.0))
            if len(inside) >= 3 and fraction > worst:
                worst, name = fraction, label
    return worst, name


def _hidden_spine_ticks(ax: Axes) -> list[str]:
    if getattr(ax, "_colorbar", None) is not None:  # a colourbar draws its own outline
        return []
    problems = []
    for side, axis in (("left", ax.yaxis), ("right", ax.yaxis), ("bottom", ax.xaxis), ("top", ax.xaxis)):
        spine = ax.spines.get(side)
        if spine is None or spine.get_visible() or not ax.axison or not axis.get_visible():
            continue
        labelled = any(
            (tick.label1 if side in ("left", "bottom") else tick.label2).get_visible()
            and (tick.tick1line if side in ("left", "bottom") else tick.tick2line).get_visible()
            for tick in axis.get_major_ticks()
        )
        if labelled:
            problems.append(f"axes {_axes_index(ax)} ({ax.get_ylabel() or ax.get_xlabel()!r}): tick marks and labels on the {side} without its spine")
    return problems


def layout_problems(figure: Figure) -> list[str]:
    """Every layout fault of ``figure``, in words naming the artists (empty: it passes)."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    canvas = figure.bbox
    problems: list[str] = []
    texts = _texts(figure, renderer)
    for text in texts:
        box = text.box
        if box.x0 < canvas.x0 - 1 or box.y0 < canvas.y0 - 1 or box.x1 > canvas.x1 + 1 or box.y1 > canvas.y1 + 1:
            problems.append(f"{text.name} falls outside the canvas")
    for a, b in itertools.combinations(texts, 2):
        if a.owner is b.owner:
            continue
        if _texts_overlap(a, b, renderer):
            problems.append(f"{a.name} overlaps {b.name}")
    for ax in figure.axes:
        if not ax.get_visible():
            continue
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            cover = _legend_cover(ax, legend, renderer)
            if cover > LEGEND_COVER_MAX:
                problems.append(f"the legend of axes {_axes_index(ax)} covers {cover:.0%} of its plotted data (at most {LEGEND_COVER_MAX:.0%})")
        for text in ax.texts:
            if text.get_visible() and text.get_text().strip():
                crossed, line = _crossed_fraction(ax, text.get_window_extent(renderer))
                if crossed > ANNOTATION_CROSSED_MAX:
                    problems.append(f"annotation {text.get_text()!r} of axes {_axes_index(ax)} is struck through by line {line!r} ({crossed:.0%} of its width)")
        problems.extend(_hidden_spine_ticks(ax))
    return problems
