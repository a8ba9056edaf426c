"""Analyses: Dataset -> Dataset reductions, chainable with ``.pipe``; no simulation here."""

from neurosweep.analysis.network import network_statistics, smoothed_rate
from neurosweep.analysis.spikes import instantaneous_rate, spike_statistics

__all__ = ["instantaneous_rate", "network_statistics", "smoothed_rate", "spike_statistics"]
