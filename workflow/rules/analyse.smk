rule collect:
    """Collect an experiment's chunks into one dataset, then run its analyses on it (one job)."""
    input:
        chunk_stores,
    output:
        dataset=directory("results/{experiment}/dataset.zarr"),
        analysis=directory("results/{experiment}/analysis.zarr"),
    log:
        "logs/{experiment}/collect.log",
    wildcard_constraints:
        experiment=experiment_pattern(one_job=False),
    conda:
        "../../envs/neurosweep.yaml"
    params:
        config=experiment_fingerprint,
        code=collect_code,
    shell:
        job_command(
            "collect",
            "--experiment {wildcards.experiment} --input {input:q} --output {output:q} --log {log:q}",
        )


rule simulate_collect:
    """A small experiment of one chunk: simulate, collect and analyse it in one job."""
    output:
        dataset=directory("results/{experiment}/dataset.zarr"),
        analysis=directory("results/{experiment}/analysis.zarr"),
    log:
        "logs/{experiment}/simulate_collect.log",
    wildcard_constraints:
        experiment=experiment_pattern(one_job=True),
    conda:
        "../../envs/neurosweep.yaml"
    resources:
        gpu=simulate_gpus,
        cpus_per_task=SIMULATE_CPUS,
    params:
        config=experiment_fingerprint,
        code=one_job_code,
        jax_cache_dir=JAX_CACHE_DIR,
    shell:
        job_command(
            "simulate_collect",
            "--experiment {wildcards.experiment} --output {output:q} --log {log:q}",
        )
