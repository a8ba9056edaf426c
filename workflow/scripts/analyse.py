"""Snakemake script: run an experiment's analyses on its dataset."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _job import start_job  # noqa: E402

from neurosweep.jobs import analyse_job  # noqa: E402

start_job(snakemake.log[0])
analyse_job(snakemake.params.spec, snakemake.input[0], snakemake.output[0])
