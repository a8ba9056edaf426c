"""HH f-I sweep benchmark: neurosweep against Brian2 and BrainPy, side by side in one run.

Every tool simulates the same thing: N Hodgkin-Huxley neurons (course parameters, gL = 0.03),
each with its own constant current I in linspace(0, 20, N) uA/cm2, 1 s at dt = 0.01 ms with
exponential Euler, counting upward crossings of 20 mV. Each tool runs in its own process:

* ``loop``: the simulation alone (after a warm-up run that compiles/generates code);
* ``process``: the whole process, interpreter start to exit (import, build, compile, run).

Usage::

    python benchmarks/hh_fi_sweep.py --neurons 100 1000 --repeats 3 --out benchmarks/out
    python benchmarks/hh_fi_sweep.py --tool neurosweep --precision float32 --neurons 100 --mode loop

BrainPy runs from the interpreter given by ``--brainpy-python`` (its own virtual environment,
because it pins its own JAX); a tool that is not installed is reported as missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from _harness import measure

T_STOP_MS = 1000.0
DT_MS = 0.01
I_MAX = 20.0
V_TH = 20.0
HH = dict(ENa=50.0, gNa=120.0, EK=-77.0, gK=36.0, EL=-54.387, gL=0.03, C=1.0)
V0 = -70.67647


# --------------------------------------------------------------------------- the tools


def run_neurosweep(n: int, precision: str, mode: str) -> dict:
    from neurosweep.experiments import parse_experiment
    from neurosweep.runner import run_chunk
    from neurosweep.runtime import configure_jax, skip_final_collection

    configure_jax()  # as a pipeline job process does (no compilation cache: cold)
    skip_final_collection()

    experiment = parse_experiment(
        "bench",
        {
            "model": "hh",
            "dt_ms": DT_MS,
            "t_stop_ms": T_STOP_MS,
            "precision": precision,
            "protocol": {"kind": "constant"},
            "sweep": {"grid": {"I": {"start": 0.0, "stop": I_MAX, "num": n}}},
            "chunk_size": n,
        },
    )
    started = time.perf_counter()
    dataset = run_chunk(experiment, 0)
    first = time.perf_counter() - started
    loop = None
    if mode == "loop":
        started = time.perf_counter()
        dataset = run_chunk(experiment, 0)
        loop = time.perf_counter() - started
    return {"first_run_s": first, "loop_s": loop, "spike_counts": dataset["n_spikes"].values.tolist()}


def run_brian2(n: int, precision: str, mode: str, target: str) -> dict:
    import brian2 as b2
    import numpy as np

    import tempfile

    b2.prefs.core.default_float_dtype = np.float32 if precision == "float32" else np.float64
    # A fresh directory outside the repository (standalone project, or Cython's cache): no reuse of an earlier build.
    directory = tempfile.mkdtemp(prefix="brian2_")
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    else:
        b2.prefs.codegen.target = "cython" if target == "cython" else "numpy"
        b2.prefs.codegen.runtime.cython.cache_dir = directory
    mV, ms, uA, mS, uF = b2.mV, b2.ms, b2.uA, b2.msiemens, b2.ufarad
    b2.defaultclock.dt = DT_MS * ms
    equations = """
    dv/dt = (I - gNa*m**3*h*(v-ENa) - gK*n**4*(v-EK) - gL*(v-EL))/C : volt
    dm/dt = alpha_m*(1-m) - beta_m*m : 1
    dh/dt = alpha_h*(1-h) - beta_h*h : 1
    dn/dt = alpha_n*(1-n) - beta_n*n : 1
    alpha_m = 0.1/mV*(v+40*mV)/(1-exp(-(v+40*mV)/(10*mV)))/ms : Hz
    beta_m = 4*exp(-(v+65*mV)/(18*mV))/ms : Hz
    alpha_h = 0.07*exp(-(v+65*mV)/(20*mV))/ms : Hz
    beta_h = 1/(1+exp(-(v+35*mV)/(10*mV)))/ms : Hz
    alpha_n = 0.01/mV*(v+55*mV)/(1-exp(-(v+55*mV)/(10*mV)))/ms : Hz
    beta_n = 0.125*exp(-(v+65*mV)/(80*mV))/ms : Hz
    I : amp
    """
    namespace = {
        "ENa": HH["ENa"] * mV, "gNa": HH["gNa"] * mS, "EK": HH["EK"] * mV, "gK": HH["gK"] * mS,
        "EL": HH["EL"] * mV, "gL": HH["gL"] * mS, "C": HH["C"] * uF,
    }  # fmt: skip
    group = b2.NeuronGroup(
        n, equations, threshold="v > 20*mV", refractory="v > 20*mV", method="exponential_euler", namespace=namespace
    )
    v0 = V0 * mV
    group.v = v0
    alpha = {"m": 0.1 * (V0 + 40) / (1 - np.exp(-(V0 + 40) / 10)), "h": 0.07 * np.exp(-(V0 + 65) / 20), "n": 0.01 * (V0 + 55) / (1 - np.exp(-(V0 + 55) / 10))}
    beta = {"m": 4 * np.exp(-(V0 + 65) / 18), "h": 1 / (1 + np.exp(-(V0 + 35) / 10)), "n": 0.125 * np.exp(-(V0 + 65) / 80)}
    for gate in "mhn":
        setattr(group, gate, alpha[gate] / (alpha[gate] + beta[gate]))
    group.I = np.linspace(0, I_MAX, n) * uA
    monitor = b2.SpikeMonitor(group, record=False)
    network = b2.Network(group, monitor)
    started = time.perf_counter()
    loop = None
    if target == "cpp_standalone":
        network.run(T_STOP_MS * ms)
        b2.device.build(directory=directory, run=True, with_output=False)  # build() ignores set_device's directory
        first = time.perf_counter() - started
        loop = b2.device._last_run_time if mode == "loop" else None
    else:
        network.run(T_STOP_MS * ms)
        first = time.perf_counter() - started
        counts = np.asarray(monitor.count).tolist()
        if mode == "loop":
            # The second second of simulation: same work, code already generated and compiled.
            started = time.perf_counter()
            network.run(T_STOP_MS * ms)
            loop = time.perf_counter() - started
        return {"first_run_s": first, "loop_s": loop, "spike_counts": counts}
    return {"first_run_s": first, "loop_s": loop, "spike_counts": np.asarray(monitor.count).tolist()}


def run_brainpy(n: int, precision: str, mode: str) -> dict:
    import brainpy as bp
    import brainpy.math as bm
    import numpy as np

    if precision == "float64":
        bm.enable_x64()
    bm.set_platform("cpu")
    bm.set_dt(DT_MS)

    class HHNeuron(bp.dyn.NeuDyn):
        def __init__(self, size):
            super().__init__(size=size)
            self.V = bm.Variable(bm.ones(size) * V0)
            rates = {
                "m": (0.1 * (V0 + 40) / (1 - np.exp(-(V0 + 40) / 10)), 4 * np.exp(-(V0 + 65) / 18)),
                "h": (0.07 * np.exp(-(V0 + 65) / 20), 1 / (1 + np.exp(-(V0 + 35) / 10))),
                "n": (0.01 * (V0 + 55) / (1 - np.exp(-(V0 + 55) / 10)), 0.125 * np.exp(-(V0 + 65) / 80)),
            }
            self.m = bm.Variable(bm.ones(size) * rates["m"][0] / sum(rates["m"]))
            self.h = bm.Variable(bm.ones(size) * rates["h"][0] / sum(rates["h"]))
            self.n = bm.Variable(bm.ones(size) * rates["n"][0] / sum(rates["n"]))
            self.I = bm.asarray(np.linspace(0, I_MAX, size))
            self.count = bm.Variable(bm.zeros(size, dtype=bm.int32))
            self.integral = bp.odeint(bp.JointEq(self.dV, self.dm, self.dh, self.dn), method="exp_auto")

        def dm(self, m, t, V):
            alpha = 0.1 * (V + 40) / (1 - bm.exp(-(V + 40) / 10))
            return alpha * (1 - m) - 4.0 * bm.exp(-(V + 65) / 18) * m

        def dh(self, h, t, V):
            return 0.07 * bm.exp(-(V + 65) / 20.0) * (1 - h) - 1 / (1 + bm.exp(-(V + 35) / 10)) * h

        def dn(self, n, t, V):
            alpha = 0.01 * (V + 55) / (1 - bm.exp(-(V + 55) / 10))
            return alpha * (1 - n) - 0.125 * bm.exp(-(V + 65) / 80) * n

        def dV(self, V, t, m, h, n):
            I_Na = HH["gNa"] * m**3 * h * (V - HH["ENa"])
            I_K = HH["gK"] * n**4 * (V - HH["EK"])
            I_L = HH["gL"] * (V - HH["EL"])
            return (-I_Na - I_K - I_L + self.I) / HH["C"]

        def update(self):
            t, dt = bp.share["t"], bp.share["dt"]
            V, m, h, n = self.integral(self.V, self.m, self.h, self.n, t, dt=dt)
            self.count += bm.logical_and(self.V < V_TH, V >= V_TH)
            self.V.value, self.m.value, self.h.value, self.n.value = V, m, h, n

    def simulate() -> tuple[float, list]:
        neuron = HHNeuron(n)
        runner = bp.DSRunner(neuron, progress_bar=False, jit=True)
        started = time.perf_counter()
        runner.run(T_STOP_MS)
        bm.as_numpy(neuron.count)
        return time.perf_counter() - started, np.asarray(neuron.count).tolist()

    neuron = HHNeuron(n)
    runner = bp.DSRunner(neuron, progress_bar=False, jit=True)
    started = time.perf_counter()
    runner.run(T_STOP_MS)
    counts = np.asarray(neuron.count).tolist()
    first = time.perf_counter() - started
    loop = None
    if mode == "loop":
        # The second second of simulation with the compiled program: the loop alone.
        started = time.perf_counter()
        runner.run(T_STOP_MS)
        np.asarray(neuron.count)
        loop = time.perf_counter() - started
    return {"first_run_s": first, "loop_s": loop, "spike_counts": counts}


# --------------------------------------------------------------------------- the harness

TOOLS = {
    "neurosweep": lambda n, p, m: run_neurosweep(n, p, m),
    "brian2_runtime": lambda n, p, m: run_brian2(n, p, m, "cython"),
    "brian2_cpp_standalone": lambda n, p, m: run_brian2(n, p, m, "cpp_standalone"),
    "brainpy": lambda n, p, m: run_brainpy(n, p, m),
}


def _child(args: argparse.Namespace) -> None:
    result = TOOLS[args.tool[0]](args.neurons[0], args.precision, args.mode)
    print("RESULT " + json.dumps(result))


def _measure(tool: str, n: int, precision: str, mode: str, python: str, env: dict) -> dict:
    return measure(__file__, ["--tool", tool, "--neurons", str(n), "--precision", precision, "--mode", mode], python, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neurons", type=int, nargs="+", default=[100])
    parser.add_argument("--precision", choices=["float32", "float64", "both"], default="both")
    parser.add_argument("--tool", choices=list(TOOLS), action="append")
    parser.add_argument("--mode", choices=["loop", "process"], default="loop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--brainpy-python", default=os.environ.get("BRAINPY_PYTHON", sys.executable))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONUNBUFFERED": "1"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # cold compiles: no persistent cache
    tools = args.tool or list(TOOLS)
    precisions = ["float32", "float64"] if args.precision == "both" else [args.precision]
    rows = []
    for n in args.neurons:
        for precision in precisions:
            for tool in tools:
                python = args.brainpy_python if tool == "brainpy" else sys.executable
                loops, processes, counts, error = [], [], None, None
                for _ in range(args.repeats):
                    loop_run = _measure(tool, n, precision, "loop", python, env)
                    whole = _measure(tool, n, precision, "process", python, env)
                    if "error" in loop_run or "error" in whole:
                        error = (loop_run.get("error") or whole.get("error"))[0]
                        break
                    loops.append(loop_run["loop_s"])
                    processes.append(whole["process_s"])
                    counts = loop_run["spike_counts"]
                row = {"tool": tool, "neurons": n, "precision": precision}
                if error:
                    row["error"] = error
                else:
                    row.update(loop_s=min(loops), process_s=min(processes), total_spikes=int(sum(counts)), spike_counts=counts)
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "spike_counts"}), flush=True)
    reference = {(r["neurons"], r["precision"]): r for r in rows if r["tool"] == "neurosweep" and "error" not in r}
    print(f"\n{'neurons':>7} {'precision':>9} {'tool':>22} {'loop s':>8} {'process s':>9} {'loop/ours':>9} {'proc/ours':>9} {'spikes':>7} same")
    for row in rows:
        ours = reference.get((row["neurons"], row["precision"]))
        if "error" in row:
            print(f"{row['neurons']:>7} {row['precision']:>9} {row['tool']:>22}  error: {row['error']}")
            continue
        same = ours is not None and row["spike_counts"] == ours["spike_counts"]
        print(
            f"{row['neurons']:>7} {row['precision']:>9} {row['tool']:>22} {row['loop_s']:8.3f} {row['process_s']:9.2f}"
            f" {row['loop_s'] / ours['loop_s']:9.2f} {row['process_s'] / ours['process_s']:9.2f} {row['total_spikes']:7d} {same}"
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "hh_fi_sweep.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
