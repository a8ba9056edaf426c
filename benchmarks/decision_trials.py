"""Trial throughput of the noisy reduced Wong-Wang model: many trials as one vmapped job against
a plain loop over trials with the same (compiled once) step.

Each trial is 2,600 ms at dt = 0.1 ms (26,000 steps), OU noise on, mu0 = 20 Hz, the decision
tracked in the loop (``record.first_crossing`` at 20 Hz), as the course config's
``dm_rate_behaviour`` runs it. Times exclude compilation (one warm-up call each).

Usage::

    python benchmarks/decision_trials.py --trials 7000 --loop-trials 50
"""

from __future__ import annotations

import argparse
import json
import time

from _harness import first_and_best


def _experiment(n_trials: int, precision: str):
    from neurosweep.experiments import parse_experiment

    return parse_experiment("trials", {
        "model": "wong_wang", "dt_ms": 0.1, "t_stop_ms": 2600.0, "precision": precision,
        "seeds": {"start": 0, "stop": n_trials, "step": 1},
        "protocol": {"kind": "decision_stimulus", "coherence": 12.8, "mu0_hz": 20.0, "sd_hz": 0.0, "duration_ms": 2000.0},
        "record": {"first_crossing": {"r1": "20 Hz", "r2": "20 Hz"}}, "chunk_size": n_trials,
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=7000, help="trials in the vmapped job")
    parser.add_argument("--loop-trials", type=int, default=50, help="trials run one by one")
    parser.add_argument("--precision", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()
    import jax

    from neurosweep.runner import chunk_arguments, simulate
    from neurosweep.runtime import configure_jax

    configure_jax()
    batched = chunk_arguments(_experiment(args.trials, args.precision))
    _, first_batched, batched_s = first_and_best(lambda: jax.block_until_ready(simulate(*batched)), 2)
    params, fields, initial, seeds, plan = chunk_arguments(_experiment(args.loop_trials, args.precision))

    def trial(k: int) -> tuple:
        return jax.tree_util.tree_map(lambda x: x[k : k + 1], (params, fields, initial, seeds))

    jax.block_until_ready(simulate(*trial(0), plan))  # compiles the one-trial program
    started = time.perf_counter()
    for k in range(args.loop_trials):
        jax.block_until_ready(simulate(*trial(k), plan))
    loop_s = time.perf_counter() - started
    result = {
        "device": str(jax.devices()[0]), "precision": args.precision, "trials": args.trials, "first_call_s": first_batched,
        "batched_s": batched_s, "batched_trials_per_s": args.trials / batched_s,
        "loop_trials": args.loop_trials, "loop_s": loop_s, "loop_trials_per_s": args.loop_trials / loop_s,
    }
    result["gain"] = result["batched_trials_per_s"] / result["loop_trials_per_s"]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
