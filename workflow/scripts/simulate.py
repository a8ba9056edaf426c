"""Snakemake script: simulate one chunk of an experiment."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _job import start_job  # noqa: E402

from neurosweep.jobs import spec_from_config, simulate_job  # noqa: E402

start_job(snakemake.log[0])
simulate_job(
    spec_from_config(snakemake.config, snakemake.wildcards.experiment),
    int(snakemake.wildcards.chunk),
    snakemake.output[0],
    jax_cache_dir=snakemake.params.jax_cache_dir,
)
