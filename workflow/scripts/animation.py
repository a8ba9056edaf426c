"""Snakemake script: animate one figure's data."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _job import start_job  # noqa: E402

from neurosweep.jobs import animation_job  # noqa: E402

start_job(snakemake.log[0])
animation_job(
    snakemake.wildcards.figure,
    snakemake.params.plot,
    snakemake.params.experiments,
    snakemake.input.datasets,
    snakemake.input.analyses,
    snakemake.output.gif,
)
