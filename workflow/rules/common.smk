# Config validation and the helpers every rule uses. Validation runs when the workflow is
# parsed, so a bad config fails before any job starts, in a line or two that name the key.
from snakemake.logging import logger
from snakemake.settings.types import DeploymentMethod, ExecMode

from neurosweep.jobserver import (
    export_job_environment,
    start as start_job_server,
    stop as stop_job_server,
)
from neurosweep.plan import PlanError, workflow_plan


def validated(config):
    """The plan of ``config`` (neurosweep.plan), after every check: a key given twice, the
    schema, finite numbers, every experiment and figure. Remembered in .snakemake/neurosweep/
    for the same config and code, so a dry run skips the imports. A config error ends the run
    here with its message alone (a traceback through the checks would bury the key it names).
    """
    import sys

    try:
        return workflow_plan(
            config, workflow.configfiles, cache_dir=".snakemake/neurosweep"
        )
    except PlanError as error:
        logger.error(str(error))
        sys.exit(1)


PLAN = validated(config)
EXPERIMENTS = PLAN["experiments"]


def job_command(stage, arguments):
    """A rule's shell command: the job client (neurosweep.jobserver run as a file, ``python -S``:
    about 0.1 s less per job than a ``script:``, whose interpreter imports Snakemake first). It
    hands the job to a warm worker, or runs it itself. The paths it needs come through the
    environment, so the command is the same string wherever the checkout lies."""
    return (
        f'"$NEUROSWEEP_PYTHON" -S "$NEUROSWEEP_JOB_CLIENT" --job {stage} ' + arguments
    )


# The run's config as a file for the jobs, the client's path and its interpreter.
export_job_environment(
    config,
    in_conda=DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method,
)
for line in PLAN["warnings"]:
    logger.warning(line)
FIGURES = config.get("figures", {})
JAX_CACHE_DIR = config.get("jax_cache_dir", ".jax_cache")


def job_server_workers():
    """Warm worker processes for this run's jobs (neurosweep.jobserver): one per core up to 8,
    or the config's job_workers; none where jobs do not run in this process's machine (Slurm)
    or run in environments of their own (--use-conda)."""
    if not workflow.local_exec or workflow.exec_mode != ExecMode.DEFAULT:
        return 0
    if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
        return 0
    return int(config.get("job_workers", min(workflow.cores, 8)))


onstart:
    start_job_server(job_server_workers())


onsuccess:
    stop_job_server()


onerror:
    stop_job_server()


def slurm_node_cpus():
    """CPUs of Slurm's smallest node (None where there is no Slurm): a job asking for more
    would pend forever (PartitionConfig)."""
    import shutil
    import subprocess

    if not shutil.which("sinfo"):
        return None
    try:
        listed = subprocess.run(
            ["sinfo", "-h", "-o", "%c"], capture_output=True, text=True, timeout=10
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    counts = [int(n.rstrip("+")) for n in listed if n.rstrip("+").isdigit()]
    return min(counts) if counts else None


# A simulate job uses up to 4 CPUs (XLA's threads), never more than a node has. Locally this
# resource is not consulted (--cores bounds the run); on Slurm it is --cpus-per-task.
SIMULATE_CPUS = min(4, slurm_node_cpus() or 4)


wildcard_constraints:
    experiment="[A-Za-z][A-Za-z0-9_]*",
    figure="[A-Za-z][A-Za-z0-9_]*",
    chunk=r"\d+",


def experiment_fingerprint(wildcards):
    """What of an experiment's config changes its results (a rerun trigger; not its description)."""
    return EXPERIMENTS[wildcards.experiment]["fingerprint"]


def simulate_code(wildcards):
    """Digest of the code a simulate job runs (its model's module, the runner, the store)."""
    return EXPERIMENTS[wildcards.experiment]["simulate_code"]


def experiment_pattern(one_job):
    """A wildcard constraint matching the experiments that run as one job (or the others)."""
    import re

    names = [name for name, spec in EXPERIMENTS.items() if spec["one_job"] == one_job]
    return "|".join(re.escape(name) for name in names) or "(?!)"


def one_job_code(wildcards):
    """Digest of the code a one-job experiment runs: its simulation, the store, its analyses."""
    return [simulate_code(wildcards), *collect_code(wildcards)]


def collect_code(wildcards):
    """Digest of the code a collect job runs: the store, and the experiment's analyses."""
    return [PLAN["store_code"], EXPERIMENTS[wildcards.experiment]["analyse_code"]]


def figure_code(wildcards):
    return PLAN["figures"][wildcards.figure]["code"]


def chunk_stores(wildcards):
    return expand(
        "results/{experiment}/chunks/{chunk}.zarr",
        experiment=wildcards.experiment,
        chunk=range(EXPERIMENTS[wildcards.experiment]["n_chunks"]),
    )


def simulate_gpus(wildcards):
    return 1 if EXPERIMENTS[wildcards.experiment]["device"] == "gpu" else 0


def figure_experiments(wildcards):
    return FIGURES[wildcards.figure]["experiments"]


def figure_inputs(wildcards):
    names = figure_experiments(wildcards)
    return {
        "datasets": expand("results/{experiment}/dataset.zarr", experiment=names),
        "analyses": expand("results/{experiment}/analysis.zarr", experiment=names),
    }


def figure_plot(wildcards):
    return FIGURES[wildcards.figure].get("plot", wildcards.figure)


def figure_caption(figure_id):
    """The plot's caption (or the config's); the report adds each experiment's description from
    the config (workflow/report/figure.rst), so a description edit reruns nothing."""
    return PLAN["figures"][figure_id]["caption"]


def figure_section(wildcards):
    """The report category of a figure: its course section."""
    return PLAN["figures"][wildcards.figure]["section"]


def all_targets():
    """Every figure the config declares (and its animation), and the dataset of every experiment."""
    figures = expand(
        "results/figures/{figure}.{ext}", figure=FIGURES, ext=("png", "pdf")
    )
    animations = expand(
        "results/figures/{figure}.gif",
        figure=[name for name, spec in FIGURES.items() if spec.get("animate")],
    )
    datasets = expand("results/{experiment}/analysis.zarr", experiment=EXPERIMENTS)
    return figures + animations + datasets
