"""A figure's files: a PNG taken from the layout check's draw is the picture ``savefig`` draws
afresh (same size, the same pixels but for sub-pixel placement); where something drawn lies
beyond the canvas the file is drawn afresh, so that nothing is cut off; files carry no date."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from neurosweep.figures import STYLE
from neurosweep.figures.files import SAVE_DPI, save_checked

#: Mean absolute difference (0-255 levels) allowed for lines placed up to half a pixel apart.
MEAN_LEVEL_DIFFERENCE = 3.0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _figure() -> plt.Figure:
    t = np.linspace(0, 100, 2001)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    axes[0].plot(t, np.sin(t / 5), label="sin")
    axes[0].set(xlabel="t (ms)", ylabel="V (mV)", title="a trace")
    axes[0].legend(loc="upper right")
    axes[1].scatter(np.random.default_rng(0).uniform(0, 1, 300), np.random.default_rng(1).uniform(0, 1, 300), s=4)
    axes[1].set(xlabel="x (1)", ylabel="y (1)")
    return fig


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA")).astype(int)


def test_the_png_from_the_check_draw_is_the_picture_savefig_draws(tmp_path):
    with plt.style.context(STYLE):
        fig = _figure()
        problems = save_checked(fig, [tmp_path / "a.png", tmp_path / "a.pdf"])
        crop = fig.get_tightbbox(fig.canvas.get_renderer()).padded(plt.rcParams["savefig.pad_inches"])
        fig.savefig(tmp_path / "fresh.png", dpi=SAVE_DPI, bbox_inches=crop)
    assert problems == []
    ours, fresh = _pixels(tmp_path / "a.png"), _pixels(tmp_path / "fresh.png")
    assert ours.shape == fresh.shape
    assert np.abs(ours - fresh).mean() < MEAN_LEVEL_DIFFERENCE
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")


def test_a_text_beyond_the_canvas_is_drawn_afresh_not_cut_off(tmp_path):
    with plt.style.context(STYLE):
        fig = _figure()
        fig.text(1.02, 0.5, "a note beyond the right edge")
        problems = save_checked(fig, [tmp_path / "a.png"])
    assert any("outside the canvas" in p for p in problems)
    width_px = _pixels(tmp_path / "a.png").shape[1]
    assert width_px > fig.get_size_inches()[0] * SAVE_DPI  # the file reaches out to hold the note


def test_the_files_are_the_same_bytes_when_drawn_again(tmp_path):
    for name in ("one", "two"):
        with plt.style.context(STYLE):
            save_checked(_figure(), [tmp_path / f"{name}.png", tmp_path / f"{name}.pdf"])
    for suffix in ("png", "pdf"):
        assert (tmp_path / f"one.{suffix}").read_bytes() == (tmp_path / f"two.{suffix}").read_bytes()
