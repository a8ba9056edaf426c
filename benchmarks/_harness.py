"""What every benchmark script shares: run one tool in its own process and time the whole of it."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence


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
