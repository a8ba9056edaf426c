rule analyse:
    """Run the experiment's analyses on its dataset (Dataset -> Dataset)."""
    input:
        "results/{experiment}/dataset.zarr",
    output:
        directory("results/{experiment}/analysis.zarr"),
    log:
        "logs/{experiment}/analyse.log",
    conda:
        "../../envs/neurosweep.yaml"
    params:
        config=experiment_fingerprint,
        code=analyse_code,
    script:
        "../scripts/job.py"
