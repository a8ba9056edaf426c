# Config validation and the helpers every rule uses. Validation runs when the workflow is
# parsed, so a bad config fails before any job starts.
from snakemake.utils import validate

from neurosweep.experiments import parse_config
from neurosweep.figures import caption as plot_caption

validate(config, "../schemas/config.schema.yaml")
EXPERIMENTS = parse_config(config)
FIGURES = config.get("figures", {})
JAX_CACHE_DIR = config.get("jax_cache_dir", ".jax_cache")


wildcard_constraints:
    experiment="[A-Za-z][A-Za-z0-9_]*",
    figure="[A-Za-z][A-Za-z0-9_]*",
    chunk=r"\d+",


def experiment_spec(wildcards):
    return EXPERIMENTS[wildcards.experiment].to_json()


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
    spec = FIGURES[figure_id]
    return spec.get("caption") or plot_caption(spec.get("plot", figure_id))


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
