"""A drawn figure to its files: the layout checked once, the figure drawn as few times as it can be.

The layout check draws the figure (the layout engine places everything in that draw); the files
keep that layout, cropped to the figure's tight bounding box as measured in the same draw. The
check's draw is made at the files' resolution, so a PNG is that draw's pixels, cropped: one
render fewer per figure (about a third of a figure job). A vector file is drawn for itself.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.colors
import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from neurosweep.figures.layout import layout_problems

__all__ = ["SAVE_DPI", "save_checked"]

#: The resolution of every raster file (and of the layout check's draw).
SAVE_DPI = 150


def _metadata(path: Path) -> dict[str, str | None]:
    """Deterministic files: no timestamp, the same creator whatever matplotlib's version."""
    if path.suffix == ".pdf":
        return {"Creator": "neurosweep", "CreationDate": None}
    return {"Software": "neurosweep"}


def _canvas_pixels(figure: Figure, tight: Bbox, crop: Bbox) -> np.ndarray | None:
    """The last draw's RGBA pixels inside ``crop`` (inches), framed as ``savefig(bbox_inches=crop)``
    frames them (a padding beyond the canvas in the figure's face colour); None where the canvas
    keeps no pixels or something drawn (``tight``) reaches beyond it: only a fresh draw holds that."""
    canvas = figure.canvas
    width, height = figure.get_size_inches()
    if not hasattr(canvas, "buffer_rgba") or tight.x0 < 0 or tight.y0 < 0 or tight.x1 > width or tight.y1 > height:
        return None
    dpi = figure.dpi
    pixels = np.asarray(canvas.buffer_rgba())
    rows, columns = pixels.shape[:2]
    # savefig's canvas for a box is int(size * dpi) pixels, its origin at the box's lower left corner.
    out_rows, out_columns = math.floor(crop.height * dpi), math.floor(crop.width * dpi)
    face = np.round(np.asarray(matplotlib.colors.to_rgba(figure.get_facecolor())) * 255).astype(np.uint8)
    out = np.empty((out_rows, out_columns, 4), np.uint8)
    out[...] = face
    left = round(crop.x0 * dpi)  # canvas column of the output's first column
    top = rows - (round(crop.y0 * dpi) + out_rows)  # canvas row (from the top) of the output's first row
    r0, r1 = max(top, 0), min(top + out_rows, rows)
    c0, c1 = max(left, 0), min(left + out_columns, columns)
    out[r0 - top : r1 - top, c0 - left : c1 - left] = pixels[r0:r1, c0:c1]
    return out


def save_checked(figure: Figure, paths: Sequence[str | os.PathLike], dpi: float = SAVE_DPI) -> list[str]:
    """Check ``figure``'s layout and write it to every path (its format from the suffix).

    Returns the layout problems (:func:`neurosweep.figures.layout.layout_problems`).
    """
    figure.set_dpi(dpi)
    problems = layout_problems(figure)  # it draws the figure at the files' dpi
    tight = figure.get_tightbbox(figure.canvas.get_renderer())
    crop = tight.padded(plt.rcParams["savefig.pad_inches"])
    # Each later draw (a vector file) keeps the layout just checked instead of laying it out again.
    figure.set_layout_engine("none")
    for name in paths:
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = _canvas_pixels(figure, tight, crop) if path.suffix == ".png" else None
        if pixels is not None:
            # zlib level 2: half the time of the default 6, files about as small (these are flat-colour plots).
            matplotlib.image.imsave(path, pixels, format="png", origin="upper", dpi=dpi, metadata=_metadata(path), pil_kwargs={"compress_level": 2})
        else:
            figure.savefig(path, dpi=dpi, bbox_inches=crop, metadata=_metadata(path))
    return problems
