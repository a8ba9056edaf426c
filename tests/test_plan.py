"""The remembered workflow plan: a plan read back in part equals the plan worked out from
nothing, and a figure-only edit is checked without importing a model (JAX)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from neurosweep.configfile import read_config
from neurosweep.plan import PlanError, workflow_plan

CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"


@pytest.fixture(scope="module")
def course():
    config = read_config(CONFIG)
    config["figures"]["probe_traces"] = {"plot": "traces", "experiments": ["hh_pulse"], "options": {"variable": "V"}}
    return config


def _edits(config):
    """A figure-option edit, a new figure, an experiment edit, and a figure dropped."""
    option = copy.deepcopy(config)
    option["figures"]["probe_traces"]["options"]["max_lines"] = 3
    added = copy.deepcopy(config)
    added["figures"]["probe_rates"] = {"plot": "rate_curve", "experiments": ["lif_fi"], "options": {"x": "I"}}
    experiment = copy.deepcopy(config)
    experiment["experiments"]["hh_pulse"]["t_stop_ms"] = experiment["experiments"]["hh_pulse"].get("t_stop_ms", 100) + 10
    dropped = copy.deepcopy(config)
    del dropped["figures"]["probe_traces"]
    return {"option": option, "added": added, "experiment": experiment, "dropped": dropped}


def test_a_plan_remembered_in_part_equals_one_worked_out_from_nothing(course, tmp_path):
    cache = tmp_path / "plan"
    assert workflow_plan(course, cache_dir=cache) == workflow_plan(course)
    for name, edited in _edits(course).items():
        assert workflow_plan(edited, cache_dir=cache) == workflow_plan(edited), name
    # The experiment edit changed that experiment's fingerprint and nothing else.
    before, after = workflow_plan(course, cache_dir=cache), workflow_plan(_edits(course)["experiment"], cache_dir=cache)
    changed = [name for name in before["experiments"] if before["experiments"][name] != after["experiments"][name]]
    assert changed == ["hh_pulse"]


def test_a_bad_figure_edit_is_an_error_naming_the_key_with_the_experiments_remembered(course, tmp_path):
    cache = tmp_path / "plan"
    workflow_plan(course, cache_dir=cache)
    bad = copy.deepcopy(course)
    bad["figures"]["probe_traces"]["options"]["variable"] = "m_inf"
    with pytest.raises(PlanError, match=r"figures\.probe_traces\.options\.variable: plot 'traces' draws the recorded variable 'm_inf'"):
        workflow_plan(bad, cache_dir=cache)
    unknown = copy.deepcopy(course)
    unknown["figures"]["probe_traces"]["experiments"] = ["no_such_experiment"]
    with pytest.raises(PlanError, match=r"figures\.probe_traces\.experiments: no experiment 'no_such_experiment'"):
        workflow_plan(unknown, cache_dir=cache)


def test_a_figure_only_edit_imports_no_model(course, tmp_path):
    """The redraw path: with the experiments remembered, a new figure option is checked with the
    figures alone (JAX, 1 s of every Snakemake start, is not imported)."""
    cache = tmp_path / "plan"
    workflow_plan(course, cache_dir=cache)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(_edits(course)["option"]))
    script = (
        "import json, sys; from neurosweep.plan import workflow_plan; "
        f"plan = workflow_plan(json.loads(open({str(edited)!r}).read()), cache_dir={str(cache)!r}); "
        "print(json.dumps({'jax': 'jax' in sys.modules, 'figures': len(plan['figures'])}))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"jax": False, "figures": len(course["figures"])}
