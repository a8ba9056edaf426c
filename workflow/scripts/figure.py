"""Snakemake script: draw one figure."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _job import start_job  # noqa: E402

from neurosweep.jobs import figure_job  # noqa: E402

start_job(snakemake.log[0])
figure_job(
    snakemake.wildcards.figure,
    snakemake.params.plot,
    snakemake.params.experiments,
    snakemake.input.datasets,
    snakemake.input.analyses,
    [snakemake.output.png, snakemake.output.pdf],
    snakemake.params.options,
)
