"""Wang (2002) decision-making network: neurosweep against Brian2 and BrainPy, side by side in one run.

Every tool simulates the same network (course_figures.md section 3.4; BrainPy's own example is the
course's ``DecisionMakingNet``): 2000 LIF neurons, E = 1600 split into A = B = 240 selective cells
(f = 0.15) and N = 1120 non-selective ones, I = 400. E: tau = 20 ms, R = 0.04 GOhm, tau_ref = 2 ms;
I: tau = 10 ms, R = 0.05 GOhm, tau_ref = 1 ms; V_rest = V0 = -70, V_reset = -55, V_th = -50 mV;
V held while t - t_spike <= tau_ref. I_syn (pA) = sum g s (E - V), g in nS: AMPA (tau 2 ms, E 0),
GABA_A (tau 5 ms, E -70), NMDA (E 0, blocked by 1 + [Mg]/3.57 exp(-0.062 V), [Mg] = 1; gating
ds/dt = -s/100 + 0.5 x (1 - s), dx/dt = -x/2, x += 1 at a spike); AMPA and GABA gating s += 1 at
a spike. Gating is per presynaptic neuron; recurrent connections all-to-all (autapses included)
with a 0.5 ms delay: E->E AMPA 0.05, E->I AMPA 0.04, E->E NMDA 0.165, E->I NMDA 0.13, I->E GABA
1.3, I->I GABA 1.0 nS, times w+ = 1.7 within A and within B, w- = 1 - f (w+ - 1)/(1 - f) from A
to B, B to A and N to A/B. External: every neuron its own 2400 Hz Poisson train (AMPA, 2.1 nS
onto E, 1.62 onto I); during the stimulus (100-1100 ms) A and B cells each an independent Poisson
train (AMPA, 2.1 nS) whose population rate, drawn every 50 ms from N(40 (1 +- c/100), 10) Hz,
is tabled once from the seed (clipped at 0) and shared by the peers; neurosweep draws its own from
the seed through its ``decision_stimulus`` protocol (same statistics). 1600 ms at dt = 0.1 ms.

Integration, each tool as it does best: Brian2 ``exponential_euler`` for every variable, the Mg
block marked ``(constant over dt)`` (V's equation is then linear in V); BrainPy ``exp_auto`` (its
LifRef freezes the synaptic current at the step's start and integrates the leak exactly).
At dt = 0.1 ms these first-order schemes differ measurably: BrainPy decays a synaptic increment
once before it first acts (its projections add to g, then the synapse integrates, then the cell),
Brian2 does not (+-2.5 % of an AMPA event's charge), and Brian2's spikes act one step later. A's
delay rate at c = 25.6 is 40-43 Hz in BrainPy, 35-38 Hz in Brian2 (seeds 1-6, float64); with
BrainPy's order imposed on Brian2 (increments times exp(-dt/tau)) 40-41 Hz; at dt = 0.025 ms
both give 23-27 Hz. A wins in every one of these runs.

Each tool runs in its own process; ``loop`` is the simulation alone after a warm-up run that
builds and compiles (Brian2 cpp_standalone: the binary's own run time, rerun), best of
``LOOP_RUNS`` runs in the process, each from the initial state; ``process`` the whole process, interpreter
start to exit (import, build, code generation, compilation, run), cold: Brian2 runtime's Cython
cache and the standalone project in a fresh directory, no JAX persistent cache. Every run reports
the mean rates of A, B, N and I before, during and after the stimulus, and which of A and B won
(the higher rate in the delay), so that the workloads are seen to be the same.

Usage::

    BRIAN2_PYTHON=/work/venv-brian2/bin/python BRAINPY_PYTHON=/work/venv-brainpy/bin/python \\
        python benchmarks/wang2002.py --mode loop --repeats 1 --out benchmarks/results/wang2002.json

``--out`` merges its rows into the file (a row per tool, precision, mode, coherence and seed),
so a ``loop`` and a ``process`` invocation can share one file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from _harness import first_and_best, measure

N_SEL, N_NON, N_INH = 240, 1120, 400
N_EXC = 2 * N_SEL + N_NON
#: Global neuron index ranges (E first: A, B, N; then I); every tool numbers its cells so.
POPULATIONS = {"A": (0, N_SEL), "B": (N_SEL, 2 * N_SEL), "N": (2 * N_SEL, N_EXC), "I": (N_EXC, N_EXC + N_INH)}
PERIODS_MS = {"pre": (0.0, 100.0), "stimulus": (100.0, 1100.0), "delay": (1100.0, 1600.0)}
T_STOP_MS, DT_MS, DELAY_MS, SEGMENT_MS = 1600.0, 0.1, 0.5, 50.0
N_STEPS = round(T_STOP_MS / DT_MS)
W_PLUS = 1.7
W_MINUS = 1.0 - 0.15 * (W_PLUS - 1.0) / (1.0 - 0.15)
G_AMPA, G_NMDA, G_GABA = {"E": 0.05, "I": 0.04}, {"E": 0.165, "I": 0.13}, {"E": 1.3, "I": 1.0}  # nS, onto E / I
G_EXT = {"E": 2.1, "I": 1.62}  # nS
KIND = {"A": "E", "B": "E", "N": "E", "I": "I"}
CELL = {"E": {"tau": 20.0, "R": 0.04, "tau_ref": 2.0}, "I": {"tau": 10.0, "R": 0.05, "tau_ref": 1.0}}
V_REST, V_RESET, V_TH = -70.0, -55.0, -50.0
BACKGROUND_HZ, MU0_HZ, STIM_SD_HZ = 2400.0, 40.0, 10.0
#: In loop mode, each tool's loop is timed this many times in its process (best kept): the VM is noisy.
LOOP_RUNS = 3
#: Set from the command line in the child process, before the tool runs.
COHERENCE, SEED = 25.6, 1


def structure(pre: str, post: str) -> float:
    """The factor on the weights from E population ``pre`` to population ``post`` (A, B, N or I)."""
    return (W_PLUS if pre == post else W_MINUS) if post in ("A", "B") else 1.0


def stimulus_rates(coherence: float, seed: int):
    """(32, 2) array: the stimulus rate (Hz) of A's and of B's cells in each 50-ms segment."""
    import numpy as np

    rates = np.zeros((round(T_STOP_MS / SEGMENT_MS), 2))
    on = slice(*(round(t / SEGMENT_MS) for t in PERIODS_MS["stimulus"]))
    mu = MU0_HZ * (1.0 + np.array([1.0, -1.0]) * coherence / 100.0)
    rates[on] = np.random.default_rng(seed).normal(mu, STIM_SD_HZ, size=(on.stop - on.start, 2))
    return np.clip(rates, 0.0, None)


def summarize(step_counts: dict) -> dict:
    """Per population, its number of spikes at each step -> mean rates (Hz) per period, winner."""
    import numpy as np

    rates = {}
    for name, counts in step_counts.items():
        size = POPULATIONS[name][1] - POPULATIONS[name][0]
        rates[name] = {}
        for period, (start, stop) in PERIODS_MS.items():
            spikes = np.asarray(counts)[round(start / DT_MS) : round(stop / DT_MS)].sum()
            rates[name][period] = float(spikes) / size / ((stop - start) / 1000.0)
    return {"rates_hz": rates, "winner": "A" if rates["A"]["delay"] > rates["B"]["delay"] else "B"}


# --------------------------------------------------------------------------- the tools


def run_neurosweep(precision: str, mode: str, cache_dir: str | None = None) -> dict:
    """The course model (``model: wang2002``) through the pipeline's runner, as a job runs it:
    ``chunk_arguments`` + ``simulate``. Its stimulus comes from its own ``decision_stimulus``
    protocol (the same statistics as ``stimulus_rates``, drawn from the point's seed)."""
    import jax
    import numpy as np

    from neurosweep.runtime import configure_jax, skip_final_collection

    configure_jax(cache_dir)  # as a pipeline job process: no cache unless asked, the quick exit
    skip_final_collection()
    from neurosweep.experiments import parse_experiment
    from neurosweep.runner import chunk_arguments, simulate, spike_events

    experiment = parse_experiment("wang2002", {
        "model": "wang2002", "dt_ms": DT_MS, "t_stop_ms": T_STOP_MS, "precision": precision, "seeds": [SEED],
        "protocol": {"kind": "decision_stimulus", "coherence": COHERENCE, "mu0_hz": MU0_HZ, "sd_hz": STIM_SD_HZ},
    })  # fmt: skip
    arguments = chunk_arguments(experiment)
    out, first, loop = first_and_best(lambda: jax.block_until_ready(simulate(*arguments)), LOOP_RUNS if mode == "loop" else 0)
    times, neurons = spike_events(np.asarray(out["spike_words"]), DT_MS)[0]
    steps = np.round(times / DT_MS).astype(int) - 1
    counts = {name: np.bincount(steps[(neurons >= a) & (neurons < b)], minlength=N_STEPS) for name, (a, b) in POPULATIONS.items()}
    return {"first_run_s": first, "loop_s": loop, **summarize(counts)}


def run_brian2(precision: str, mode: str, target: str) -> dict:
    """Brian2 in runtime (Cython) or cpp_standalone mode (one thread). All-to-all connections
    through population sums (exact here: within a pair of populations every weight is the same):
    each E (I) cell keeps its own gating s (and x), incremented through a one-to-one synapse onto
    itself with the 0.5 ms delay; summed variables add them up per postsynaptic population (A, B,
    N, I), with the w+/w- structure, into a 4-cell group that every cell reads through linked
    variables. Loop mode builds in a kept directory, process mode in a fresh one."""
    import tempfile

    import brian2 as b2
    import numpy as np

    b2.prefs.core.default_float_dtype = np.float32 if precision == "float32" else np.float64
    kept = os.path.join(WARM_ROOT, f"brian2_{target}_{precision}")
    directory = kept if mode == "loop" else tempfile.mkdtemp(prefix="brian2_wang2002_")  # process mode: cold
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    else:
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = directory
    b2.seed(SEED)
    ms, mV, nS, Hz = b2.ms, b2.mV, b2.nS, b2.Hz
    b2.defaultclock.dt = DT_MS * ms
    common = """
    dv/dt = (V_rest - v + R * I_syn) / tau : volt (unless refractory)
    I_syn = -v * (g_ext * s_ext + g_ampa * s_ampa_in + g_nmda * s_nmda_in * mg_block) + (E_gaba - v) * g_gaba * s_gaba_in : amp
    mg_block = 1 / (1 + Mg / 3.57 * exp(-0.062 * v / mV)) : 1 (constant over dt)
    ds_ext/dt = -s_ext / tau_ampa : 1
    s_ampa_in : 1 (linked)
    s_nmda_in : 1 (linked)
    s_gaba_in : 1 (linked)
    """
    gating = {
        "E": "ds_ampa/dt = -s_ampa / tau_ampa : 1\nds_nmda/dt = -s_nmda / tau_nmda + alpha * x * (1 - s_nmda) : 1\ndx/dt = -x / tau_x : 1",
        "I": "ds_gaba/dt = -s_gaba / tau_gaba : 1",
    }  # fmt: skip
    groups = {}
    for kind, size in (("E", N_EXC), ("I", N_INH)):
        cell = CELL[kind]
        namespace = {
            "V_rest": V_REST * mV, "R": cell["R"] * b2.Gohm, "tau": cell["tau"] * ms, "E_gaba": -70 * mV, "Mg": 1.0,
            "g_ext": G_EXT[kind] * nS, "g_ampa": G_AMPA[kind] * nS, "g_nmda": G_NMDA[kind] * nS, "g_gaba": G_GABA[kind] * nS,
            "tau_ampa": 2 * ms, "tau_gaba": 5 * ms, "tau_nmda": 100 * ms, "tau_x": 2 * ms, "alpha": 0.5 / ms,
        }  # fmt: skip
        # Brian2 is refractory while t - t_spike < refractory; the model (and BrainPy) while <=: one step more.
        groups[kind] = b2.NeuronGroup(
            size, common + gating[kind], threshold=f"v >= {V_TH}*mV", reset=f"v = {V_RESET}*mV",
            refractory=(cell["tau_ref"] + DT_MS) * ms, method="exponential_euler", namespace=namespace, name=f"wang_{kind}",
        )  # fmt: skip
        groups[kind].v = V_REST * mV
    exc, inh = groups["E"], groups["I"]
    # Post classes 0..3 = A, B, N, I; s_gaba is the same sum for everyone (class 0 holds it).
    totals = b2.NeuronGroup(4, "s_ampa : 1\ns_nmda : 1\ns_gaba : 1", name="wang_totals")
    summed = "w : 1\ns_ampa_post = w * s_ampa_pre : 1 (summed)\ns_nmda_post = w * s_nmda_pre : 1 (summed)"
    e_totals = b2.Synapses(exc, totals, summed, name="wang_e_totals")
    e_totals.connect()
    # i // N_SEL: 0 for A, 1 for B, >= 2 for N; post class j < 2 is A or B.
    e_totals.w = f"int(j >= 2) + int(j < 2) * ({W_MINUS!r} + {W_PLUS - W_MINUS!r} * int(i // {N_SEL} == j))"
    i_totals = b2.Synapses(inh, totals, "s_gaba_post = s_gaba_pre : 1 (summed)", name="wang_i_totals")
    i_totals.connect(i=np.arange(N_INH), j=np.zeros(N_INH, dtype=int))
    classes = np.repeat([0, 1, 2], [N_SEL, N_SEL, N_NON])
    for group, index in ((exc, classes), (inh, np.full(N_INH, 3))):
        group.s_ampa_in = b2.linked_var(totals, "s_ampa", index=index)
        group.s_nmda_in = b2.linked_var(totals, "s_nmda", index=index)
        group.s_gaba_in = b2.linked_var(totals, "s_gaba", index=np.zeros(len(group), dtype=int))
    e_delay = b2.Synapses(exc, exc, on_pre="s_ampa_post += 1\nx_post += 1", delay=DELAY_MS * ms, name="wang_e_delay")
    e_delay.connect(j="i")
    i_delay = b2.Synapses(inh, inh, on_pre="s_gaba_post += 1", delay=DELAY_MS * ms, name="wang_i_delay")
    i_delay.connect(j="i")
    background = [b2.PoissonInput(g, "s_ext", 1, BACKGROUND_HZ * Hz, 1.0) for g in (exc, inh)]
    table = b2.TimedArray(np.repeat(stimulus_rates(COHERENCE, SEED), N_SEL, axis=1) * Hz, dt=SEGMENT_MS * ms)
    stimulus = b2.PoissonGroup(2 * N_SEL, rates="table(t, i)", namespace={"table": table}, name="wang_stimulus")
    stimulus_syn = b2.Synapses(stimulus, exc, on_pre="s_ext_post += 1", name="wang_stimulus_syn")
    stimulus_syn.connect(j="i")
    monitors = [b2.SpikeMonitor(g) for g in (exc, inh)]
    network = b2.Network(exc, inh, totals, e_totals, i_totals, e_delay, i_delay, *background, stimulus, stimulus_syn, *monitors)
    if target != "cpp_standalone":
        network.store()
    started = time.perf_counter()
    network.run(T_STOP_MS * ms)
    if target == "cpp_standalone":
        # The directory must be given here as well: build() ignores set_device's and defaults to ./output.
        b2.device.build(directory=directory, run=True, with_output=False)
    first, result, loops = time.perf_counter() - started, _brian2_summary(monitors), []
    for _ in range(LOOP_RUNS if mode == "loop" else 0):
        if target == "cpp_standalone":  # the binary's own run time
            b2.device.run(directory=directory, with_output=False)
            loops.append(b2.device._last_run_time)
        else:  # from the stored initial state (new random draws), code already compiled
            network.restore()
            started = time.perf_counter()
            network.run(T_STOP_MS * ms)
            loops.append(time.perf_counter() - started)
    return {"first_run_s": first, "loop_s": min(loops, default=None), **result}


def _brian2_summary(monitors) -> dict:
    import numpy as np

    steps = np.concatenate([np.round(np.asarray(m.t_) * 1000.0 / DT_MS).astype(int) for m in monitors])
    cells = np.concatenate([np.asarray(monitors[0].i), N_EXC + np.asarray(monitors[1].i)])
    counts = {n: np.bincount(steps[(cells >= lo) & (cells < hi)], minlength=N_STEPS) for n, (lo, hi) in POPULATIONS.items()}
    return summarize(counts)


def run_brainpy(precision: str, mode: str) -> dict:
    """BrainPy as the course's DecisionMakingNet: LifRef populations, AllToAll/OneToOne comms,
    Expon + COBA (AMPA, GABA_A) aligned post, NMDA + MgBlock aligned pre, PoissonGroup noise;
    the stimulus group reads the shared rate table instead of drawing its rates itself."""
    import brainpy as bp
    import brainpy.math as bm
    import numpy as np

    if precision == "float64":
        bm.enable_x64()
    bm.set_platform("cpu")
    bm.set_dt(DT_MS)
    bm.random.seed(SEED)
    table = stimulus_rates(COHERENCE, SEED)
    steps_per_segment = round(SEGMENT_MS / DT_MS)

    class Stimulus(bp.dyn.PoissonGroup):
        def __init__(self, size, rates):
            super().__init__(size, freqs=0.0)
            self.table = bm.asarray(rates)

        def update(self):
            rate = self.table[bp.share.load("i") // steps_per_segment]
            self.spike.value = bm.random.rand(self.num) < rate * bp.share.load("dt") / 1000.0
            return self.spike.value

    def expon(pre, post, g, tau, reversal, delay=DELAY_MS, one_to_one=False):  # AMPA or GABA_A, aligned post
        comm = bp.dnn.OneToOne(pre.num, g) if one_to_one else bp.dnn.AllToAll(pre.num, post.num, g)
        syn, out = bp.dyn.Expon.desc(post.num, tau=tau), bp.dyn.COBA.desc(E=reversal)
        return bp.dyn.ProjAlignPostMg2(pre=pre, delay=delay, comm=comm, syn=syn, out=out, post=post)

    def nmda(pre, post, g):  # aligned pre: what is delayed is the presynaptic gating s
        syn = bp.dyn.NMDA.desc(pre.num, a=0.5, tau_decay=100.0, tau_rise=2.0)
        comm, out = bp.dnn.AllToAll(pre.num, post.num, g), bp.dyn.MgBlock(E=0.0, cc_Mg=1.0)
        return bp.dyn.ProjAlignPreMg2(pre=pre, delay=DELAY_MS, syn=syn, comm=comm, out=out, post=post)

    class DecisionMakingNet(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            lif = {"V_rest": V_REST, "V_reset": V_RESET, "V_th": V_TH, "V_initializer": bp.init.OneInit(V_REST)}
            pops = {n: bp.dyn.LifRef(hi - lo, **CELL[KIND[n]], **lif) for n, (lo, hi) in POPULATIONS.items()}
            noises = {n: bp.dyn.PoissonGroup(pop.num, freqs=BACKGROUND_HZ) for n, pop in pops.items()}
            stims = {"A": Stimulus(N_SEL, table[:, 0]), "B": Stimulus(N_SEL, table[:, 1])}
            nodes = {**pops, **{f"noise_{n}": g for n, g in noises.items()}, **{f"stim_{n}": g for n, g in stims.items()}}
            for name, pop in pops.items():
                kind = KIND[name]
                nodes[f"noise2{name}"] = expon(noises[name], pop, G_EXT[kind], 2.0, 0.0, delay=None, one_to_one=True)
                nodes[f"I2{name}"] = expon(pops["I"], pop, G_GABA[kind], 5.0, -70.0)
                for pre in ("A", "B", "N"):
                    nodes[f"{pre}2{name}_AMPA"] = expon(pops[pre], pop, G_AMPA[kind] * structure(pre, name), 2.0, 0.0)
                    nodes[f"{pre}2{name}_NMDA"] = nmda(pops[pre], pop, G_NMDA[kind] * structure(pre, name))
            for name, stim in stims.items():
                nodes[f"stim2{name}"] = expon(stim, pops[name], G_EXT["E"], 2.0, 0.0, delay=None, one_to_one=True)
            for name, node in nodes.items():
                setattr(self, name, node)

        def update(self):
            super().update()
            return tuple(getattr(self, name).spike.value.sum() for name in POPULATIONS)

    net = DecisionMakingNet()
    indices = np.arange(N_STEPS)

    @bm.jit
    def simulate():
        return bm.for_loop(net.step_run, indices, progress_bar=False)

    started = time.perf_counter()
    counts = [np.asarray(c) for c in simulate()]
    first = time.perf_counter() - started
    result, loops = summarize(dict(zip(POPULATIONS, counts))), []
    for _ in range(LOOP_RUNS if mode == "loop" else 0):
        bp.reset_state(net)  # from the initial state, as the first run (new random draws)
        started = time.perf_counter()
        np.asarray(simulate()[0])
        loops.append(time.perf_counter() - started)
    return {"first_run_s": first, "loop_s": min(loops, default=None), **result}


#: Where loop-mode Brian2 runs keep what they compile (the loop's time does not depend on it).
WARM_ROOT = os.path.join(os.environ.get("TMPDIR", "/tmp"), "wang2002_benchmark_warm")

TOOLS = {
    "neurosweep": run_neurosweep,
    "brian2_runtime": lambda p, m: run_brian2(p, m, "cython"),
    "brian2_cpp_1thread": lambda p, m: run_brian2(p, m, "cpp_standalone"),
    "brainpy": run_brainpy,
}


# --------------------------------------------------------------------------- the harness


def main() -> None:
    global COHERENCE, SEED
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--precision", choices=["float32", "float64", "both"], default="both")
    parser.add_argument("--tool", choices=list(TOOLS), action="append")
    parser.add_argument("--mode", choices=["loop", "process"], default="loop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--coherence", type=float, default=25.6, help="stimulus coherence c (%%): A's mean rate 40 (1 + c/100) Hz")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the stimulus rates and of each tool's RNG")
    parser.add_argument("--brian2-python", default=os.environ.get("BRIAN2_PYTHON", sys.executable))
    parser.add_argument("--brainpy-python", default=os.environ.get("BRAINPY_PYTHON", sys.executable))
    parser.add_argument("--out", type=Path, default=None, help="JSON file the rows are merged into")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    COHERENCE, SEED = args.coherence, args.seed
    if args.child:
        print("RESULT " + json.dumps(TOOLS[args.tool[0]](args.precision, args.mode)))
        return
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONUNBUFFERED": "1"}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # cold compiles: no persistent cache
    pythons = {"brian2_runtime": args.brian2_python, "brian2_cpp_1thread": args.brian2_python, "brainpy": args.brainpy_python}
    precisions = ["float32", "float64"] if args.precision == "both" else [args.precision]
    rows = []
    for precision in precisions:
        for tool in args.tool or list(TOOLS):
            child = ["--tool", tool, "--precision", precision, "--mode", args.mode, "--coherence", str(COHERENCE), "--seed", str(SEED)]
            runs = [measure(__file__, child, pythons.get(tool, sys.executable), env) for _ in range(args.repeats)]
            row = {"tool": tool, "precision": precision, "mode": args.mode, "coherence": COHERENCE, "seed": SEED}
            errors = [r["error"][0] for r in runs if "error" in r]
            if errors:
                row["error"] = errors[0]
            else:
                key = "loop_s" if args.mode == "loop" else "process_s"
                best = min(runs, key=lambda r: r[key])
                row.update({key: best[key], "first_run_s": best["first_run_s"]})
                row.update(rates_hz=runs[-1]["rates_hz"], winner=runs[-1]["winner"], winners=[r["winner"] for r in runs])
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\n{'precision':>9} {'tool':>18} {args.mode + ' s':>9}   A/B/N/I Hz, stimulus | delay           winner")
    for row in rows:
        if "error" in row:
            print(f"{row['precision']:>9} {row['tool']:>18}  error: {row['error']}")
            continue
        r = row["rates_hz"]
        stim, delay = ("/".join(f"{r[p][period]:.1f}" for p in POPULATIONS) for period in ("stimulus", "delay"))
        print(f"{row['precision']:>9} {row['tool']:>18} {row[f'{args.mode}_s']:9.3f}   {stim:>20} | {delay:<20} {row['winner']}")
    if args.out:
        same = ("tool", "precision", "mode", "coherence", "seed")
        kept = json.loads(args.out.read_text()) if args.out.exists() else []
        kept = [k for k in kept if not any(all(k.get(f) == r[f] for f in same) for r in rows)]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(kept + rows, indent=1))


if __name__ == "__main__":
    main()
