"""The adaptive 1-D CANN (CANN1D_SFA, Mi et al. 2014) in BrainPy, as the BrainPy course writes it.

A standalone peer script: run it with the Python of a virtual environment that has BrainPy
(BrainPy pins its own JAX), for example::

    python -m venv .venv-brainpy && .venv-brainpy/bin/pip install brainpy "numpy<2.4" numba
    .venv-brainpy/bin/python benchmarks/_brainpy_cann.py --grid-k 0.1,1,10 --grid-m 0.05,0.2

It runs every (k, m) of the grid one network after another, a fresh model and a fresh
``bp.DSRunner`` for each point, the way a BrainPy user loops over parameters, and prints one JSON
object on the last line of stdout.

Model (forward Euler, step dt): N neurons at x_i = -pi + 2 pi i / N on a ring, ring distance
d(x, y) = |((x - y + pi) mod 2 pi) - pi|, dense weights J_ij = J0 exp(-d_ij^2 / (2 a^2)) /
(sqrt(2 pi) a) applied with ``bm.dot`` (the course's ``conn_mat``). Each step::

    r     = u^2 / (1 + k sum(u^2))
    Irec  = conn_mat @ r
    input = noise_sd * randn(N)                       (fresh every step)
    u_new = u + dt (-u + Irec + input - v) / tau
    v_new = v + dt (-v + m u) / tau_v                 (the old u)
    u, v  = max(u_new, 0), v_new

tau = 1, tau_v = 10, a = 0.5, J0 = 4, noise_sd = 0.1; u starts as 10 exp(-d(x, 0)^2 / (4 a^2)),
v as 0. float32 unless ``--precision float64`` (``bm.enable_x64()``).

Timings (seconds, ``time.perf_counter``, every run blocked on its result):

- ``first_s``: one pass over the grid, the first in the process (JIT compilation included);
- ``best_loop_s``: the best of ``--repeats`` further passes, each building fresh models and
  runners as a user would. k and m are Python floats baked into each model's traced step, and
  each runner jits its own step function, so BrainPy traces and compiles again for every point:
  that cost is in every pass, not only the first (``repeat_pass_compiles`` counts the XLA
  compilations of the last repeated pass, ``repeat_pass_compile_s`` their time);
- ``per_network_s``: ``best_loop_s`` over the number of points;
- ``single_first_s``: one point alone, model and runner built and run (compilation included);
  ``single_second_s``: the same runner run again over the same duration from the same initial
  state. With BrainPy 2.8.2 / JAX 0.10.2 that second ``runner.run`` compiles again too
  (``single_second_compiles``), so ``single_second_exec_s`` (its time less the measured compile
  time) is what comes closest to the loop alone.

Sanity output for each point, in grid order (k outer, m inner): the final max(u) and the bump's
position, the angle of sum_i r_i exp(i x_i) with r computed from the final u.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def parse_grid(text: str) -> list[float]:
    return [float(item) for item in text.split(",") if item.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=512)
    parser.add_argument("--t-stop-ms", type=float, default=300.0)
    parser.add_argument("--dt-ms", type=float, default=0.1)
    parser.add_argument("--grid-k", default="0.1,1,10")
    parser.add_argument("--grid-m", default="0.05,0.2")
    parser.add_argument("--precision", choices=("float32", "float64"), default="float32")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise-sd", type=float, default=0.1, help="sd of the input noise per neuron and step")
    parser.add_argument("--u0-height", type=float, default=10.0, help="height of the initial bump of u")
    parser.add_argument(
        "--monitor",
        choices=("none", "r_sum"),
        default="none",
        help="what the runner records every step: nothing (default), or sum(r), one scalar a step. "
        "The course monitors u (N values a step); that is left out to keep memory small.",
    )
    args = parser.parse_args(argv)

    import brainpy as bp
    import brainpy.math as bm
    import jax
    import numpy as np

    if args.precision == "float64":
        bm.enable_x64()
    bm.set_platform("cpu")
    bm.set_dt(args.dt_ms)
    bm.random.seed(args.seed)
    float_dtype = np.float64 if args.precision == "float64" else np.float32

    # Count XLA compilations (and their time, tracing and lowering included) through JAX's own
    # monitoring events, to say whether each fresh model compiles again.
    compile_log = {"count": 0, "seconds": 0.0}
    compile_events = (
        "/jax/core/compile/jaxpr_trace_duration",
        "/jax/core/compile/jaxpr_to_mlir_module_duration",
        "/jax/core/compile/backend_compile_duration",
    )

    def on_event(event: str, duration: float, **_kwargs) -> None:
        if event in compile_events:
            compile_log["seconds"] += duration
            compile_log["count"] += event.endswith("backend_compile_duration")

    jax.monitoring.register_event_duration_secs_listener(on_event)

    class CANN1D_SFA(bp.dyn.NeuDyn):
        """The course's adaptive CANN: u, v and r as ``bm.Variable``, dense ``conn_mat``."""

        def __init__(
            self, num, k, m, tau=1.0, tau_v=10.0, a=0.5, J0=4.0, noise_sd=0.1, A0=10.0, **kwargs
        ):
            super().__init__(size=num, **kwargs)
            self.tau, self.tau_v, self.k, self.m = tau, tau_v, k, m
            self.a, self.J0, self.noise_sd, self.A0 = a, J0, noise_sd, A0
            self.z_range = 2 * bm.pi
            # x_i = -pi + 2 pi i / N: N distinct places (pi is -pi on the ring).
            self.x = bm.arange(num) * (self.z_range / num) - bm.pi
            self.conn_mat = self.make_conn(self.x)
            self.u = bm.Variable(self.initial_u())
            self.v = bm.Variable(bm.zeros(num))
            self.r = bm.Variable(bm.zeros(num))

        def dist(self, d):
            """Ring distance |((d + pi) mod 2 pi) - pi|."""
            return bm.abs(bm.remainder(d + bm.pi, self.z_range) - bm.pi)

        def make_conn(self, x):
            d = self.dist(bm.reshape(x, (-1, 1)) - bm.reshape(x, (1, -1)))
            return self.J0 * bm.exp(-0.5 * bm.square(d / self.a)) / (bm.sqrt(2 * bm.pi) * self.a)

        def initial_u(self):
            return self.A0 * bm.exp(-0.25 * bm.square(self.dist(self.x) / self.a))

        def reset(self):
            self.u.value = self.initial_u()
            self.v.value = bm.zeros(self.num)
            self.r.value = bm.zeros(self.num)

        def update(self):
            dt = bp.share["dt"]
            r1 = bm.square(self.u)
            self.r.value = r1 / (1.0 + self.k * bm.sum(r1))
            Irec = bm.dot(self.conn_mat, self.r)
            inp = self.noise_sd * bm.random.randn(self.num)
            u_new = self.u + dt * (-self.u + Irec + inp - self.v) / self.tau
            v_new = self.v + dt * (-self.v + self.m * self.u) / self.tau_v
            self.u.value = bm.maximum(u_new, 0.0)
            self.v.value = v_new

    def make(k: float, m: float):
        model = CANN1D_SFA(args.n_neurons, k=k, m=m, noise_sd=args.noise_sd, A0=args.u0_height)
        # Monitors: nothing by default; with --monitor r_sum, the scalar sum(r) every step.
        monitors = {"r_sum": lambda: bm.sum(model.r)} if args.monitor == "r_sum" else None
        runner = bp.DSRunner(model, monitors=monitors, progress_bar=False, jit=True)
        return model, runner

    def finish(model, k: float) -> tuple[float, float]:
        u = np.asarray(bm.as_numpy(model.u)).astype(np.float64)  # blocks on the result
        x = np.asarray(bm.as_numpy(model.x)).astype(np.float64)
        r = u**2 / (1.0 + k * np.sum(u**2))
        position = float(np.angle(np.sum(r * np.exp(1j * x))))
        return float(u.max()), position

    points = [(k, m) for k in parse_grid(args.grid_k) for m in parse_grid(args.grid_m)]

    def one_pass() -> list[tuple[float, float]]:
        results = []
        for k, m in points:
            model, runner = make(k, m)
            runner.run(args.t_stop_ms)
            results.append(finish(model, k))
        return results

    started = time.perf_counter()
    results = one_pass()
    first_s = time.perf_counter() - started

    first_compiles = dict(compile_log)
    best_loop_s = None
    pass_compiles = None
    for _ in range(args.repeats):
        before = dict(compile_log)
        started = time.perf_counter()
        results = one_pass()
        elapsed = time.perf_counter() - started
        pass_compiles = {key: compile_log[key] - before[key] for key in compile_log}
        best_loop_s = elapsed if best_loop_s is None else min(best_loop_s, elapsed)

    k0, m0 = points[0]
    before = dict(compile_log)
    started = time.perf_counter()
    model, runner = make(k0, m0)
    runner.run(args.t_stop_ms)
    finish(model, k0)
    single_first_s = time.perf_counter() - started
    single_first_compile = {key: compile_log[key] - before[key] for key in compile_log}
    model.reset()
    before = dict(compile_log)
    started = time.perf_counter()
    runner.run(args.t_stop_ms)
    finish(model, k0)
    single_second_s = time.perf_counter() - started
    single_second_compile = {key: compile_log[key] - before[key] for key in compile_log}

    dtype_seen = str(np.asarray(bm.as_numpy(model.u)).dtype)
    if dtype_seen != np.dtype(float_dtype).name:
        print(f"warning: u is {dtype_seen}, expected {args.precision}", file=sys.stderr)
    for (k, m), (max_u, pos) in zip(points, results):
        print(f"k={k:g} m={m:g}: max u {max_u:.4f}, position {pos:+.4f} rad", file=sys.stderr)

    out = {
        "tool": "brainpy",
        "brainpy": bp.__version__,
        "jax": jax.__version__,
        "precision": args.precision,
        "state_dtype": dtype_seen,
        "n_neurons": args.n_neurons,
        "t_stop_ms": args.t_stop_ms,
        "dt_ms": args.dt_ms,
        "n_steps": int(args.t_stop_ms / args.dt_ms),
        "monitor": args.monitor,
        "grid_k": parse_grid(args.grid_k),
        "grid_m": parse_grid(args.grid_m),
        "n_points": len(points),
        "repeats": args.repeats,
        "first_s": first_s,
        "best_loop_s": best_loop_s,
        "per_network_s": None if best_loop_s is None else best_loop_s / len(points),
        "single_first_s": single_first_s,
        "single_second_s": single_second_s,
        # XLA compilations (count, and seconds of tracing + lowering + compiling) in the first
        # pass and in the last repeated pass: a count of n_points or more in a repeated pass
        # means every fresh model is compiled again.
        "first_pass_compiles": first_compiles["count"],
        "first_pass_compile_s": first_compiles["seconds"],
        "repeat_pass_compiles": None if pass_compiles is None else pass_compiles["count"],
        "repeat_pass_compile_s": None if pass_compiles is None else pass_compiles["seconds"],
        "single_first_compiles": single_first_compile["count"],
        "single_first_compile_s": single_first_compile["seconds"],
        "single_second_compiles": single_second_compile["count"],
        "single_second_compile_s": single_second_compile["seconds"],
        # single_second_s less its compile time: the simulation loop alone, roughly.
        "single_second_exec_s": single_second_s - single_second_compile["seconds"],
        "final_max_u": [r[0] for r in results],
        "final_position_rad": [r[1] for r in results],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
