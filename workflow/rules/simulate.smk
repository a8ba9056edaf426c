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
    params:
        spec=experiment_spec,
        jax_cache_dir=JAX_CACHE_DIR,
    script:
        "../scripts/simulate.py"


rule collect:
    """Concatenate the chunks of one experiment into one labelled dataset."""
    input:
        chunk_stores,
    output:
        directory("results/{experiment}/dataset.zarr"),
    log:
        "logs/{experiment}/collect.log",
    conda:
        "../../envs/neurosweep.yaml"
    params:
        spec=experiment_spec,
    script:
        "../scripts/collect.py"
