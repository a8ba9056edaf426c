"""Continuous attractor networks: the adaptive CANN's (k, m) phase diagram as vmapped chunks against
the same grid point by point, the 2-D sheet's time per simulated second, and BrainPy on the same
1-D runs, in one run on one machine.

The grid is the course config's ``cann_sfa_phase``: CANN1D_SFA, 512 neurons, J0 = 4, tau_v = 10,
from a low bump (height 0.02) with input noise of sd 1e-4, 300 ms at dt = 0.1 ms (3,000 forward
Euler steps), u recorded every 5 ms, float32, over 16 x 16 (k, m) points (chunks of 64). Timings
exclude compilation (each program is compiled by a warm-up call; the first call's time is
reported separately):

- **chunks**: the 256 points as 4 vmapped chunks of 64, one compiled program;
- **point by point**: the same 256 points, one jitted call each (the one-point program compiled
  once and reused, the best a loop over points can do in neurosweep);
- **2-D sheet**: CANN2D 100 x 100 (10,000 neurons, FFT convolution), 100 ms, reported per
  simulated second;
- **BrainPy** (``_brainpy_cann.py`` in BrainPy's own environment): the same model and run, as the
  BrainPy course writes it (dense ``conn_mat`` product, a fresh model and ``DSRunner`` per point),
  on a 4 x 4 subset of the grid (BrainPy compiles every point again: its time per network is what
  scales).

Usage::

    BRAINPY_PYTHON=/work/venv-brainpy/bin/python python benchmarks/cann.py --out benchmarks/results/cann.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path

from _harness import first_and_best

K_GRID = [0.1, 0.3, 1, 3, 10, 20, 40, 60, 80, 90, 100, 110, 120, 130, 140, 150]
M_GRID = [0, 0.02, 0.04, 0.06, 0.08, 0.09, 0.095, 0.105, 0.11, 0.12, 0.14, 0.17, 0.2, 0.25, 0.3, 0.4]
T_STOP_MS = 300.0


def _phase_experiment(chunk_size: int):
    from neurosweep.experiments import parse_experiment

    return parse_experiment("cann_sfa_phase", {
        "model": "cann1d_sfa", "t_stop_ms": T_STOP_MS, "params": {"J0": 4.0, "noise_sd": 0.0001, "bump0_height": 0.02},
        "protocol": {"kind": "none"}, "sweep": {"grid": {"k": K_GRID, "m": M_GRID}},
        "record": {"variables": ["u"], "every_ms": 5}, "chunk_size": chunk_size,
    })  # fmt: skip


def _sheet_experiment():
    from neurosweep.experiments import parse_experiment

    return parse_experiment("cann2d", {
        "model": "cann2d", "t_stop_ms": 100.0,
        "params": {"k": 0.05, "a": 0.3141592653589793, "tau_v": 100.0, "J0": 1.0, "m": 0.0095, "m_sd": 0.0007, "noise_sd": 0.1},
        "protocol": {"kind": "none"}, "record": {"variables": ["u"], "every_ms": 1},
    })  # fmt: skip


def neurosweep_runs(repeats: int) -> dict:
    import jax

    from neurosweep.runner import chunk_arguments, simulate

    experiment = _phase_experiment(64)
    chunks = [chunk_arguments(experiment, index) for index in range(experiment.n_chunks)]

    def all_chunks() -> None:
        for arguments in chunks:
            jax.block_until_ready(simulate(*arguments))

    _, chunks_first_s, chunks_s = first_and_best(all_chunks, repeats)
    single = _phase_experiment(1)
    points = [chunk_arguments(single, index) for index in range(single.n_chunks)]

    def point_by_point() -> None:
        for arguments in points:
            jax.block_until_ready(simulate(*arguments))

    jax.block_until_ready(simulate(*points[0]))  # compile the one-point program
    _, point_first_s, point_s = first_and_best(point_by_point, max(repeats - 1, 0))
    point_s = point_s if point_s is not None else point_first_s
    sheet = chunk_arguments(_sheet_experiment())
    _, sheet_first_s, sheet_s = first_and_best(lambda: jax.block_until_ready(simulate(*sheet)), repeats)
    n_points = experiment.n_points
    return {
        "device": str(jax.devices()[0]),
        "n_points": n_points,
        "chunks_first_s": chunks_first_s,
        "chunks_s": chunks_s,
        "chunks_per_network_s": chunks_s / n_points,
        "point_by_point_s": point_s,
        "point_by_point_per_network_s": point_s / n_points,
        "chunks_gain": point_s / chunks_s,
        "sheet_first_s": sheet_first_s,
        "sheet_100ms_s": sheet_s,
        "sheet_s_per_simulated_s": sheet_s * 10.0,
    }


def brainpy_run(python: str, repeats: int) -> dict:
    k_subset = ",".join(str(k) for k in K_GRID[::4])
    m_subset = ",".join(str(m) for m in M_GRID[::4])
    command = [python, str(Path(__file__).with_name("_brainpy_cann.py")), "--grid-k", k_subset, "--grid-m", m_subset,
               "--t-stop-ms", str(T_STOP_MS), "--noise-sd", "0.0001", "--u0-height", "0.02", "--repeats", str(repeats)]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if proc.returncode:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--brainpy-python", default=os.environ.get("BRAINPY_PYTHON"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from neurosweep.runtime import configure_jax

    configure_jax()
    result = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores", "neurosweep": neurosweep_runs(args.repeats)}
    if args.brainpy_python:
        peer = brainpy_run(args.brainpy_python, args.repeats)
        result["brainpy"] = peer
        if "per_network_s" in peer:
            ours = result["neurosweep"]
            result["ratios"] = {
                "brainpy_per_network_over_chunks": peer["per_network_s"] / ours["chunks_per_network_s"],
                "brainpy_per_network_over_point_by_point": peer["per_network_s"] / ours["point_by_point_per_network_s"],
                "brainpy_grid_estimate_s": peer["per_network_s"] * ours["n_points"],
            }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
