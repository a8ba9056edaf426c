"""What every benchmark script shares: run one tool in its own process and time the whole of it."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

#: The last line of every pipeline job's log (neurosweep.jobserver): stage, seconds, peak memory
#: and what the process held before the job (absent from a job run in its own process).
JOB_DONE = re.compile(r"(\w+) job done in ([\d.]+) s; peak memory (\d+) MB(?: \(the process held (\d+) MB before it\))?")


def measure(script: str, child_args: Sequence[str], python: str, env: dict) -> dict:
    """Run ``python script --child *child_args``; its ``RESULT {json}`` line plus ``process_s``
    (interpreter start to exit), or ``{"error": [last line]}``."""
    command = [python, script, "--child", *child_args]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    wall = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}
    result = json.loads(lines[-1][len("RESULT ") :])
    result["process_s"] = wall
    return result


def first_and_best(run: Callable[[], Any], repeats: int) -> tuple[Any, float, float | None]:
    """``run()`` once (it compiles: ``first_s``), then ``repeats`` more times (``best_s``, None if
    ``repeats`` is 0); returns the last output with both times."""
    started = time.perf_counter()
    out = run()
    first = time.perf_counter() - started
    best = None
    for _ in range(repeats):
        started = time.perf_counter()
        out = run()
        best = min(best if best is not None else float("inf"), time.perf_counter() - started)
    return out, first, best
