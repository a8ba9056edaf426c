"""The course run, timed: `snakemake --cores N` on config/config.yaml from fresh results.

    python benchmarks/course_run.py                # cold, warm, dry runs, no-op, one-figure redraw
    python benchmarks/course_run.py --skip-cold    # keep the JAX cache and the remembered plan

Phases (each a `snakemake` process timed from start to exit, in this checkout):
- cold: results, logs, the JAX compilation cache and the remembered plan removed (a fresh clone);
- warm: results removed, the JAX cache and the plan kept (`rm -rf results/*/`);
- dry runs: `snakemake -n` with nothing to do, and with `--forceall` (every job planned);
- no-op: `snakemake --cores N` with nothing to do (Snakemake's own start);
- redraw: one figure's option changed (a `traces` figure of `hh_pulse`, its `variable` V -> m):
  only that figure is redrawn; also the dry run right after such a change.

After the warm run, the job time of each rule (from each job's own log, "... job done in S s")
and the wall time Snakemake saw per job (its metadata) are summed, and the simulate time per
experiment listed. Results go to benchmarks/results/course_run.json.

Where Slurm's client tools are installed but no controller answers, every Snakemake start waits
about 18 s (the Slurm plugin asks `scontrol`); start one (`.ci/slurm-up`) or measure without them.
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from _harness import JOB_DONE

ROOT = Path(__file__).resolve().parents[1]
PROBE = "benchmark_probe_traces"


def snakemake(*args: str) -> float:
    """Seconds one ``snakemake`` process takes; raises if it fails."""
    started = time.perf_counter()
    proc = subprocess.run(["snakemake", *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"snakemake {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return seconds


def clear_results() -> None:
    for path in (ROOT / "results").glob("*/"):
        shutil.rmtree(path)


def logged_seconds(log: Path) -> float | None:
    """The time a job's log says it took (its last "job done" line); None without one."""
    found = JOB_DONE.findall(log.read_text()) if log.exists() else []
    return float(found[-1][1]) if found else None


def job_times(since: float) -> dict[str, Any]:
    """Per rule: jobs, their logged time and Snakemake's wall time; simulate time per experiment
    (the jobs that started at or after ``since``, a Unix time: not an earlier run's records)."""
    jobs = {}
    for record in (ROOT / ".snakemake" / "metadata").iterdir():
        meta = json.loads(record.read_text())
        if meta["starttime"] < since:
            continue
        output = base64.b64decode(record.name).decode(errors="replace")
        jobs[tuple(meta["log"])] = (meta["rule"], meta["starttime"], meta["endtime"], output)  # a job once, however many outputs
    rules: dict[str, dict[str, float]] = collections.defaultdict(lambda: {"jobs": 0, "logged_s": 0.0, "wall_s": 0.0})
    per_experiment: collections.Counter[str] = collections.Counter()
    for logs, (rule, start, end, output) in jobs.items():
        entry = rules[rule]
        entry["jobs"] += 1
        entry["wall_s"] += end - start
        entry["logged_s"] += sum(logged_seconds(ROOT / log) or 0.0 for log in logs)
        if rule in ("simulate", "simulate_collect"):
            per_experiment[output.split("/")[1]] += end - start
    return {
        "rules": {rule: {k: round(v, 2) for k, v in entry.items()} for rule, entry in sorted(rules.items())},
        "logged_s": round(sum(e["logged_s"] for e in rules.values()), 1),
        "wall_s": round(sum(e["wall_s"] for e in rules.values()), 1),
        "span_s": round(max(e for _, _, e, _ in jobs.values()) - min(s for _, s, _, _ in jobs.values()), 1),
        "simulate_by_experiment_s": {name: round(s, 1) for name, s in per_experiment.most_common(10)},
    }


def probe_config(variable: str, path: Path) -> Path:
    """The course config plus one ``traces`` figure drawing ``variable`` of hh_pulse."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["figures"][PROBE] = {"plot": "traces", "experiments": ["hh_pulse"], "options": {"variable": variable}}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="2")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "course_run.json"))
    args = parser.parse_args()
    cores = ["--cores", args.cores]
    result: dict[str, Any] = {"cores": int(args.cores), "date": time.strftime("%Y-%m-%d"), "slurm_tools": bool(shutil.which("scontrol"))}
    if not args.skip_cold:
        clear_results()
        for path in ("logs", ".jax_cache", ".snakemake/neurosweep", ".snakemake/metadata"):
            shutil.rmtree(ROOT / path, ignore_errors=True)
        started = time.time()
        result["cold_s"] = round(snakemake(*cores), 1)
        result["cold_jobs"] = job_times(started)
        print("cold", result["cold_s"], flush=True)
    clear_results()
    started = time.time()
    result["warm_s"] = round(snakemake(*cores), 1)
    result["warm_jobs"] = job_times(started)
    print("warm", result["warm_s"], flush=True)
    result["dry_run_s"] = round(min(snakemake("-n") for _ in range(3)), 2)
    result["dry_run_forceall_s"] = round(min(snakemake("-n", "--forceall") for _ in range(2)), 2)
    result["no_op_s"] = round(min(snakemake(*cores) for _ in range(2)), 2)
    scratch = ROOT / ".snakemake" / "course_run"
    scratch.mkdir(parents=True, exist_ok=True)
    before, after = probe_config("V", scratch / "probe_V.yaml"), probe_config("m", scratch / "probe_m.yaml")
    redraws, dry_after_change = [], []
    for _ in range(2):
        snakemake(*cores, "--configfile", str(before))
        dry_after_change.append(snakemake("-n", "--configfile", str(after)))
        redraws.append(snakemake(*cores, "--configfile", str(after)))
    result["redraw_s"] = [round(s, 2) for s in redraws]
    result["dry_run_after_change_s"] = [round(s, 2) for s in dry_after_change]
    result["redraw_figure_job_s"] = logged_seconds(ROOT / "logs" / "figures" / f"{PROBE}.log")
    result["redraw_beyond_no_op_s"] = round(min(redraws) - result["no_op_s"], 2)
    for path in (ROOT / "results" / "figures").glob(f"{PROBE}*"):
        path.unlink() if path.is_file() else shutil.rmtree(path)
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if not k.endswith("_jobs")}, indent=1))


if __name__ == "__main__":
    main()
