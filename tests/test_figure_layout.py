"""The layout check: every course figure, drawn from its data, has no text over text, nothing
off the canvas and no legend over its data; and the check finds each of those faults, naming
the artists, in figures made to have them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from neurosweep.experiments import load_config
from neurosweep.figures import PLOTS, STYLE, available_plots, render
from neurosweep.figures.layout import LEGEND_COVER_MAX, layout_problems
from neurosweep.figures.typeset import typeset_text

from figure_fixture import FIXTURE, REPO, load

COURSE = load_config(REPO / "config" / "config.yaml")["figures"]
SMOKE = load_config(REPO / "config" / "smoke.yaml")["figures"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("figure_id", sorted(COURSE))
def test_every_course_figure_passes_the_layout_check(figure_id):
    spec = COURSE[figure_id]
    missing = [name for name in spec["experiments"] if not (FIXTURE / f"{name}.zarr").exists()]
    assert not missing, f"no fixture data for {missing}: rebuild it with `python tests/figure_fixture.py` after a course run"
    data = {name: load(name) for name in spec["experiments"]}
    with plt.style.context(STYLE):
        figure = render(spec.get("plot", figure_id), data, figure_id, spec.get("options", {}))
        problems = layout_problems(figure)
    assert not problems, f"{figure_id}:\n  " + "\n  ".join(problems)


def test_every_registered_plot_is_drawn_by_the_course_or_the_smoke_config():
    """A new plot lands with a config entry, so the test above (or the smoke run) draws it."""
    drawn = {spec.get("plot", figure_id) for figures in (COURSE, SMOKE) for figure_id, spec in figures.items()}
    assert set(available_plots()) <= drawn, sorted(set(PLOTS) - drawn)


def _figure(**subplots):
    with plt.style.context(STYLE):
        return plt.subplots(**subplots)


def test_text_over_text_is_found_and_named():
    fig, ax = _figure(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "second label", transform=ax.transAxes)
    problems = layout_problems(fig)
    assert any("'first label'" in p and "'second label'" in p and "overlaps" in p for p in problems), problems


def test_a_label_off_the_canvas_is_found():
    fig, ax = _figure(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.legend(["a long legend entry"], loc="center left", bbox_to_anchor=(1.2, 0.5))
    fig.set_layout_engine("none")
    problems = layout_problems(fig)
    assert any("legend" in p and "outside the canvas" in p for p in problems), problems


def test_a_legend_over_the_data_is_found_and_a_clear_one_passes():
    fig, ax = _figure(figsize=(4, 3))
    x = np.linspace(0, 1, 200)
    ax.plot(x, np.full_like(x, 0.9), label="a line along the top")
    ax.plot(x, x * 0.2, label="a low line")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    problems = layout_problems(fig)
    assert any("legend of axes #0 covers" in p for p in problems), problems
    ax.legend(loc="center right")
    assert not [p for p in layout_problems(fig) if "legend" in p], f"at most {LEGEND_COVER_MAX:.0%} covered"


def test_an_annotation_struck_through_by_a_line_is_found():
    fig, ax = _figure(figsize=(4, 3))
    ax.plot([0, 1], [0.5, 0.5], label="threshold")
    ax.text(0.3, 0.5, "a label on the line", va="center")
    problems = layout_problems(fig)
    assert any("'a label on the line'" in p and "struck through by line 'threshold'" in p for p in problems), problems


def test_tick_labels_without_their_spine_are_found():
    with plt.style.context(STYLE):  # the style hides right spines, a twin axis' too
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1], [0, 1])
        twin = ax.twinx()
        twin.plot([0, 1], [1, 0])
        twin.set_ylabel("w (pA)")
        problems = layout_problems(fig)
    assert any("on the right without its spine" in p for p in problems), problems
    twin.spines["right"].set_visible(True)
    assert not [p for p in layout_problems(fig) if "spine" in p]


@pytest.mark.parametrize(
    ("written", "printed"),
    [("I (uA/cm2)", "I (µA/cm²)"), ("g (mS/cm2)", "g (mS/cm²)"), ("tau = 10 ms", r"$\tau$ = 10 ms"), ("tau_ref", r"$\tau_{\mathrm{ref}}$"),
     ("delta_T = 2", r"$\Delta_T$ = 2"), ("max Re(lambda)", r"max Re($\lambda$)"), ("mu0 = 30 Hz", r"$\mu_{0}$ = 30 Hz"),
     ("the total", "the total"), ("$x_1$ kept", "$x_1$ kept"), ("V_th", r"$V_{\mathrm{th}}$"), ("m_inf", r"$m_\infty$"),
     ("I = 4.000 +/- 0.010", "I = 4.000 ± 0.010"), ("k U / J0", r"k U / $J_{0}$"), ("hh_fi_curve", "hh_fi_curve")],
)  # fmt: skip
def test_names_and_units_are_printed_as_the_field_writes_them(written, printed):
    assert typeset_text(written) == printed


def test_leaving_out_segments_beyond_the_axes_keeps_every_point_inside_them():
    """The check resamples a line only where it can fall inside its axes: the points inside are
    the same, in the same order, as when every segment is resampled (random walks that leave
    the axes by every edge)."""
    from neurosweep.figures.layout import _inside, _line_points

    rng = np.random.default_rng(0)
    fig, ax = plt.subplots()
    ax.set(xlim=(0, 1), ylim=(-1, 1))
    for _ in range(40):
        x = np.sort(rng.uniform(-0.5, 1.5, 300))
        y = np.cumsum(rng.normal(0, 0.3, 300))
        (line,) = ax.plot(x, y)
    fig.canvas.draw()
    window = ax.get_window_extent()
    for line in ax.get_lines():
        every, kept = _line_points(line), _line_points(line, window=window)
        assert len(kept) <= len(every)
        np.testing.assert_array_equal(kept[_inside(window, kept)], every[_inside(window, every)])
