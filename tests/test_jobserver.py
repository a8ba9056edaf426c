"""The job server: a job run by a warm worker equals the same job run in its own process; a
failing job fails alone; the server goes with the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import xarray as xr

from neurosweep import jobserver
from neurosweep.store import open_dataset

CONFIG = {
    "jax_cache_dir": "jax_cache",
    "experiments": {
        "hh_sweep": {
            "model": "hh", "dt_ms": 0.05, "t_stop_ms": 60, "protocol": {"kind": "constant"},
            "sweep": {"grid": {"I": [0.0, 5.0, 10.0, 20.0]}}, "record": {"variables": ["V"]},
        },
    },
}  # fmt: skip


def _request(workdir, stage: str, output: str, **extra) -> dict:
    return {"stage": stage, "config": CONFIG, "experiment": "hh_sweep", "chunk": "0", "figure": None,
            "input": [], "output": [output], "log": f"logs/{stage}_{output.replace('/', '_')}.log", "cwd": str(workdir), **extra}  # fmt: skip


@pytest.fixture
def server(tmp_path):
    """A job server of two workers for jobs in ``tmp_path``."""
    address = jobserver.start(2)
    yield address
    jobserver.stop()


def _run_in_own_process(request: dict) -> subprocess.CompletedProcess:
    """What a job does without a server: run_job in a fresh interpreter."""
    code = f"import sys, json; from neurosweep.jobserver import run_job; sys.exit(run_job(json.loads({repr(__import__('json').dumps(request))})))"
    environment = {k: v for k, v in os.environ.items() if k != jobserver.ENV_VAR}
    return subprocess.run([sys.executable, "-c", code], cwd=request["cwd"], env=environment, capture_output=True, text=True, timeout=300)


def test_a_job_on_a_worker_equals_the_job_in_its_own_process(tmp_path, server, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert jobserver.run_job(_request(tmp_path, "simulate", "served.zarr")) == 0
    assert jobserver.run_job(_request(tmp_path, "simulate", "served_again.zarr")) == 0  # a warm worker
    alone = _run_in_own_process(_request(tmp_path, "simulate", "alone.zarr"))
    assert alone.returncode == 0, alone.stderr
    served, again, own = (open_dataset(tmp_path / name).load() for name in ("served.zarr", "served_again.zarr", "alone.zarr"))
    for name in ("V", "spike_time_ms", "n_spikes"):
        xr.testing.assert_equal(served[name], own[name])
        xr.testing.assert_equal(again[name], own[name])
    assert int(own["n_spikes"].sel(point=3)) >= 4  # I = 20 fires: the comparison is of spikes, not of silence
    logs = {path.name: path.read_text() for path in (tmp_path / "logs").iterdir()}
    assert "a job server worker" in logs["simulate_served.zarr.log"]
    assert "its own process" in logs["simulate_alone.zarr.log"]


def test_a_failing_job_fails_alone_and_the_worker_goes_on(tmp_path, server, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    bad = _request(tmp_path, "simulate", "bad.zarr", experiment="no_such_experiment")
    assert jobserver.run_job(bad) == 1
    assert "no_such_experiment" in capsys.readouterr().err
    assert "job failed" in (tmp_path / "logs" / "simulate_bad.zarr.log").read_text()
    assert not (tmp_path / "bad.zarr").exists()
    for _ in range(3):  # both workers still serve
        assert jobserver.run_job(_request(tmp_path, "simulate", "good.zarr")) == 0


def test_without_a_server_a_job_runs_in_its_own_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(jobserver.ENV_VAR, str(tmp_path / "nobody-listens.sock"))
    assert jobserver.run_job(_request(tmp_path, "simulate", "alone.zarr")) == 0
    assert "its own process" in (tmp_path / "logs" / "simulate_alone.zarr.log").read_text()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")
def test_the_server_and_its_workers_go_when_their_snakemake_is_killed(tmp_path):
    """A SIGKILLed Snakemake leaves no server behind: it notices its parent gone within a second."""
    starter = subprocess.Popen(
        [sys.executable, "-c", "import time; from neurosweep import jobserver; print(jobserver.start(2), flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    address = starter.stdout.readline().strip()
    deadline = time.monotonic() + 30
    supervisor = set()
    while time.monotonic() < deadline and not supervisor:
        supervisor = _children(starter.pid)
        time.sleep(0.1)
    (supervisor_pid,) = supervisor
    while time.monotonic() < deadline and len(_children(supervisor_pid)) < 2:
        time.sleep(0.1)
    workers = _children(supervisor_pid)
    assert len(workers) == 2
    starter.send_signal(signal.SIGKILL)
    starter.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" for pid in {supervisor_pid, *workers}):
        time.sleep(0.1)
    assert not [pid for pid in {supervisor_pid, *workers} if os.path.exists(f"/proc/{pid}") and _state(pid) != "Z"]
    assert not os.path.exists(address)


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_workers_share_the_cores_among_their_blas_threads(monkeypatch):
    """One BLAS thread per worker when the workers fill the cores (threads beyond the cores
    spin against each other); a user's own setting is kept."""
    cores = len(os.sched_getaffinity(0))
    assert jobserver.blas_threads(cores)["OPENBLAS_NUM_THREADS"] == "1"
    assert jobserver.blas_threads(1)["OPENBLAS_NUM_THREADS"] == str(cores)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    captured = {}
    monkeypatch.setattr(jobserver.subprocess, "Popen", lambda *args, env, **kwargs: captured.update(env) or _NeverStarted())
    monkeypatch.setattr(jobserver.Path, "exists", lambda self: True)
    jobserver.start(cores)
    jobserver._server = None  # nothing was started
    jobserver.stop()  # forgets the socket's address
    assert captured["OPENBLAS_NUM_THREADS"] == "3" and captured["OMP_NUM_THREADS"] == "1"


class _NeverStarted:
    def poll(self):
        return 0


@pytest.mark.parametrize("with_server", [True, False], ids=["on_a_worker", "in_its_own_process"])
def test_the_shell_client_runs_a_rule_job_like_run_job(tmp_path, monkeypatch, with_server):
    """A rule's shell command (``python -S jobserver.py --job ...``, the config in a file): on a
    worker, or restarted with the site packages and run in its own process when there is no
    server; the same dataset as run_job gives."""
    monkeypatch.chdir(tmp_path)
    assert jobserver.run_job(_request(tmp_path, "simulate", "reference.zarr")) == 0
    environment = {k: v for k, v in os.environ.items() if k != jobserver.ENV_VAR}
    environment[jobserver.CONFIG_ENV_VAR] = jobserver.write_config(CONFIG, tmp_path / "plan")
    if with_server:
        environment[jobserver.ENV_VAR] = jobserver.start(1)
    try:
        command = [sys.executable, "-S", jobserver.__file__, "--job", "simulate", "--experiment", "hh_sweep", "--chunk", "0",
                   "--output", "client.zarr", "--log", "logs/client.log"]  # fmt: skip
        result = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    finally:
        jobserver.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    where = "a job server worker" if with_server else "its own process"
    assert f"run by {where}" in (tmp_path / "logs" / "client.log").read_text()
    xr.testing.assert_identical(open_dataset(tmp_path / "client.zarr").load().drop_attrs(), open_dataset(tmp_path / "reference.zarr").load().drop_attrs())
