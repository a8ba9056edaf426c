rule simulate:
    """Run one chunk of sweep points as one jitted, vmapped JAX call."""
    output:
        directory("results/{experiment}/chunks/{chunk}.zarr"),
    log:
        "logs/{experiment}/simulate_{chunk}.log",
    conda:
        "../../envs/neurosweep.yaml"
    resources:
        gpu=simulate_gpus,
        cpus_per_task=SIMULATE_CPUS,
    params:
        # Rerun triggers: what of the config and of the code changes this chunk's result.
        config=experiment_fingerprint,
        code=simulate_code,
        jax_cache_dir=JAX_CACHE_DIR,
    shell:
        job_command(
            "simulate",
            "--experiment {wildcards.experiment} --chunk {wildcards.chunk} --output {output:q} --log {log:q}",
        )
