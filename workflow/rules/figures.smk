rule figure:
    """Draw one figure from the reduced data of the experiments it names."""
    input:
        unpack(figure_inputs),
    output:
        png=report(
            "results/figures/{figure}.png",
            caption="../report/figure.rst",
            category=figure_section,
            labels={"figure": "{figure}", "file": "PNG"},
        ),
        pdf=report(
            "results/figures/{figure}.pdf",
            caption="../report/figure.rst",
            category=figure_section,
            labels={"figure": "{figure}", "file": "PDF"},
        ),
    log:
        "logs/figures/{figure}.log",
    conda:
        "../../envs/neurosweep.yaml"
    params:
        plot=figure_plot,
        experiments=figure_experiments,
        options=lambda wildcards: FIGURES[wildcards.figure].get("options", {}),
        caption=lambda wildcards: figure_caption(wildcards.figure),
        code=figure_code,
    shell:
        job_command(
            "figure",
            "--figure {wildcards.figure} --datasets {input.datasets:q} --analyses {input.analyses:q} --output {output:q} --log {log:q}",
        )


rule animation:
    """Animate one figure's data (a GIF beside its static snapshots)."""
    input:
        unpack(figure_inputs),
    output:
        gif=report(
            "results/figures/{figure}.gif",
            caption="../report/animation.rst",
            category=figure_section,
            labels={"figure": "{figure}", "file": "GIF"},
        ),
    log:
        "logs/animations/{figure}.log",
    conda:
        "../../envs/neurosweep.yaml"
    params:
        plot=figure_plot,
        experiments=figure_experiments,
        code=figure_code,
    shell:
        job_command(
            "animation",
            "--figure {wildcards.figure} --datasets {input.datasets:q} --analyses {input.analyses:q} --output {output:q} --log {log:q}",
        )
