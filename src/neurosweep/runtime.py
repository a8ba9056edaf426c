"""Process-level settings, made here and only here: JAX's 64-bit mode, the platform, the
compilation cache, a quick exit.

Nothing in neurosweep changes a process setting when it is imported; a job, a test session, a
benchmark or a notebook calls :func:`configure_jax` once before running anything. Light on
imports (JAX only when configured), so that a job process pays for nothing it does not use.
"""

from __future__ import annotations

import atexit
import gc
import os

__all__ = ["configure_jax", "require_device", "skip_final_collection"]


def configure_jax(cache_dir: str | os.PathLike | None = None, device: str = "auto") -> None:
    """Turn on 64-bit mode, pick the platform and the persistent compilation cache (call once,
    before any run).

    64-bit mode lets an experiment ask for float64 and lets the runner count in int64; a float32
    experiment stays float32, since every array it makes has an explicit dtype.
    """
    if device != "cpu":
        # Several jobs may share one GPU: none takes most of its memory up front (read by XLA when
        # the backend starts, so it has to be set before the first array).
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax

    jax.config.update("jax_enable_x64", True)
    if device == "cpu":
        jax.config.update("jax_platforms", "cpu")
    if cache_dir:
        jax.config.update("jax_compilation_cache_dir", str(cache_dir))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def require_device(device: str, experiment: str) -> None:
    """Fail with a clear message when ``device: gpu`` is asked for and JAX has no GPU backend
    (rather than running on the CPU unnoticed)."""
    if device != "gpu":
        return
    import jax

    if jax.default_backend() != "gpu":
        raise RuntimeError(
            f"experiments.{experiment}.device is 'gpu', but JAX sees only {jax.devices()} "
            "(install jax[cuda12] on the GPU machine, or set device to 'auto' or 'cpu')"
        )


def skip_final_collection() -> None:
    """Let this process exit without Python's final garbage collection of everything it imported.

    Tearing down JAX's hundred thousand objects at interpreter exit takes 0.2-0.5 s, a tenth of
    a short job. ``gc.freeze`` at exit takes them out of the collector's view; the memory goes
    back with the process anyway. For job processes only: a frozen object in a reference cycle
    is not finalized, so whatever must reach disk has to be closed before the job returns (every
    job here writes its outputs atomically and closes them; ``logging`` still flushes at exit).
    """
    atexit.register(gc.freeze)
