"""Dynamical-systems toolkit: fixed points, Jacobians and their stability (pure JAX, float64)."""

from neurosweep.dynamics.fixed_points import STABILITY_LABELS, classify, find_fixed_point

__all__ = ["STABILITY_LABELS", "classify", "find_fixed_point"]
