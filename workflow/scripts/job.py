"""Snakemake script of every rule: run the rule's job (neurosweep.jobserver.run_job), on a warm
worker of the run's job server when there is one, else in this process."""

import sys

from neurosweep.jobserver import job_request, run_job

sys.exit(run_job(job_request(snakemake)))
