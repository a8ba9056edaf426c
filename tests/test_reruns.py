"""Reruns follow what changed: a job's code digest covers exactly the code it runs, and its config
fingerprint exactly what changes its result."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from neurosweep.experiments import parse_experiment
from neurosweep.sources import analysis_modules, dependencies, simulation_modules

SRC = Path(__file__).resolve().parents[1] / "src" / "neurosweep"


def _names(modules: list[str]) -> set[str]:
    return {path.relative_to(SRC).as_posix() for path in dependencies(modules)}


def test_a_simulation_depends_on_its_own_model_file_and_the_runner_not_on_other_families():
    wong_wang = _names(simulation_modules("neurosweep.models.wong_wang"))
    hh = _names(simulation_modules("neurosweep.models.hh"))
    assert {"models/wong_wang.py", "runner.py", "store.py", "models/base.py"} <= wong_wang
    assert "models/hh.py" not in wong_wang and "models/wong_wang.py" not in hh
    assert not any(name.startswith("figures/") for name in wong_wang | hh)
    network = _names(simulation_modules("neurosweep.models.ei_network"))
    assert "models/network/projections.py" in network and "models/network/projections.py" not in hh


def test_an_analysis_and_a_figure_depend_on_their_own_modules_only():
    bump = _names(analysis_modules(["bump"]))
    assert "analysis/bump.py" in bump and "runner.py" not in bump and not any(n.startswith("models/") for n in bump)
    figure = _names(["neurosweep.store", "neurosweep.figures.cann"])
    assert "figures/cann.py" in figure and "figures/hh.py" not in figure and "runner.py" not in figure


def test_the_fingerprint_ignores_the_description_and_key_order_but_not_the_sweep_order():
    raw = {"model": "lif", "t_stop_ms": 10, "protocol": {"kind": "constant", "I": 20}, "sweep": {"grid": {"tau": [5, 10], "V_th": [-50, -45]}}}
    base = parse_experiment("x", raw).fingerprint()
    described = parse_experiment("x", {"description": "a new text", **dict(reversed(list(raw.items())))}).fingerprint()
    assert described == base
    swapped = {**raw, "sweep": {"grid": {"V_th": [-50, -45], "tau": [5, 10]}}}
    assert parse_experiment("x", swapped).fingerprint() != base
    assert parse_experiment("x", {**raw, "t_stop_ms": 20}).fingerprint() != base


def _snakemake(workdir: Path, *args: str) -> str:
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/tiny.yaml", *args]
    # The copy's own sources run (and are digested), not the installed package's.
    env = {**os.environ, "PYTHONPATH": str(workdir / "src")}
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def test_a_code_change_reruns_exactly_the_jobs_it_can_change(repo, tmp_path):
    """On a copy of the workflow: edit the LIF model -> only the LIF experiment reruns; edit an
    experiment's description -> nothing reruns."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("Snakefile", "workflow", "profiles", "src", "envs"):
        (shutil.copytree if (repo / name).is_dir() else shutil.copy)(repo / name, work / name if name != "Snakefile" else work / name)
    (work / "config").mkdir()
    config = {
        "jax_cache_dir": str(tmp_path / "jax_cache"),
        "experiments": {
            "lif_x": {"description": "LIF", "model": "lif", "t_stop_ms": 20, "protocol": {"kind": "constant", "I": 22}},
            "qif_x": {"description": "QIF", "model": "qif", "t_stop_ms": 20, "protocol": {"kind": "constant", "I": 5}},
        },
    }
    (work / "config" / "tiny.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    env_path = f"--config=jax_cache_dir={tmp_path / 'jax_cache'}"
    _snakemake(work, env_path)
    config["experiments"]["lif_x"]["description"] = "LIF, described anew"
    (work / "config" / "tiny.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    assert "Nothing to be done" in _snakemake(work, env_path, "-n")
    model = work / "src" / "neurosweep" / "models" / "lif.py"
    model.write_text(model.read_text() + "\n# an edit\n")
    planned = set(re.findall(r"wildcards: experiment=(\w+)", _snakemake(work, env_path, "-n")))
    assert planned == {"lif_x"}, planned


def test_a_run_killed_mid_simulation_resumes_to_identical_values_and_leaves_no_litter(repo, tmp_path):
    """SIGKILL the whole run while it simulates, unlock, rerun: the same dataset as an uninterrupted
    run, and no half-written store left (a stale ``.tmp-<pid>`` is removed by the next write)."""
    import signal
    import time

    import xarray as xr

    from neurosweep.store import open_dataset

    config = tmp_path / "kill.yaml"
    experiment = {"model": "hh", "t_stop_ms": 400, "dt_ms": 0.01, "protocol": {"kind": "constant"},
                  "sweep": {"grid": {"I": [0.0, 5.0, 10.0, 15.0]}}, "chunk_size": 1}  # fmt: skip
    config.write_text(yaml.safe_dump({"jax_cache_dir": str(tmp_path / "cache"), "experiments": {"hh_k": experiment}}))

    def command(workdir: Path, *extra: str) -> list[str]:
        return [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(config), "--directory", str(workdir), *extra]

    killed = tmp_path / "killed"
    process = subprocess.Popen(command(killed), cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list((killed / "logs" / "hh_k").glob("simulate_*.log")) if (killed / "logs" / "hh_k").exists() else True:
        assert time.monotonic() < deadline and process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # A writer killed mid-write leaves a hidden sibling and no store; the next write of that path
    # removes the sibling. The collect may have finished before the kill (a warm job server runs
    # these chunks in about a second): drop its stores, as a collect killed before its renames would.
    for store in ("dataset.zarr", "analysis.zarr"):
        shutil.rmtree(killed / "results" / "hh_k" / store, ignore_errors=True)
    stale = killed / "results" / "hh_k" / ".dataset.zarr.tmp-999999"
    stale.mkdir(parents=True, exist_ok=True)
    subprocess.run(command(killed, "--unlock"), cwd=repo, check=True, capture_output=True, timeout=300)
    resumed = subprocess.run(command(killed), cwd=repo, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    clean = tmp_path / "clean"
    subprocess.run(command(clean), cwd=repo, check=True, capture_output=True, timeout=900)
    dataset = "results/hh_k/dataset.zarr"
    xr.testing.assert_equal(open_dataset(killed / dataset).load().drop_attrs(), open_dataset(clean / dataset).load().drop_attrs())
    assert not list((killed / "results").rglob(".*.tmp-*"))
