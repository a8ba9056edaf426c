"""A large LIF sweep through the whole pipeline: config -> collected, analysed dataset.

Each point: one LIF neuron (course parameters, tau_ref 5 ms), constant input I, membrane time
constant tau, 1 s of simulated time at dt = 0.1 ms (10^4 steps), storing only the per-point spike
count, first spike and ISI statistics computed in the loop (``record: {spikes: statistics}``).
The grid is I x tau; ``--points`` picks its size (10^5: 1000 x 100; 10^6: 1000 x 1000).

Measured, from a fresh directory (the repository's sources, its own ``results/``):
- ``dry_run_s``: ``snakemake -n`` before anything ran (the plan cache cold) and again (warm);
- ``run_s``: ``snakemake --cores N`` from config to ``analysis.zarr``;
- each job's peak resident memory and time, from its log (the job server resets the peak
  before each job), the largest per stage;
- the analysed rates against the closed form of the LIF f-I curve, as a check of the numbers.

    python benchmarks/large_sweep.py --points 100000 --cores 2 --out benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from _harness import JOB_DONE

REPO = Path(__file__).resolve().parents[1]
GRIDS = {10**4: (100, 100), 10**5: (1000, 100), 10**6: (1000, 1000)}


def sweep_config(n_points: int, jax_cache_dir: str) -> dict:
    n_inputs, n_taus = GRIDS[n_points]
    return {
        "jax_cache_dir": jax_cache_dir,
        "experiments": {
            "lif_large_sweep": {
                "description": f"LIF f-I over {n_inputs} inputs x {n_taus} membrane time constants, 1 s each",
                "model": "lif",
                "dt_ms": 0.1,
                "t_stop_ms": 1000,
                "params": {"tau_ref": 5},
                "init": {"V": 0},
                "protocol": {"kind": "constant"},
                "sweep": {"grid": {"I": {"start": 0, "stop": 600, "num": n_inputs}, "tau": {"start": 5, "stop": 20, "num": n_taus}}},
                "record": {"spikes": "statistics"},
            }
        },
    }


def _snakemake(workdir: Path, configfile: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    command = ["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), "--configfile", str(configfile), *args]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, proc


def job_records(workdir: Path) -> dict[str, dict]:
    """Per stage: number of jobs, the largest peak memory, the largest growth of a job over what
    its process held before it (a warm worker's own footprint: libraries, compiled programs),
    and the longest time, from the logs."""
    stages: dict[str, dict] = {}
    for log in (workdir / "logs").rglob("*.log"):
        for stage, seconds, peak, before in JOB_DONE.findall(log.read_text()):
            record = stages.setdefault(stage, {"jobs": 0, "peak_memory_mb": 0, "job_growth_mb": 0, "longest_s": 0.0, "total_s": 0.0})
            record["jobs"] += 1
            record["peak_memory_mb"] = max(record["peak_memory_mb"], int(peak))
            record["job_growth_mb"] = max(record["job_growth_mb"], int(peak) - int(before or 0))
            record["longest_s"] = max(record["longest_s"], float(seconds))
            record["total_s"] = round(record["total_s"] + float(seconds), 2)
    return stages


def check_rates(workdir: Path) -> dict:
    """The analysed rates against the LIF closed form (the same one the tests use)."""
    import xarray as xr

    from neurosweep.models.lif import firing_rate_hz

    analysis = xr.open_zarr(workdir / "results/lif_large_sweep/analysis.zarr")
    rate = analysis["firing_rate_hz"]
    I, tau = np.meshgrid(rate["I"].values, rate["tau"].values, indexing="ij")
    expected = np.asarray(firing_rate_hz(I=I, tau=tau, tau_ref=5.0))
    counted = rate.transpose("I", "tau").values
    # Counting spikes in 1 s quantises the rate to 1 Hz, and the step quantises each interval
    # to dt: r^2 dt / 1000 Hz at rate r (3.6 Hz at 190 Hz, dt = 0.1 ms).
    error = np.abs(counted - expected)
    bound = 1.0 + expected**2 * 0.1 / 1000.0 + 1e-9
    return {
        "points": int(counted.size),
        "max_abs_rate_error_hz": round(float(np.nanmax(error)), 3),
        "within_quantisation_bound": bool(np.all(error <= bound)),
        "mean_rate_hz": round(float(np.nanmean(counted)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, choices=sorted(GRIDS), default=10**5)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where to run (default: a fresh temporary directory)")
    parser.add_argument("--jax-cache", default=None, help="a JAX cache directory to reuse (default: a fresh one, cold)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="neurosweep-sweep-"))
    workdir.mkdir(parents=True, exist_ok=True)
    configfile = workdir / "sweep.yaml"
    configfile.write_text(yaml.safe_dump(sweep_config(args.points, args.jax_cache or str(workdir / ".jax_cache"))))
    dry_cold, proc = _snakemake(workdir, configfile, "-n")
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    dry_warm, _ = _snakemake(workdir, configfile, "-n")
    n_jobs = re.search(r"^total\s+(\d+)", proc.stdout, re.M)
    run_s, proc = _snakemake(workdir, configfile, "--cores", str(args.cores))
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    result = {
        "benchmark": "large_sweep",
        "points": args.points,
        "cores": args.cores,
        "jobs": int(n_jobs.group(1)) if n_jobs else None,
        "dry_run_cold_s": round(dry_cold, 2),
        "dry_run_s": round(dry_warm, 2),
        "run_s": round(run_s, 1),
        "stages": job_records(workdir),
        "rates": check_rates(workdir),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"large_sweep_{args.points}.json").write_text(json.dumps(result, indent=2) + "\n")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
