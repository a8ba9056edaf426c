"""Warm job processes for a local Snakemake run, and the command every rule runs.

A pipeline job is small: most course jobs simulate, collect or draw for well under a second,
yet a fresh Python process pays 2-4 s to import JAX, xarray and matplotlib and to rebuild what it
compiled before. In a local run, Snakemake's ``onstart`` hook starts a job server
(:func:`start`): a supervisor holding a Unix socket and a few worker processes that import the
pipeline once and then run job after job, keeping their imports and their in-memory compiled
programs. Every rule is still its own Snakemake job with its own outputs, log and rerun
triggers; only the process that runs it is reused.

Every rule's shell command runs this file as the job client, ``python -S jobserver.py --job
<rule> ...`` (the standard library only, without even the site packages: about 0.1 s less per
job than a Snakemake ``script:``, whose interpreter imports Snakemake first; the paths come from
:func:`export_job_environment`). It hands its job to a worker when the server runs (the
``NEUROSWEEP_JOBSERVER`` variable of the Snakemake process names the socket), and otherwise (on a
Slurm node, under ``--use-conda``, with ``job_workers: 0``, or when no worker takes it) restarts
itself with the site packages and runs the job in its own process, as a job always did. Either
way the job runs the same function, :func:`execute`, so its results do not depend on where it ran.

A worker runs one job at a time, its log records in the job's log file, each job in its own
``warnings`` and matplotlib settings. A worker whose memory has grown past ``WORKER_MEMORY_MB``
after a job exits and is replaced. The supervisor stops its workers when Snakemake's process
ends, however it ends (``onsuccess``/``onerror`` call :func:`stop`; a killed Snakemake is
noticed within a second).

Protocol (one job per connection): the client sends one JSON line; the worker that takes the job
answers ``accepted`` at once and one JSON line when the job ends (``{"ok": true}``, or the error).
A connection closed before ``accepted`` was never run, so the client runs the job itself; one
closed after it is a worker that died during the job, which fails the job.

This module imports only the standard library at import time.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["CONFIG_ENV_VAR", "ENV_VAR", "WORKER_MEMORY_MB", "blas_threads", "execute", "export_job_environment", "request_config", "run_job", "start", "stop", "write_config"]

#: The environment variable through which a job finds the server's socket.
ENV_VAR = "NEUROSWEEP_JOBSERVER"
#: The environment variable naming the run's config file (:func:`write_config`).
CONFIG_ENV_VAR = "NEUROSWEEP_CONFIG"
#: A worker whose resident memory exceeds this after a job is replaced by a fresh one.
WORKER_MEMORY_MB = 3000
_ACCEPTED = b"accepted\n"
_STAGES = ("simulate", "collect", "simulate_collect", "figure", "animation")

log = logging.getLogger("neurosweep")

_server: subprocess.Popen | None = None


# ----------------------------------------------------------------------------- the jobs


def request_config(request: Mapping[str, Any]) -> Mapping[str, Any]:
    """The run's config: in the request, or in the JSON file it names (``config_file``, written
    when the workflow is parsed: :func:`write_config`)."""
    if "config" in request:
        return request["config"]
    return json.loads(Path(request["config_file"]).read_text())


def write_config(config: Mapping[str, Any], directory: str | os.PathLike) -> str:
    """Write the run's config as JSON into ``directory`` (named by its digest, so runs of other
    configs beside it keep theirs) for the jobs to read; its absolute path."""
    import hashlib

    text = json.dumps(config, default=str)  # keys in their order: a sweep's axis order is its dims' order
    path = Path(directory).resolve() / f"config-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        partial.write_text(text)
        os.replace(partial, path)
    return str(path)


def export_job_environment(config: Mapping[str, Any], in_conda: bool = False, directory: str = ".snakemake/neurosweep") -> None:
    """Set what a rule's shell command needs in this (Snakemake's) process's environment, which
    its jobs inherit: the run's config as a file (:func:`write_config`), the client's path (this
    file) and its interpreter (the environment's own ``python`` under --use-conda). Paths go
    through the environment so that the command is the same string wherever the checkout lies."""
    os.environ[CONFIG_ENV_VAR] = write_config(config, directory)
    os.environ["NEUROSWEEP_PYTHON"] = "python" if in_conda else sys.executable
    os.environ["NEUROSWEEP_JOB_CLIENT"] = str(Path(__file__).resolve())


def execute(request: Mapping[str, Any]) -> None:
    """Run one pipeline job described by ``request``: its stage (the rule), the run's config (or
    its file), its wildcards, inputs, outputs, log and working directory (:func:`_client_request`)."""
    from neurosweep import jobs

    stage = request["stage"]
    config = request_config(request)
    if stage in ("simulate", "collect", "simulate_collect"):
        spec = jobs.spec_from_config(config, request["experiment"])
        cache = config.get("jax_cache_dir", ".jax_cache")
        if stage == "simulate":
            jobs.simulate_job(spec, int(request["chunk"]), request["output"][0], jax_cache_dir=cache)
            return
        dataset, analysis = request["output"]  # the dataset, then its analyses
        if stage == "simulate_collect":
            jobs.simulate_collect_job(spec, dataset, analysis, jax_cache_dir=cache, memory_mb=jobs.memory_mb(config))
        else:
            jobs.collect_job(spec, request["input"], dataset, memory_mb=jobs.memory_mb(config))
            jobs.analyse_job(spec, dataset, analysis, memory_mb=jobs.memory_mb(config))
        return
    figure_id = request["figure"]
    figure = config["figures"][figure_id]
    plot = figure.get("plot", figure_id)
    arguments = (figure_id, plot, figure["experiments"], request["datasets"], request["analyses"])
    if stage == "figure":
        jobs.figure_job(*arguments, request["output"], figure.get("options", {}))
    elif stage == "animation":
        jobs.animation_job(*arguments, request["output"][0])
    else:
        raise ValueError(f"unknown stage {stage!r}; allowed: {list(_STAGES)}")


def _log_to(path: str | None) -> logging.Handler | None:
    """Send this process's log records and warnings to the job's log file."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    if not path:
        return None
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    return handler


def _execute_logged(request: Mapping[str, Any], where: str) -> str | None:
    """Run a job with its records in its log; the traceback of a failure, or None."""
    import traceback
    import warnings

    handler = _log_to(request.get("log"))
    logger = logging.getLogger("neurosweep")
    logger.info("%s job, run by %s (pid %d)", request["stage"], where, os.getpid())
    before_mb = _reset_peak_memory()
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():  # a fresh registry: every job logs its own warnings
            execute(request)
        peak_mb = _peak_memory_mb()
        logger.info("%s job done in %.2f s; peak memory %s", request["stage"], time.perf_counter() - started,
                    f"{peak_mb:.0f} MB (the process held {before_mb:.0f} MB before it)" if peak_mb else "unknown")  # fmt: skip
        return None
    except BaseException:  # the job's failure is reported, the worker goes on
        logging.getLogger("neurosweep").critical("job failed", exc_info=True)
        return traceback.format_exc()
    finally:
        if handler is not None:
            handler.flush()
            _log_to(None)


# ----------------------------------------------------------------------------- the client


def _submit(address: str, request: Mapping[str, Any]) -> str | None:
    """Hand ``request`` to a worker: None when it ran, "" when no worker took it (run it here),
    or the failure's text."""
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(address)
    except OSError:
        return ""
    with connection, connection.makefile("rb") as replies:
        try:
            connection.sendall(json.dumps(request).encode() + b"\n")
            if replies.readline() != _ACCEPTED:
                return ""
        except OSError:
            return ""
        try:
            reply = replies.readline()
        except OSError:
            reply = b""
    if not reply:
        return "the job server's worker died during the job (killed, or out of memory?)"
    answer = json.loads(reply)
    return None if answer["ok"] else answer["error"]


def run_job(request: Mapping[str, Any]) -> int:
    """Run one job, on a warm worker when the run has one, else in this process; its exit status
    (0, or 1 with the failure written to stderr)."""
    address = os.environ.get(ENV_VAR)
    return _finish(request, _submit(address, request) if address else "")


def _finish(request: Mapping[str, Any], failure: str | None) -> int:
    """After a submission (None: it ran; "": no worker took it, so run it here; else its
    failure): the job's exit status, a failure written to stderr."""
    if failure == "":
        from neurosweep.runtime import skip_final_collection

        skip_final_collection()
        failure = _execute_logged(request, "its own process")
    if failure:
        sys.stderr.write(failure if failure.endswith("\n") else failure + "\n")
        if request.get("log"):
            sys.stderr.write(f"(the job's log: {request['log']})\n")
        return 1
    return 0


# ----------------------------------------------------------------------------- the workers


def _reset_peak_memory() -> float:
    """Reset the process's peak resident memory (Linux: ``clear_refs`` 5), so that the peak read
    after a job is that job's; returns the resident memory now (MB)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _resident_mb()


def _peak_memory_mb() -> float:
    """The process's peak resident memory (VmHWM) in MB since the last reset; 0 where unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _resident_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _warm_up() -> None:
    """Import what the jobs run, once per worker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401

    import neurosweep.analysis  # noqa: F401
    import neurosweep.dynamics.fixed_points  # noqa: F401
    import neurosweep.figures  # noqa: F401
    import neurosweep.figures.files  # noqa: F401
    import neurosweep.jobs  # noqa: F401
    import neurosweep.runner  # noqa: F401
    import neurosweep.store  # noqa: F401


def _work(listener: socket.socket, memory_mb: float) -> None:
    """A worker's loop: take a job, run it, answer; exit when grown past ``memory_mb``."""
    import matplotlib

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is Snakemake's; the supervisor stops us
    _warm_up()
    settings: tuple | None = None
    n_jobs = 0
    while True:
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as requests:
            try:
                request = json.loads(requests.readline())
            except (OSError, ValueError):
                continue
            # Process-level settings (JAX's platform, its cache) are made once per process:
            # a job that asks for others runs in its own process instead.
            try:
                config = request_config(request)
            except (OSError, ValueError):
                continue  # closed before "accepted": the client runs it itself, and reports
            wanted = (request["cwd"], config.get("jax_cache_dir", ".jax_cache"), _devices(config))
            if settings is not None and wanted != settings:
                continue  # closed before "accepted": the client runs it itself
            settings = wanted
            os.chdir(request["cwd"])
            try:
                connection.sendall(_ACCEPTED)
            except OSError:
                continue
            n_jobs += 1
            with matplotlib.rc_context():
                failure = _execute_logged(request, f"a job server worker (its job {n_jobs})")
            try:
                connection.sendall(json.dumps({"ok": failure is None, "error": failure}).encode() + b"\n")
            except OSError:
                pass
        if _resident_mb() > memory_mb:
            return


def _devices(config: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted({spec.get("device", "auto") for spec in config.get("experiments", {}).values()}))


def _serve(address: str, n_workers: int, parent: int, memory_mb: float) -> None:
    """The supervisor: the socket, ``n_workers`` workers kept alive, all gone with ``parent``."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    workers: list[subprocess.Popen] = []
    command = [sys.executable, "-m", "neurosweep.jobserver", "--worker", str(listener.fileno()), "--memory-mb", str(memory_mb)]
    started = time.monotonic()
    failed_starts = 0
    stopping = False

    def request_stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while not stopping and os.getppid() == parent:
            for worker in [w for w in workers if w.poll() is not None]:
                workers.remove(worker)
                # A worker that dies at once cannot import the pipeline: stop trying after a few.
                failed_starts += worker.returncode != 0 and time.monotonic() - started < 60
            if failed_starts > 2 * n_workers:
                break
            while len(workers) < n_workers:
                workers.append(subprocess.Popen(command, pass_fds=[listener.fileno()]))
            time.sleep(0.2)
    finally:
        listener.close()  # queued jobs not yet taken are run by their clients
        for worker in workers:
            worker.terminate()
        deadline = time.monotonic() + 5
        for worker in workers:
            try:
                worker.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()
        Path(address).unlink(missing_ok=True)
        try:
            Path(address).parent.rmdir()
        except OSError:
            pass


# ----------------------------------------------------------------------------- start and stop


def blas_threads(n_workers: int) -> dict[str, str]:
    """The thread count of each worker's BLAS and LAPACK (OpenBLAS, MKL, OpenMP): the cores shared
    among the workers. The workers already fill the cores, and BLAS threads that outnumber them
    spin against each other: two cann_fixed_points jobs (126 eigenvalue problems of 512 x 512) at
    once on 2 cores took 34 s each with 2 threads per process, 8.3 s with 1 (8.6 s alone)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = str(max(1, cores // max(n_workers, 1)))
    return {"OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}


def start(n_workers: int, memory_mb: float = WORKER_MEMORY_MB) -> str | None:
    """Start the job server for this process's jobs (Snakemake's ``onstart``) and point them at it
    through ``NEUROSWEEP_JOBSERVER``; its socket's path, or None for ``n_workers`` < 1."""
    global _server
    if n_workers < 1:
        return None
    stop()
    address = str(Path(tempfile.mkdtemp(prefix="neurosweep-")) / "jobs.sock")
    environment = dict(os.environ)
    # Several workers may share one GPU: none takes most of its memory up front.
    environment.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    environment.update({name: environment.get(name, value) for name, value in blas_threads(n_workers).items()})
    environment.pop(ENV_VAR, None)
    _server = subprocess.Popen(
        [sys.executable, "-m", "neurosweep.jobserver", "--serve", address, "--workers", str(n_workers),
         "--parent", str(os.getpid()), "--memory-mb", str(memory_mb)],
        env=environment, start_new_session=True,  # Ctrl-C reaches Snakemake, which stops the server
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not Path(address).exists() and _server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.environ[ENV_VAR] = address
    return address


def stop() -> None:
    """Stop the job server started by :func:`start` (Snakemake's ``onsuccess``/``onerror``)."""
    global _server
    os.environ.pop(ENV_VAR, None)
    if _server is None:
        return
    if _server.poll() is None:
        _server.terminate()
        try:
            _server.wait(10)
        except subprocess.TimeoutExpired:
            _server.kill()
    _server = None


def _client_request(options: argparse.Namespace) -> dict[str, Any]:
    """The job a rule's shell command describes (``--job`` and its arguments), as plain data."""
    request = {
        "stage": options.job, "config_file": os.environ[CONFIG_ENV_VAR],
        "experiment": options.experiment, "chunk": options.chunk, "figure": options.figure,
        "input": options.input, "output": options.output, "log": options.log, "cwd": os.getcwd(),
    }  # fmt: skip
    if options.figure:
        request["datasets"], request["analyses"] = options.datasets, options.analyses
    return request


def _main() -> None:
    """The supervisor (``--serve``) or one of its workers (``--worker``), as :func:`start` runs them."""
    parser = argparse.ArgumentParser(prog="python -m neurosweep.jobserver")
    parser.add_argument("--serve", help="the socket's path: run the supervisor")
    parser.add_argument("--worker", type=int, help="the listening socket's descriptor: run a worker")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--parent", type=int)
    parser.add_argument("--memory-mb", type=float, default=WORKER_MEMORY_MB)
    parser.add_argument("--job", choices=_STAGES, help="run one pipeline job (a rule's shell command)")
    parser.add_argument("--here", action="store_true", help="run the job in this process, not on a worker")
    for name in ("experiment", "chunk", "figure", "log"):
        parser.add_argument(f"--{name}")
    for name in ("input", "output", "datasets", "analyses"):
        parser.add_argument(f"--{name}", nargs="*", default=[])
    options = parser.parse_args()
    if options.job:
        request = _client_request(options)
        address = os.environ.get(ENV_VAR)
        failure = _submit(address, request) if address and not options.here else ""
        if failure == "" and sys.flags.no_site:
            # No worker took it: run it in this process, restarted with the site packages (and
            # so neurosweep) that the fast start of a client leaves out.
            os.execv(sys.executable, [sys.executable, "-m", "neurosweep.jobserver", *sys.argv[1:], "--here"])
        sys.exit(_finish(request, failure))
    if options.serve:
        _serve(options.serve, options.workers, options.parent, options.memory_mb)
    elif options.worker is not None:
        _work(socket.socket(fileno=options.worker), options.memory_mb)
    else:
        parser.error("--serve or --worker")


if __name__ == "__main__":
    _main()
