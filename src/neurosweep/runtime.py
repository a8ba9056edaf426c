"""Process-level settings of a job: the JAX platform, the compilation cache, a quick exit.

Light on imports (JAX only when configured), so that a job process pays for nothing it does not use.
"""

from __future__ import annotations

import atexit
import gc
import os

__all__ = ["configure_jax", "skip_final_collection"]


def configure_jax(cache_dir: str | os.PathLike | None = None, device: str = "auto") -> None:
    """Pick the platform and turn on the persistent compilation cache (call before any run)."""
    import jax

    if device == "cpu":
        jax.config.update("jax_platforms", "cpu")
    if cache_dir:
        jax.config.update("jax_compilation_cache_dir", str(cache_dir))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def skip_final_collection() -> None:
    """Let this process exit without Python's final garbage collection of everything it imported.

    Tearing down JAX's hundred thousand objects at interpreter exit takes 0.2-0.5 s, a tenth of
    a short job. ``gc.freeze`` at exit takes them out of the collector's view; the memory goes
    back with the process anyway. For job processes only: a frozen object in a reference cycle
    is not finalized, so whatever must reach disk has to be closed before the job returns (every
    job here writes its outputs atomically and closes them; ``logging`` still flushes at exit).
    """
    atexit.register(gc.freeze)
