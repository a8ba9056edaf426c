"""The slurm profile on a real single-node Slurm (started by ``.ci/slurm-up``): a sweep submitted
through it gives the same dataset as a local run. Skipped, with the reason, where the daemons
cannot start (not root, no apt)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import xarray as xr
import yaml

from neurosweep.store import open_dataset

TINY = {
    "experiments": {
        "lif_x": {
            "model": "lif",
            "t_stop_ms": 50,
            "protocol": {"kind": "constant"},
            "sweep": {"grid": {"I": [21, 25, 30]}},
            "chunk_size": 2,
        }
    }
}


@pytest.fixture(scope="module")
def slurm(repo):
    started = subprocess.run(["bash", str(repo / ".ci" / "slurm-up")], capture_output=True, text=True, timeout=600)
    if started.returncode:
        pytest.skip(f"no Slurm here: {(started.stdout + started.stderr).strip().splitlines()[-1:]}")
    return started.stdout.strip()


def _run(repo, workdir, config, *profile: str) -> xr.Dataset:
    command = [sys.executable, "-m", "snakemake", *profile, "--cores", "2", "--configfile", str(config), "--directory", str(workdir)]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return open_dataset(workdir / "results" / "lif_x" / "dataset.zarr").load()


def test_a_sweep_through_the_slurm_profile_equals_a_local_run(slurm, repo, tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    local = _run(repo, tmp_path / "local", config)
    on_slurm = _run(repo, tmp_path / "slurm", config, "--workflow-profile", "profiles/slurm")
    xr.testing.assert_equal(local.drop_attrs(), on_slurm.drop_attrs())
    assert float(on_slurm["spike_time_ms"].count()) > 0


def _queued() -> list[str]:
    listed = subprocess.run(["squeue", "-h", "-o", "%i %j %T"], capture_output=True, text=True, timeout=30)
    return [line for line in listed.stdout.splitlines() if line.strip()]


def test_interrupting_a_run_cancels_its_queued_jobs(slurm, repo, tmp_path):
    """Ctrl-C on Snakemake (SIGINT) scancels every job it submitted: none is left in the queue."""
    import signal
    import time

    many = {"experiments": {"lif_x": {**TINY["experiments"]["lif_x"], "t_stop_ms": 2000,
                                      "sweep": {"grid": {"I": list(range(20, 44))}}}}}  # fmt: skip
    config = tmp_path / "many.yaml"
    config.write_text(yaml.safe_dump(many))
    assert not _queued(), "the queue is not empty before the test"
    command = [sys.executable, "-m", "snakemake", "--workflow-profile", "profiles/slurm", "--cores", "2",
               "--configfile", str(config), "--directory", str(tmp_path / "run")]  # fmt: skip
    run = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    while len(_queued()) < 3 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(1)
    assert len(_queued()) >= 3, "the run never queued its jobs"
    run.send_signal(signal.SIGINT)
    output, _ = run.communicate(timeout=180)
    for _ in range(30):
        if not _queued():
            break
        time.sleep(1)
    assert not _queued(), f"left in the queue after Ctrl-C: {_queued()}\n{output[-2000:]}"
