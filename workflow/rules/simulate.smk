rule simulate:
    """Run one chunk of sweep points as one jitted, vmapped JAX call."""
    output:
        directory("results/{experiment}/chunks/{chunk}.zarr"),
    params:
        spec=experiment_spec,
        jax_cache_dir=JAX_CACHE_DIR,
    log:
        "logs/{experiment}/simulate_{chunk}.log",
    resources:
        gpu=simulate_gpus,
    conda:
        "../../envs/neurosweep.yaml"
    script:
        "../scripts/simulate.py"


rule collect:
    """Concatenate the chunks of one experiment into one labelled dataset."""
    input:
        chunk_stores,
    output:
        directory("results/{experiment}/dataset.zarr"),
    params:
        spec=experiment_spec,
    log:
        "logs/{experiment}/collect.log",
    conda:
        "../../envs/neurosweep.yaml"
    script:
        "../scripts/collect.py"
