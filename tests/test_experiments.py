"""Config validation: every bad input fails before any job, naming the key and what is allowed."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from neurosweep.experiments import ConfigError, parse_config, parse_experiment, read_config, sweep_values
from neurosweep.figures import FigureSpecError, check_figures

GOOD = {
    "model": "hh",
    "dt_ms": 0.1,
    "t_stop_ms": 10,
    "protocol": {"kind": "constant"},
    "sweep": {"grid": {"gK": [30, 36], "I": [0, 5, 10]}},
}


def _bad(**changes):
    config = copy.deepcopy(GOOD)
    for key, value in changes.items():
        target = config
        *parents, last = key.split("__")
        for parent in parents:
            target = target.setdefault(parent, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return config


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"params": {"gk": 30}}, r"experiments\.x\.params\.gk: hh has no parameter 'gk'; allowed: \[.*'gK'"),
        ({"dt": 0.1}, r"experiments\.x\.dt: unknown key; allowed: \[.*'dt_ms'"),
        ({"sweep__grid": {"I": []}}, r"experiments\.x\.sweep\.grid\.I: the sweep is empty"),
        ({"sweep__grid": {}}, r"experiments\.x\.sweep\.grid: the sweep is empty"),
        ({"dt_ms": -0.1}, r"experiments\.x\.dt_ms: must be > 0 ms, got -0\.1"),
        ({"t_stop_ms": 10.05}, r"experiments\.x\.t_stop_ms: 10\.05 ms is not a positive whole multiple of dt_ms = 0\.1"),
        ({"model": "hhh"}, r"experiments\.x\.model: unknown model 'hhh'; allowed: \['adex', 'cann1d', 'cann1d_sfa', 'cann1d_stp', 'cann2d', 'ei_network', 'expif', 'fhn', 'hh', 'izhikevich', 'lif', 'qif', 'wang2002', 'wong_wang'\]"),
        ({"method": "rk45"}, r"experiments\.x\.method: unknown integrator 'rk45'; allowed: \['exp_euler', 'rk4', 'euler'\]"),
        ({"protocol": {"kind": "pulse"}}, r"experiments\.x\.protocol\.t_start_ms: required by protocol 'pulse'"),
        ({"protocol": {"kind": "constant", "amplitude": 5}}, r"experiments\.x\.protocol\.amplitude: protocol 'constant' has no field 'amplitude'; allowed: \['I'\]"),
        ({"protocol": {"kind": "sawtooth"}}, r"experiments\.x\.protocol\.kind: unknown protocol 'sawtooth'; allowed: \["),
        ({"sweep__grid": {"g_K": [1]}}, r"experiments\.x\.sweep\.g_K: not a parameter of hh, its protocol or an initial value \(<variable>_init\); allowed: \["),
        ({"record": {"variables": ["v"]}}, r"experiments\.x\.record\.variables: hh has no variable 'v'; allowed: \['V'"),
        ({"record": {"variables": ["V"], "every_ms": 0.3}}, r"experiments\.x\.record\.every_ms: t_stop_ms = 10\.0 is not a whole multiple"),
        ({"init": {"v": -65}}, r"experiments\.x\.init\.v: hh has no state variable 'v'; allowed: \['V', 'm', 'h', 'n'\]"),
        ({"init": {"V": {"uniform": [-60, -70]}}}, r"experiments\.x\.init\.V\.uniform: needs low < high"),
        ({"precision": "float16"}, r"experiments\.x\.precision: allowed: \['float32', 'float64'\]"),
        ({"seeds": [1, 1]}, r"experiments\.x\.seeds: seeds repeat"),
        ({"sweep__zip": {"I": [1, 2], "gK": [1, 2, 3]}, "sweep__grid": None}, r"experiments\.x\.sweep\.zip: zipped axes need equal lengths"),
    ],
)
def test_bad_experiment_is_rejected_with_its_key(changes, message):
    with pytest.raises(ConfigError, match=message):
        parse_experiment("x", _bad(**changes))


def test_schema_rejects_unknown_top_level_and_experiment_keys():
    with pytest.raises(ConfigError, match=r"experimnts: unknown key; allowed: \['chunk_memory_mb', 'default_chunk_size', 'default_device', 'experiments'"):
        parse_config({"experiments": {"x": GOOD}, "experimnts": {}})
    with pytest.raises(ConfigError, match=r"experiments\.x\.dt_ms: 'fast' is not of type 'number'"):
        parse_config({"experiments": {"x": {**GOOD, "dt_ms": "fast"}}})


def test_default_device_applies_where_an_experiment_names_none():
    experiments = parse_config({"default_device": "gpu", "experiments": {"x": GOOD, "y": {**GOOD, "device": "cpu"}}})
    assert (experiments["x"].device, experiments["y"].device) == ("gpu", "cpu")
    assert parse_config({"experiments": {"x": GOOD}})["x"].device == "auto"
    with pytest.raises(ConfigError, match=r"default_device: 'tpu' is not one of \['auto', 'cpu', 'gpu'\]"):
        parse_config({"default_device": "tpu", "experiments": {"x": GOOD}})


def test_figure_must_name_defined_experiments():
    with pytest.raises(ConfigError, match=r"figures\.f\.experiments: no experiment 'y'; defined: \['x'\]"):
        parse_config({"experiments": {"x": GOOD}, "figures": {"f": {"experiments": ["y"]}}})


def test_sweep_values_forms():
    assert sweep_values([3, 1]).tolist() == [3.0, 1.0]
    assert sweep_values({"start": 0, "stop": 1, "num": 5}).tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    # arange semantics without float drift: 0..600 step 2 has 300 values, the last 598
    values = sweep_values({"start": 0, "stop": 600, "step": 2})
    assert values.size == 300 and values[-1] == 598
    assert sweep_values({"start": 0.1, "stop": 0.5, "step": 0.1}).tolist() == [0.1, 0.2, 0.3, 0.4]


def test_grid_points_and_chunks():
    experiment = parse_experiment("x", {**GOOD, "chunk_size": 4})
    points = experiment.points()
    assert len(points) == experiment.n_points == 6
    assert experiment.n_chunks == 2
    assert list(points.columns) == ["gK", "I", "seed"]
    assert np.array_equal(experiment.chunk(1).index.to_numpy(), [4, 5])
    assert experiment.sweep_axes == ("gK", "I")


def test_chunk_never_larger_than_the_sweep():
    experiment = parse_experiment("x", {**GOOD, "sweep": {"grid": {"I": [1.0]}}})
    assert experiment.chunk_size == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"t_stop_ms": float("inf")}, r"experiments\.x\.t_stop_ms: inf is not a finite number"),
        ({"t_stop_ms": float("nan")}, r"experiments\.x\.t_stop_ms: nan is not a finite number"),
        ({"params": {"gK": float("nan")}}, r"experiments\.x\.params\.gK: nan is not a finite number"),
        ({"sweep__grid": {"I": [1.0, float("inf")]}}, r"experiments\.x\.sweep\.grid\.I\[1\]: inf is not a finite number"),
        ({"params": {"gK": 30}, "sweep__grid": {"gK": [20, 40]}}, r"experiments\.x\.params\.gK: also swept in experiments\.x\.sweep"),
    ],
)
def test_non_finite_numbers_and_values_both_fixed_and_swept_are_rejected(changes, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"experiments": {"x": _bad(**changes)}})


def test_a_key_given_twice_is_rejected_with_its_lines(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("experiments:\n  x:\n    model: lif\n    dt_ms: 0.1\n    dt_ms: 0.2\n")
    with pytest.raises(ConfigError, match=r"dt_ms: given twice in one mapping \(lines 4 and 5\)"):
        read_config(path)


@pytest.mark.parametrize(
    ("figure", "message"),
    [
        ({"plot": "trace", "experiments": ["x"]}, r"figures\.f\.plot: unknown plot 'trace'; allowed: \[.*'traces'"),
        ({"plot": "hh_pulse_gating", "experiments": ["x"], "options": {"colour": "red"}}, r"figures\.f: plot 'hh_pulse_gating' takes 1 experiment\(s\) \(pulse\) and the options \['I'\]"),
        ({"plot": "lif_fi_curve", "experiments": [], "options": {}}, r"figures\.f: plot 'lif_fi_curve' takes at least 1 experiment\(s\) \(sweep, \*closed_forms\)"),
        ({"plot": "cann_population_decoding", "experiments": ["x"]}, r"figures\.f: plot 'cann_population_decoding' takes 3 experiment\(s\)"),
        ({"plot": "lif_fi_curve", "experiments": ["x"], "animate": True}, r"figures\.f\.animate: plot 'lif_fi_curve' has no animation"),
    ],
)
def test_figure_mistakes_are_caught_before_any_job(figure, message):
    with pytest.raises(FigureSpecError, match=message):
        check_figures({"f": figure})


@pytest.mark.parametrize(
    ("figure", "message"),
    [
        ({"plot": "hh_fi_curve", "experiments": ["lif_1d", "lif_1d", "lif_1d", "lif_1d"]},
         r"figures\.f\.experiments\[0\]: plot 'hh_fi_curve' draws experiments of model hh; 'lif_1d' runs 'lif'"),
        ({"plot": "rate_heatmap", "experiments": ["lif_1d"]}, r"figures\.f\.experiments\[0\]: plot 'rate_heatmap' needs a 2-D sweep; 'lif_1d' sweeps \['I'\]"),
        ({"plot": "traces", "experiments": ["lif_1d"], "options": {"variable": "w"}},
         r"figures\.f\.options\.variable: plot 'traces' draws the recorded variable 'w', which experiment 'lif_1d' does not record \(record\.variables: \['V'\]\)"),
        ({"plot": "rate_curve", "experiments": ["lif_1d"], "options": {"x": "tau"}},
         r"figures\.f\.options\.x: plot 'rate_curve' puts 'tau' on an axis, which experiment 'lif_1d' does not sweep \(swept: \['I'\]\)"),
    ],
)
def test_a_figure_that_does_not_fit_its_experiments_is_caught_before_any_job(figure, message):
    """A course figure on another model's experiment, a 2-D plot of a 1-D sweep, an unrecorded
    variable, an unswept axis: each named by key when the workflow is parsed."""
    experiment = _bad(model="lif", sweep={"grid": {"I": [20, 25]}}, record={"variables": ["V"]})
    experiments = parse_config({"experiments": {"lif_1d": experiment}})
    with pytest.raises(FigureSpecError, match=message):
        check_figures({"f": figure}, experiments)


def test_a_sweep_of_a_million_points_gets_a_warning_with_its_cost():
    from neurosweep.experiments import size_warnings

    sweep = {"grid": {"I": {"start": 0, "stop": 30, "num": 1000}, "tau": {"start": 5, "stop": 20, "num": 1000}}}
    big_config = {"experiments": {"x": {"model": "lif", "t_stop_ms": 10, "protocol": {"kind": "constant"}, "sweep": sweep}}}
    big = parse_config(big_config)
    (line,) = size_warnings(big)
    assert "1,000,000 sweep points in 245 jobs of 4,082 (about" in line and "CPU-hours" in line
    (fixed,) = size_warnings(parse_config({"experiments": big_config["experiments"], "default_chunk_size": 64}))
    assert "sweep points in 15,625 jobs of 64" in fixed, fixed
    assert size_warnings(parse_config({"experiments": {"x": GOOD}})) == []
