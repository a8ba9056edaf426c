rule analyse:
    """Reduce a dataset: spike counts, rates, ISI statistics (Dataset -> Dataset)."""
    input:
        "results/{experiment}/dataset.zarr",
    output:
        directory("results/{experiment}/analysis.zarr"),
    log:
        "logs/{experiment}/analyse.log",
    conda:
        "../../envs/neurosweep.yaml"
    script:
        "../scripts/analyse.py"
