"""What every job process does first: log to its Snakemake log file, and exit quickly."""

import logging
import sys

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
    default_hook = sys.excepthook

    def log_and_raise(kind, error, traceback):
        # The job's own log gets the traceback too, not only Snakemake's console.
        logging.getLogger("neurosweep").critical("job failed", exc_info=(kind, error, traceback))
        default_hook(kind, error, traceback)

    sys.excepthook = log_and_raise
    skip_final_collection()
