"""Several local devices and the GPU: a chunk split over devices gives the same results as on one
device; the course's experiments on a GPU give the CPU's numbers within float tolerance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from neurosweep.experiments import parse_experiment, read_config
from neurosweep.runner import run_chunk

SWEEP = {
    "model": "lif",
    "dt_ms": 0.1,
    "t_stop_ms": 200,
    "params": {"tau_ref": 2},
    "init": {"V": {"uniform": [0, 10]}},
    "protocol": {"kind": "ou_noise", "sigma": 6, "tau_ms": 5},
    "sweep": {"grid": {"I_mean": [15, 21, 26, 40, 60]}},
    "seeds": [0, 1],
    "chunk_size": 5,  # padded to 6 on two devices
    "record": {"variables": ["V"], "every_ms": 1},
}

_TWO_DEVICES = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from neurosweep.runtime import configure_jax
    configure_jax(device="cpu")
    import jax
    from neurosweep.experiments import parse_experiment
    from neurosweep.runner import chunk_arguments, local_devices_for, padded_size, run_chunk, simulate
    experiment = parse_experiment("x", json.loads(sys.argv[1]))
    out = simulate(*chunk_arguments(experiment, 0, size=padded_size(experiment.chunk_size)))
    used = len(out["first_bad_step"].sharding.device_set)
    chunks = [run_chunk(experiment, k) for k in range(experiment.n_chunks)]
    print("RESULT " + json.dumps({
        "devices": jax.local_device_count(), "padded": padded_size(experiment.chunk_size), "used": used,
        "V": [c["V"].values.tolist() for c in chunks],
        "spikes": [np.nan_to_num(c["spike_time_ms"].values, nan=-1).tolist() for c in chunks],
    }))
    """
)


def test_a_chunk_split_over_two_devices_gives_the_same_results():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", _TWO_DEVICES, json.dumps(SWEEP)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert (result["devices"], result["padded"], result["used"]) == (2, 6, 2)
    experiment = parse_experiment("x", SWEEP)
    for index in range(experiment.n_chunks):
        one_device = run_chunk(experiment, index)
        assert one_device["n_spikes"].sum() > 10
        # The same program per point on each device: the same numbers, to the last bit.
        np.testing.assert_array_equal(np.asarray(result["V"][index]), one_device["V"].values)
        np.testing.assert_array_equal(np.asarray(result["spikes"][index]), np.nan_to_num(one_device["spike_time_ms"].values, nan=-1))


def _has_gpu() -> bool:
    try:
        import jax

        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


#: The smoke config's simulations that do not amplify rounding (a network's spikes are chaotic:
#: there a GPU's different summation order changes which neuron fires when, not the rates).
_DETERMINISTIC = ("hh_pulse", "lif_fi", "cann_tracking")
_CHAOTIC = ("ei_small", "dm_spiking_short")


@pytest.mark.skipif(not _has_gpu(), reason="no GPU on this machine")
@pytest.mark.parametrize("name", _DETERMINISTIC + _CHAOTIC)
def test_the_course_on_a_gpu_gives_the_cpus_numbers(name):
    import jax

    config = read_config(Path(__file__).resolve().parents[1] / "config" / "smoke.yaml")
    experiment = parse_experiment(name, {**config["experiments"][name], "device": "gpu"})
    with jax.default_device(jax.devices("cpu")[0]):
        on_cpu = run_chunk(experiment, 0)
    on_gpu = run_chunk(experiment, 0)
    if name in _DETERMINISTIC:
        for variable in on_cpu.data_vars:
            if np.issubdtype(on_cpu[variable].dtype, np.floating):
                np.testing.assert_allclose(on_gpu[variable], on_cpu[variable], rtol=1e-4, atol=1e-4, equal_nan=True, err_msg=variable)
        if "n_spikes" in on_cpu:
            np.testing.assert_array_equal(on_gpu["n_spikes"], on_cpu["n_spikes"])
    else:
        # Rates over the run agree within 5 % (a named tolerance: run-to-run spread of these networks).
        np.testing.assert_allclose(on_gpu["n_spikes"].values, on_cpu["n_spikes"].values, rtol=0.05)


@pytest.mark.skipif(_has_gpu(), reason="this machine has a GPU")
def test_device_gpu_without_a_gpu_is_a_clear_error_naming_the_key():
    from neurosweep.runtime import require_device

    require_device("auto", "lif_fi")  # runs wherever JAX runs
    with pytest.raises(RuntimeError, match=r"experiments\.lif_fi\.device is 'gpu'.*'auto' or 'cpu'"):
        require_device("gpu", "lif_fi")
