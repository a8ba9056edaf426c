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
    report = [*command[:3], "--report", "report.html", *command[5:]]
    reported = subprocess.run(report, cwd=repo, capture_output=True, text=True, timeout=300)
    assert reported.returncode == 0, reported.stderr[-3000:]
    assert "hh_gK_by_I_rates" in (tmp_path / "report.html").read_text(errors="replace")


def _snakemake_commands(readme: str) -> list[str]:
    lines = [line.split("#")[0].strip() for block in _blocks(readme, "bash") for line in block.splitlines()]
    commands = [part.strip() for line in lines for part in line.split("&&")]
    return [command for command in commands if command.startswith("snakemake")]


def test_every_snakemake_command_of_the_readme_parses_and_plans(repo, tmp_path):
    """Each ``snakemake`` line of the README's bash blocks, as written, plans its jobs (a dry run,
    in a scratch directory; its own sweep config where it names one); the report is built above."""
    commands = _snakemake_commands((repo / "README.md").read_text())
    assert len(commands) >= 4, commands
    readme = (repo / "README.md").read_text()
    (sweep,) = [block for block in _blocks(readme, "yaml") if "# my_sweep.yaml" in block]
    (tmp_path / "my_sweep.yaml").write_text(sweep)
    for written in commands:
        if "--report" in written:
            continue
        arguments = written.split()[1:]
        arguments = [str(tmp_path / a) if a == "my_sweep.yaml" else a for a in arguments]
        if "-n" not in arguments:
            arguments.append("-n")
        command = [sys.executable, "-m", "snakemake", *arguments, "--directory", str(tmp_path / "run")]
        planned = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
        assert planned.returncode == 0, f"{written}: {planned.stderr[-2000:]}"
        assert "Job stats" in planned.stdout + planned.stderr or "Nothing to be done" in planned.stdout + planned.stderr, written
