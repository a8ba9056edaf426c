"""COBA benchmark (Brette et al. 2007): neurosweep against Brian2 and BrainPy, side by side in one run.

Every tool simulates the same network: 4000 LIF neurons (3200 E, 800 I), every pair connected with
probability 0.02, conductance-based exponential synapses (tau_e = 5 ms, tau_i = 10 ms, E_e = 0,
E_i = -80 mV, increments 0.6 and 6.7), V_rest = V_reset = -60 mV, V_th = -50 mV, tau = 20 ms,
tau_ref = 5 ms, V0 ~ N(-55, 5) mV, 1 s at dt = 0.1 ms. Two variants:

* ``course``: I_ext = 20 (the course network);
* ``sustained``: no background current (as Brian2's example): activity sustains itself after the
  initial volley.

Each tool runs in its own process; ``loop`` is the simulation alone after a warm-up run that
compiles or generates the code (Brian2 cpp_standalone: the binary's own run time), best of
``LOOP_RUNS`` runs in the process, ``process``
the whole process (interpreter start to exit: import, build, compile, run). Population rates
show that every tool simulates the same regime.

Caches, cold against cold and warm against warm: ``neurosweep``, ``brian2_runtime``,
``brian2_cpp_*`` and ``brainpy`` compile everything in the timed process (no JAX cache, Cython's
cache and the standalone project in a fresh directory); ``neurosweep_warm_cache`` loads its
program from JAX's persistent compilation cache (as every pipeline job after the first does),
``brian2_runtime_warm`` reuses its Cython modules and ``brian2_cpp_1thread_warm`` rebuilds its
kept project incrementally (Brian2 rewrites only changed files, ``make`` recompiles only those),
each warmed by the untimed loop-mode run of the same configuration.

A second benchmark, ``--sweep``, runs 64 network instances (different seeds and inputs) as one
batched neurosweep job and one by one, and reports the throughput gain.

Usage::

    python benchmarks/coba.py --repeats 3 --brainpy-python /path/to/brainpy/venv/bin/python
    python benchmarks/coba.py --sweep
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from _harness import first_and_best, measure

N_EXC, N_INH, P_CONN = 3200, 800, 0.02
T_STOP_MS, DT_MS = 1000.0, 0.1
W_EXC, W_INH = 0.6, 6.7
V0_MEAN, V0_SD = -55.0, 5.0
#: In loop mode, each tool's loop is timed this many times in its process (best kept): the VM is noisy.
LOOP_RUNS = 3
SEED = 2  # a seed whose connectivity sustains activity without input (the variant is bistable)
VARIANTS = {"course": 20.0, "sustained": 0.0}


def _rates(n_exc_spikes: int, n_inh_spikes: int) -> dict:
    seconds = T_STOP_MS / 1000.0
    return {"rate_exc_hz": n_exc_spikes / N_EXC / seconds, "rate_inh_hz": n_inh_spikes / N_INH / seconds}


# --------------------------------------------------------------------------- the tools


def run_neurosweep(variant: str, precision: str, mode: str, cache_dir: str | None = None) -> dict:
    import jax
    import numpy as np

    from neurosweep.runtime import configure_jax, skip_final_collection

    # As a pipeline job process: the persistent compilation cache when asked, the quick exit always.
    configure_jax(cache_dir)
    skip_final_collection()
    from neurosweep.experiments import parse_experiment
    from neurosweep.runner import chunk_arguments, simulate, spike_events

    experiment = parse_experiment("coba", {
        "model": "ei_network", "dt_ms": DT_MS, "t_stop_ms": T_STOP_MS, "precision": precision,
        "init": {"V": {"normal": [V0_MEAN, V0_SD]}}, "seeds": [SEED],
        "protocol": {"kind": "constant", "I": VARIANTS[variant]}, "record": {"input_statistics": False},
    })  # fmt: skip
    arguments = chunk_arguments(experiment)
    out, first, loop = first_and_best(lambda: jax.block_until_ready(simulate(*arguments)), LOOP_RUNS if mode == "loop" else 0)
    _, neurons = spike_events(np.asarray(out["spike_words"]), DT_MS)[0]
    return {"first_run_s": first, "loop_s": loop, **_rates(int((neurons < N_EXC).sum()), int((neurons >= N_EXC).sum()))}


def run_brian2(variant: str, precision: str, mode: str, target: str, threads: int = 1, warm: bool = False) -> dict:
    """Brian2 in runtime (Cython) or cpp_standalone mode. Cold (``warm=False``): Cython's cache,
    or the standalone project, in a fresh directory, so everything compiles; warm: one kept
    directory per configuration, so Cython reuses its modules and ``make`` its object files
    (Brian2 rewrites only the files whose code changed), as a user's second run does."""
    import tempfile

    import brian2 as b2
    import numpy as np

    b2.prefs.core.default_float_dtype = np.float32 if precision == "float32" else np.float64
    kept = os.path.join(WARM_ROOT, f"brian2_{target}_{threads}_{precision}")
    # The loop's time does not depend on what was compiled before: loop-mode runs use the kept directory.
    directory = kept if warm or mode == "loop" else tempfile.mkdtemp(prefix="brian2_coba_")
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    else:
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = directory
    ms, mV = b2.ms, b2.mV
    b2.defaultclock.dt = DT_MS * ms
    equations = """
    dv/dt = (ge*(0*mV - v) + gi*(-80*mV - v) - (v + 60*mV) + I_ext) / (20*ms) : volt (unless refractory)
    dge/dt = -ge / (5*ms) : 1
    dgi/dt = -gi / (10*ms) : 1
    I_ext : volt
    """
    group = b2.NeuronGroup(N_EXC + N_INH, equations, threshold="v >= -50*mV", reset="v = -60*mV", refractory=5 * ms, method="exponential_euler")
    group.v = np.random.default_rng(SEED).normal(V0_MEAN, V0_SD, N_EXC + N_INH) * mV
    group.I_ext = VARIANTS[variant] * mV
    excitatory = b2.Synapses(group[:N_EXC], group, on_pre=f"ge += {W_EXC}")
    excitatory.connect(p=P_CONN)
    inhibitory = b2.Synapses(group[N_EXC:], group, on_pre=f"gi += {W_INH}")
    inhibitory.connect(p=P_CONN)
    monitor = b2.SpikeMonitor(group, record=False)
    network = b2.Network(group, excitatory, inhibitory, monitor)
    started = time.perf_counter()
    network.run(T_STOP_MS * ms)
    loop = None
    if target == "cpp_standalone":
        # The directory must be given here: build() ignores set_device's and defaults to ./output.
        b2.device.build(directory=directory, run=True, with_output=False)
        first = time.perf_counter() - started
        counts = np.asarray(monitor.count)
        if mode == "loop":  # the binary's own run time, best of LOOP_RUNS runs of it
            loop = b2.device._last_run_time
            for _ in range(LOOP_RUNS - 1):
                b2.device.run(directory=directory, with_output=False)
                loop = min(loop, b2.device._last_run_time)
    else:
        first = time.perf_counter() - started
        counts = np.asarray(monitor.count).copy()
        # The following seconds: same work, code already generated and compiled.
        for _ in range(LOOP_RUNS if mode == "loop" else 0):
            started = time.perf_counter()
            network.run(T_STOP_MS * ms)
            loop = min(loop or np.inf, time.perf_counter() - started)
    return {"first_run_s": first, "loop_s": loop, **_rates(int(counts[:N_EXC].sum()), int(counts[N_EXC:].sum()))}


def run_brainpy(variant: str, precision: str, mode: str) -> dict:
    import brainpy as bp
    import brainpy.math as bm
    import numpy as np

    if precision == "float64":
        bm.enable_x64()
    bm.set_platform("cpu")
    bm.set_dt(DT_MS)
    current = VARIANTS[variant]

    class EINet(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            neuron = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0, V_initializer=bp.init.Normal(V0_MEAN, V0_SD))
            self.E = bp.dyn.LifRef(N_EXC, **neuron)
            self.I = bp.dyn.LifRef(N_INH, **neuron)

            def projection(pre, post, weight, tau, reversal):
                return bp.dyn.ProjAlignPostMg2(
                    pre=pre, delay=None, comm=bp.dnn.EventCSRLinear(bp.conn.FixedProb(P_CONN, pre=pre.num, post=post.num), weight),
                    syn=bp.dyn.Expon.desc(post.num, tau=tau), out=bp.dyn.COBA.desc(E=reversal), post=post,
                )  # fmt: skip

            self.E2E = projection(self.E, self.E, W_EXC, 5.0, 0.0)
            self.E2I = projection(self.E, self.I, W_EXC, 5.0, 0.0)
            self.I2E = projection(self.I, self.E, W_INH, 10.0, -80.0)
            self.I2I = projection(self.I, self.I, W_INH, 10.0, -80.0)

        def update(self, inp):
            self.E2E()
            self.E2I()
            self.I2E()
            self.I2I()
            self.E(inp)
            self.I(inp)
            return self.E.spike.value.sum(), self.I.spike.value.sum()

    net = EINet()
    indices = np.arange(int(T_STOP_MS / DT_MS))

    def simulate():
        return bm.for_loop(lambda i: net.step_run(i, current), indices, progress_bar=False)

    started = time.perf_counter()
    n_exc, n_inh = simulate()
    n_exc, n_inh = int(np.asarray(n_exc).sum()), int(np.asarray(n_inh).sum())
    first = time.perf_counter() - started
    loop = None
    for _ in range(LOOP_RUNS if mode == "loop" else 0):
        started = time.perf_counter()
        again = simulate()
        np.asarray(again[0])
        loop = min(loop or np.inf, time.perf_counter() - started)
    return {"first_run_s": first, "loop_s": loop, **_rates(n_exc, n_inh)}


#: Where the warm variants keep what they compiled (warmed by the untimed loop-mode run before each timed process).
WARM_ROOT = os.path.join(os.environ.get("TMPDIR", "/tmp"), "coba_benchmark_warm")
WARM_CACHE = os.path.join(WARM_ROOT, "jax")

#: Cold tools compile everything in the timed process; ``_warm`` ones reuse what an untimed run of
#: the same configuration left (JAX's compilation cache, Cython's modules, Brian2's object files).
TOOLS = {
    "neurosweep": run_neurosweep,
    "neurosweep_warm_cache": lambda v, p, m: run_neurosweep(v, p, m, WARM_CACHE),
    "brian2_runtime": lambda v, p, m: run_brian2(v, p, m, "cython"),
    "brian2_runtime_warm": lambda v, p, m: run_brian2(v, p, m, "cython", warm=True),
    "brian2_cpp_1thread": lambda v, p, m: run_brian2(v, p, m, "cpp_standalone", 1),
    "brian2_cpp_1thread_warm": lambda v, p, m: run_brian2(v, p, m, "cpp_standalone", 1, warm=True),
    "brian2_cpp_2threads": lambda v, p, m: run_brian2(v, p, m, "cpp_standalone", 2),
    "brainpy": run_brainpy,
}


# --------------------------------------------------------------------------- the sweep benchmark


def sweep_benchmark(n_networks: int = 64, t_stop_ms: float = 200.0, precision: str = "float32") -> dict:
    """``n_networks`` networks (I_ext spread over 10..40, one connectivity seed) batched in one job
    vs one by one, on JAX's default device."""
    import jax
    import numpy as np

    from neurosweep.experiments import parse_experiment
    from neurosweep.runner import chunk_arguments, simulate
    from neurosweep.runtime import configure_jax

    configure_jax()

    def experiment(currents: list[float]):
        return parse_experiment("sweep", {
            "model": "ei_network", "dt_ms": DT_MS, "t_stop_ms": t_stop_ms, "precision": precision,
            "init": {"V": {"normal": [V0_MEAN, V0_SD]}}, "protocol": {"kind": "constant"},
            "sweep": {"zip": {"I": currents}}, "record": {"input_statistics": False}, "chunk_size": len(currents),
        })  # fmt: skip

    currents = np.linspace(10.0, 40.0, n_networks)

    def timed(exp) -> float:
        args = chunk_arguments(exp)
        jax.block_until_ready(simulate(*args))  # compile
        started = time.perf_counter()
        jax.block_until_ready(simulate(*args))
        return time.perf_counter() - started

    batched_s = timed(experiment(currents.tolist()))
    # One by one: the same 64 networks, each its own call of the same (compiled once) program.
    singles = [experiment([float(current)]) for current in currents]
    one_by_one_s = timed(singles[0])
    for exp in singles[1:]:
        args = chunk_arguments(exp)
        started = time.perf_counter()
        jax.block_until_ready(simulate(*args))
        one_by_one_s += time.perf_counter() - started
    return {
        "networks": n_networks, "t_stop_ms": t_stop_ms, "precision": precision, "device": str(jax.devices()[0]),
        "batched_s": batched_s, "one_by_one_s": one_by_one_s, "gain": one_by_one_s / batched_s,
        "batched_networks_per_s": n_networks / batched_s, "one_by_one_networks_per_s": n_networks / one_by_one_s,
    }  # fmt: skip


# --------------------------------------------------------------------------- the harness


def _child(args: argparse.Namespace) -> None:
    print("RESULT " + json.dumps(TOOLS[args.tool[0]](args.variant[0], args.precision, args.mode)))


def _measure(tool: str, variant: str, precision: str, mode: str, python: str, env: dict) -> dict:
    return measure(__file__, ["--tool", tool, "--variant", variant, "--precision", precision, "--mode", mode], python, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", choices=list(VARIANTS), action="append")
    parser.add_argument("--precision", choices=["float32", "float64", "both"], default="both")
    parser.add_argument("--tool", choices=list(TOOLS), action="append")
    parser.add_argument("--mode", choices=["loop", "process"], default="loop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--brainpy-python", default=os.environ.get("BRAINPY_PYTHON", sys.executable))
    parser.add_argument("--platform", choices=["cpu", "cuda"], default="cpu", help="JAX platform of the neurosweep runs (peers run on the CPU)")
    parser.add_argument("--sweep", action="store_true", help="run the 64-network sweep benchmark instead")
    parser.add_argument("--networks", type=int, default=64, help="networks in the sweep benchmark")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if args.sweep:
        result = sweep_benchmark(args.networks)
        print(json.dumps(result, indent=1))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "coba_sweep.json").write_text(json.dumps(result, indent=1))
        return
    env = {**os.environ, "JAX_PLATFORMS": args.platform, "PYTHONUNBUFFERED": "1"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # cold compiles: no persistent cache
    tools = args.tool or list(TOOLS)
    variants = args.variant or list(VARIANTS)
    precisions = ["float32", "float64"] if args.precision == "both" else [args.precision]
    rows = []
    for variant in variants:
        for precision in precisions:
            for tool in tools:
                python = args.brainpy_python if tool == "brainpy" else sys.executable
                loops, processes, last, error = [], [], None, None
                for _ in range(args.repeats):
                    loop_run = _measure(tool, variant, precision, "loop", python, env)
                    whole = _measure(tool, variant, precision, "process", python, env)
                    if "error" in loop_run or "error" in whole:
                        error = (loop_run.get("error") or whole.get("error"))[0]
                        break
                    loops.append(loop_run["loop_s"])
                    processes.append(whole["process_s"])
                    last = loop_run
                row = {"tool": tool, "variant": variant, "precision": precision}
                if error:
                    row["error"] = error
                else:
                    row.update(loop_s=min(loops), process_s=min(processes), rate_exc_hz=last["rate_exc_hz"], rate_inh_hz=last["rate_inh_hz"])
                rows.append(row)
                print(json.dumps(row), flush=True)
    reference = {(r["variant"], r["precision"]): r for r in rows if r["tool"] == "neurosweep" and "error" not in r}
    print(f"\n{'variant':>9} {'precision':>9} {'tool':>20} {'loop s':>7} {'process s':>9} {'loop/ours':>9} {'proc/ours':>9} {'E Hz':>6} {'I Hz':>6}")
    for row in rows:
        ours = reference.get((row["variant"], row["precision"]))
        if "error" in row or ours is None:
            print(f"{row['variant']:>9} {row['precision']:>9} {row['tool']:>20}  error: {row.get('error')}")
            continue
        print(
            f"{row['variant']:>9} {row['precision']:>9} {row['tool']:>20} {row['loop_s']:7.3f} {row['process_s']:9.2f}"
            f" {row['loop_s'] / ours['loop_s']:9.2f} {row['process_s'] / ours['process_s']:9.2f} {row['rate_exc_hz']:6.1f} {row['rate_inh_hz']:6.1f}"
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "coba.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
