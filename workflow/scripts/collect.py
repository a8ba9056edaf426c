"""Snakemake script: collect an experiment's chunks into one dataset."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _job import start_job  # noqa: E402

from neurosweep.jobs import spec_from_config, collect_job  # noqa: E402

start_job(snakemake.log[0])
collect_job(spec_from_config(snakemake.config, snakemake.wildcards.experiment), list(snakemake.input), snakemake.output[0])
