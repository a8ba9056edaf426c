"""What every job process does first: log to its Snakemake log file, and exit quickly."""

import logging

from neurosweep.runtime import skip_final_collection


def start_job(log_path: str) -> None:
    """Send log records and warnings to ``log_path``; skip the interpreter's final collection."""
    logging.basicConfig(
        filename=log_path,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    logging.captureWarnings(True)
    skip_final_collection()
