# neurosweep: classic computational-neuroscience models in JAX, swept, stored and plotted.
#
#   snakemake --cores all                          # the course figures (config/config.yaml)
#   snakemake --cores 2 --configfile my_sweep.yaml # only what my_sweep.yaml declares
#   snakemake --report report.html                 # every figure with its caption
from snakemake.utils import min_version

min_version("9.0")


# A user's --configfile replaces the course config instead of being merged into it.
if not config:

    configfile: f"{workflow.basedir}/config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        all_targets(),
