rule collect:
    """Collect an experiment's chunks into one dataset, then run its analyses on it (one job)."""
    input:
        chunk_stores,
    output:
        dataset=directory("results/{experiment}/dataset.zarr"),
        analysis=directory("results/{experiment}/analysis.zarr"),
    log:
        "logs/{experiment}/collect.log",
    conda:
        "../../envs/neurosweep.yaml"
    params:
        config=experiment_fingerprint,
        code=collect_code,
    script:
        "../scripts/job.py"
