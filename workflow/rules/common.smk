# Config validation and the helpers every rule uses. Validation runs when the workflow is
# parsed, so a bad config fails before any job starts, in a line or two that name the key.
from snakemake.logging import logger

from neurosweep.experiments import parse_config, read_config, size_warnings
from neurosweep.figures import PLOTS, caption as plot_caption, check_figures
from neurosweep.figures import section as figure_section_of
from neurosweep.models import model_module
from neurosweep.sources import analysis_modules, digest, simulation_modules


def validated(config):
    """The experiments of ``config``, after every check; a config error ends the run here with
    its message alone (a traceback through the checks would bury the key it names)."""
    import sys

    try:
        # A key given twice is an error (the YAML Snakemake read kept the last one silently).
        for path in workflow.configfiles:
            read_config(path)
        # The schema (workflow/schemas/), finite numbers, then every experiment and figure.
        experiments = parse_config(config)
        check_figures(config.get("figures", {}), experiments)
    except ValueError as error:  # ConfigError and FigureSpecError
        logger.error(f"{type(error).__name__}: {error}")
        sys.exit(1)
    return experiments


EXPERIMENTS = validated(config)
for line in size_warnings(EXPERIMENTS):
    logger.warning(line)
FIGURES = config.get("figures", {})
JAX_CACHE_DIR = config.get("jax_cache_dir", ".jax_cache")


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
    return EXPERIMENTS[wildcards.experiment].fingerprint()


def simulate_code(wildcards):
    """Digest of the code a simulate job runs (its model's module, the runner, the store)."""
    model = EXPERIMENTS[wildcards.experiment].model
    return digest(simulation_modules(model_module(model.name)))


def store_code(wildcards):
    return digest(["neurosweep.store"])


def analyse_code(wildcards):
    return digest(analysis_modules(EXPERIMENTS[wildcards.experiment].analyses))


def figure_code(wildcards):
    return digest(["neurosweep.store", PLOTS[figure_plot(wildcards)].__module__])


def chunk_stores(wildcards):
    experiment = EXPERIMENTS[wildcards.experiment]
    return expand(
        "results/{experiment}/chunks/{chunk}.zarr",
        experiment=experiment.name,
        chunk=range(experiment.n_chunks),
    )


def simulate_gpus(wildcards):
    return 1 if EXPERIMENTS[wildcards.experiment].device == "gpu" else 0


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
    spec = FIGURES[figure_id]
    return spec.get("caption") or plot_caption(spec.get("plot", figure_id))


def figure_section(wildcards):
    """The report category of a figure: its course section."""
    spec = FIGURES[wildcards.figure]
    models = [EXPERIMENTS[name].model_name for name in spec["experiments"]]
    return figure_section_of(spec.get("plot", wildcards.figure), models)


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
