"""The README's own examples run as written: its sweep config through Snakemake (shortened to
50 ms), then its notebook snippet on the result."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml


def _blocks(readme: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", readme, flags=re.S)


def test_the_readme_sweep_and_notebook_snippet_run_as_written(repo, tmp_path):
    readme = (repo / "README.md").read_text()
    (sweep,) = [block for block in _blocks(readme, "yaml") if "# my_sweep.yaml" in block]
    config = yaml.safe_load(sweep)
    for experiment in config["experiments"].values():
        experiment["t_stop_ms"] = 50  # shortened: the example's 500 ms are its own business
    config["jax_cache_dir"] = str(tmp_path / "cache")
    (tmp_path / "my_sweep.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(tmp_path / "my_sweep.yaml"), "--directory", str(tmp_path)]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    (snippet,) = [block for block in _blocks(readme, "python") if "neurosweep.load" in block]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    ran = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert ran.returncode == 0, ran.stderr[-3000:]
