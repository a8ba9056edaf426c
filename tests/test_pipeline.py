"""The whole pipeline through Snakemake: smoke config, report, lint, format, profiles."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import neurosweep

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def _run(command: list[str], cwd, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


@pytest.fixture(scope="module")
def smoke_run(repo, tmp_path_factory):
    """The smoke config through every stage, in a scratch working directory."""
    workdir = tmp_path_factory.mktemp("smoke")
    _run([*SNAKEMAKE, "--cores", "2", "--configfile", "config/smoke.yaml", "--directory", str(workdir),
          "--config", f"jax_cache_dir={workdir / 'jax_cache'}"], cwd=repo)  # fmt: skip
    return workdir


def test_smoke_config_builds_its_figures_and_datasets(smoke_run):
    figures = sorted(p.name for p in (smoke_run / "results" / "figures").iterdir())
    expected = ["cann_smooth_tracking", "dm_spiking_trial", "ei_balance_sweep", "ei_raster_rates", "hh_gK_by_I_rates", "hh_gK_rate_curves", "hh_gate_kinetics_curves",
                "hh_pulse_all_or_none", "hh_pulse_gating", "hh_pulse_traces", "lif_fi_curve"]
    assert figures == sorted([f"{name}.{ext}" for name in expected for ext in ("pdf", "png")] + ["cann_smooth_tracking.gif"])
    grid = neurosweep.load("hh_gK_by_I", results_dir=smoke_run / "results", analysis=True)
    assert grid["firing_rate_hz"].dims == ("gK", "I")
    assert grid["gK"].attrs["units"] == "mS/cm2"
    assert float(grid["firing_rate_hz"].sel(I=0.0).max()) == 0.0
    assert float(grid["firing_rate_hz"].sel(I=20.0).min()) > 30.0
    # 10 points in chunks of 4: three chunk stores, collected into one dataset
    assert len(list((smoke_run / "results" / "hh_gK_by_I" / "chunks").iterdir())) == 3
    # A local run hands its jobs to the job server's warm workers (neurosweep.jobserver).
    logs = list((smoke_run / "logs").rglob("*.log"))
    assert logs and all("run by a job server worker" in path.read_text() for path in logs)


def test_a_network_sweep_goes_through_every_stage(smoke_run):
    """Network chunks are collected into a grid (spike events padded with -1), analysed per population."""
    network = neurosweep.load("ei_small", results_dir=smoke_run / "results", analysis=True)
    assert network["rate_hz"].dims == ("I", "w_inh", "population_name")
    assert network["spike_neuron"].dtype.kind == "i" and int(network["spike_neuron"].min()) == -1
    # Every point active and its chunk found (statistics of the regime: tests/test_network.py).
    assert np.all(network["rate_hz"].values > 1.0), network["rate_hz"].values
    assert network["input_exc_mean"].sizes == network["rate_hz"].sizes


def test_a_field_model_sweep_goes_through_every_stage_with_its_animation(smoke_run):
    """A CANN sweep: the field over x, the bump analysis per speed, and a GIF beside the figure."""
    from PIL import Image

    tracking = neurosweep.load("cann_tracking", results_dir=smoke_run / "results", analysis=True)
    assert tracking["u"].dims == ("speed_rad_per_ms", "time", "x") and tracking["x"].attrs["units"] == "rad"
    # The bump lags a moving stimulus, more for the faster one, and sits on it once it stops.
    fast, slow = tracking["bump_minus_stimulus_rad"].sel(time=15.0).sortby("speed_rad_per_ms", ascending=False).values
    assert fast < slow < 0
    assert float(np.abs(tracking["bump_minus_stimulus_rad"].sel(time=35.0)).max()) < 0.01
    with Image.open(smoke_run / "results" / "figures" / "cann_smooth_tracking.gif") as gif:
        assert gif.n_frames == 80


def test_a_decision_network_goes_through_every_stage(smoke_run):
    """Two seeds of the Wang network, analysed per group, with its stimulus recorded in Hz."""
    trials = neurosweep.load("dm_spiking_short", results_dir=smoke_run / "results", analysis=True)
    assert list(trials["population_name"].values) == ["A", "B", "N", "I"]
    assert trials["rate_hz"].dims == ("seed", "population_name")
    assert trials["input_stimulus_A_hz"].attrs["units"] == "Hz"
    assert trials.attrs["model"] == "wang2002" and json.loads(trials.attrs["analyses"]) == ["network_statistics"]


def test_user_config_builds_only_what_it_declares(smoke_run):
    assert not (smoke_run / "results" / "hh_fi_rest").exists()
    assert sorted(p.name for p in (smoke_run / "results").iterdir() if p.name != "figures") == [
        "cann_tracking", "dm_spiking_short", "ei_small", "hh_gK_by_I", "hh_gate_kinetics", "hh_pulse", "lif_fi",
    ]  # fmt: skip


def test_the_smoke_figures_pass_the_layout_check(smoke_run):
    """Each figure job logs the layout check's findings; the smoke config's figures have none
    (the course's are checked from their data in test_figure_layout.py)."""
    logs = sorted((smoke_run / "logs" / "figures").glob("*.log"))
    assert len(logs) >= 10
    found = [line for log in logs for line in log.read_text().splitlines() if "overlaps" in line or "outside the canvas" in line
             or "covers" in line or "struck through" in line or "without its spine" in line]  # fmt: skip
    assert not found, "\n".join(found)


def test_report_gathers_every_figure(repo, smoke_run):
    report = smoke_run / "report.html"
    _run([*SNAKEMAKE, "--configfile", "config/smoke.yaml", "--directory", str(smoke_run),
          "--config", f"jax_cache_dir={smoke_run / 'jax_cache'}", "--report", str(report)], cwd=repo)  # fmt: skip
    html = report.read_text(errors="replace")
    for name in ("hh_pulse_all_or_none", "lif_fi_curve", "hh_gK_by_I_rates"):
        assert name in html


def test_rerun_is_a_no_op(repo, smoke_run):
    result = _run([*SNAKEMAKE, "-n", "--configfile", "config/smoke.yaml", "--directory", str(smoke_run),
                   "--config", f"jax_cache_dir={smoke_run / 'jax_cache'}"], cwd=repo)  # fmt: skip
    assert "Nothing to be done" in result.stdout + result.stderr


def test_one_figure_builds_only_what_it_needs(repo, tmp_path):
    result = _run([*SNAKEMAKE, "-n", "--cores", "2", "--directory", str(tmp_path), "results/figures/hh_fi_curve.png"], cwd=repo)
    out = result.stdout
    assert "hh_fi_rest" in out and "hh_rest_stability" in out
    assert "lif_fi" not in out and "hh_pulse" not in out


_GOOD_HH = "experiments:\n  x:\n    model: hh\n    t_stop_ms: 10\n    protocol: {kind: constant, I: 1}\n"
_SWEPT_HH = "experiments:\n  x:\n    model: hh\n    t_stop_ms: 10\n    protocol: {kind: constant}\n    sweep: {grid: {I: [1, 2]}}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_GOOD_HH + "    params: {gk: 3}\n", "experiments.x.params.gk: hh has no parameter 'gk'; allowed: ["),
        (_GOOD_HH + "    dt: 0.1\n", "experiments.x.dt: unknown key; allowed: ["),
        (_GOOD_HH + "    t_stop_ms: 20\n", "t_stop_ms: given twice in one mapping"),
        (_GOOD_HH.replace("I: 1", "I: .inf"), "experiments.x.protocol.I: inf is not a finite number"),
        (_SWEPT_HH + "figures:\n  f: {plot: trace, experiments: [x]}\n", "figures.f.plot: unknown plot 'trace'; allowed: ["),
        (_SWEPT_HH + "figures:\n  f: {plot: lif_fi_curve, experiments: [x]}\n", "figures.f.experiments[0]: plot 'lif_fi_curve' draws experiments of model lif"),
        (_SWEPT_HH + "figures:\n  f: {plot: rate_heatmap, experiments: [x]}\n", "figures.f.experiments[0]: plot 'rate_heatmap' needs a 2-D sweep"),
        (_SWEPT_HH + "figures:\n  f: {plot: traces, experiments: [x]}\n", "figures.f.options.variable: plot 'traces' draws the recorded variable 'V'"),
    ],
    ids=["misspelled-parameter", "unitless-key", "key-twice", "non-finite", "unknown-plot", "figure-of-another-model", "2d-plot-of-1d-sweep", "unrecorded-variable"],
)
def test_bad_config_fails_before_any_job(repo, tmp_path, text, message):
    """A bad config stops Snakemake when it parses the workflow: a short message naming the key,
    and no job (no results folder)."""
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    result = subprocess.run([*SNAKEMAKE, "--cores", "1", "--configfile", str(config), "--directory", str(tmp_path)], cwd=repo,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode != 0
    assert message in result.stdout + result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "results").exists()
    assert len(result.stderr.splitlines()) < 12, f"a long error: {result.stderr}"


def test_slurm_profile_resolves(repo, tmp_path):
    result = _run([*SNAKEMAKE, "-n", "--workflow-profile", "profiles/slurm", "--directory", str(tmp_path)], cwd=repo)
    assert "simulate" in result.stdout


def test_lint_and_format_are_clean(repo):
    _run([*SNAKEMAKE, "--lint"], cwd=repo)
    snakefmt = shutil.which("snakefmt")
    if snakefmt is None:
        pytest.skip("snakefmt is not installed")
    _run([snakefmt, "--check", "."], cwd=repo)
