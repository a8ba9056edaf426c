"""The network kit: populations, projections, synapses and sources, which network models compose.

A network model (``models/ei_network.py``, ``models/wang2002.py``) is one short file that lays
out its populations, draws or builds its projections in ``init_state`` and, in ``step``, reads
the delayed presynaptic activity, computes synaptic currents, updates the neurons and their
synapses. Everything here is pure JAX for one sweep point.
"""

from neurosweep.models.network.fields import circular_convolution, dense_kernel, gaussian_spectrum, kernel_spectrum, ring_distance, ring_positions
from neurosweep.models.network.populations import Populations, initial_values, lif_update
from neurosweep.models.network.projections import (
    BUFFER_SIZE,
    DelayLine,
    delay_line,
    deliver,
    dense_input,
    fixed_probability,
    group_input,
    group_sums,
    out_degree_bound,
)
from neurosweep.models.network.sources import poisson_spikes
from neurosweep.models.network.synapses import NMDAState, conductance_current, exponential, mg_block, nmda_state, nmda_step

__all__ = [
    "circular_convolution",
    "dense_kernel",
    "gaussian_spectrum",
    "kernel_spectrum",
    "ring_distance",
    "ring_positions",
    "BUFFER_SIZE",
    "DelayLine",
    "NMDAState",
    "Populations",
    "conductance_current",
    "delay_line",
    "deliver",
    "dense_input",
    "exponential",
    "fixed_probability",
    "group_input",
    "group_sums",
    "initial_values",
    "lif_update",
    "mg_block",
    "nmda_state",
    "nmda_step",
    "out_degree_bound",
    "poisson_spikes",
]
