"""Snakemake script: run an experiment's analyses on its dataset."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _job import start_job  # noqa: E402

from neurosweep.jobs import spec_from_config, analyse_job  # noqa: E402

start_job(snakemake.log[0])
analyse_job(spec_from_config(snakemake.config, snakemake.wildcards.experiment), snakemake.input[0], snakemake.output[0])
