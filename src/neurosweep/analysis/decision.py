"""Decisions and the behaviour they add up to (Dataset -> Dataset).

``decision``: each trial's choice and decision time from the first crossings of a threshold by
the two populations' readouts (``<variable>_first_crossing_ms``, tracked in the simulation loop:
``record: {first_crossing: {r1: 20, r2: 20}}``). ``psychometric``: over the trials (the ``seed``
dim) of each coherence, accuracy and decision times, and a Weibull psychometric function fitted
by maximum likelihood with bootstrap confidence intervals (resampling trials).
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

__all__ = ["BOOTSTRAP_RESAMPLES", "decision", "psychometric", "weibull_accuracy"]

#: Bootstrap resamples of the trials for the confidence intervals of the Weibull fit.
BOOTSTRAP_RESAMPLES = 200
#: The confidence level of the intervals.
CONFIDENCE = 0.95


def _crossings(dataset: xr.Dataset) -> list[str]:
    """The two first-crossing variables, in the order the config's ``record.first_crossing`` lists
    them (choice 1, choice 2): a store does not keep the order of its variables."""
    listed = json.loads(dataset.attrs["experiment_config"]).get("record", {}).get("first_crossing", {})
    names = [f"{name}_first_crossing_ms" for name in listed]
    if len(names) != 2 or any(name not in dataset for name in names):
        raise ValueError(f"a two-choice decision needs two first-crossing variables (record.first_crossing); found {names}")
    return names


def _protocol(dataset: xr.Dataset) -> dict:
    return json.loads(dataset.attrs["experiment_config"]).get("protocol", {})


def _coherence(dataset: xr.Dataset) -> xr.DataArray:
    if "coherence" in dataset.coords:
        return dataset["coherence"]
    return xr.DataArray(float(_protocol(dataset)["coherence"]))


def decision(dataset: xr.Dataset) -> xr.Dataset:
    """Per trial: ``choice`` (1 or 2: the first of the two variables of ``record.first_crossing``,
    in config order, to cross its threshold; 0: none crossed),
    ``decision_time_ms`` (from stimulus onset; NaN without a decision) and ``correct`` (the choice
    the coherence favours; NaN at c = 0 or without a decision)."""
    first, second = (dataset[name] for name in _crossings(dataset))
    onset = float(_protocol(dataset).get("t_start_ms", 100.0))
    time = first.fillna(np.inf).where(first.fillna(np.inf) <= second.fillna(np.inf), second.fillna(np.inf))
    decided = np.isfinite(time)
    choice = xr.where(~decided, 0, xr.where(first.fillna(np.inf) <= second.fillna(np.inf), 1, 2))
    coherence = _coherence(dataset)
    favoured = xr.where(coherence > 0, 1, xr.where(coherence < 0, 2, 0))
    correct = xr.where(decided & (favoured > 0), (choice == favoured).astype(float), np.nan)
    return xr.Dataset({
        "choice": choice.astype(np.int8).assign_attrs(units="1", long_name="choice (1, 2; 0: no decision)"),
        "decision_time_ms": (time - onset).where(decided).assign_attrs(units="ms", long_name="decision time from stimulus onset"),
        "correct": correct.assign_attrs(units="1", long_name="choice favoured by the coherence (NaN at c = 0 or without a decision)"),
    })  # fmt: skip


def weibull_accuracy(coherence_pct: np.ndarray, threshold_pct: float, slope: float) -> np.ndarray:
    """P(correct) = 1 - 0.5 exp(-(c / alpha)^beta): chance at c = 0, alpha where P = 0.816."""
    return 1.0 - 0.5 * np.exp(-((np.abs(coherence_pct) / threshold_pct) ** slope))


def _fit_weibull(coherence: np.ndarray, n_correct: np.ndarray, n_trials: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (alpha, beta) from the trials at each distinct coherence: the
    Bernoulli likelihood of the trials depends on them only through these counts (so a fit costs
    the coherences, not the thousands of trials, and a bootstrap resample is a bincount)."""
    from scipy.optimize import minimize

    n_wrong = n_trials - n_correct

    def negative_log_likelihood(log_params: np.ndarray) -> float:
        p = np.clip(weibull_accuracy(coherence, *np.exp(log_params)), 1e-9, 1 - 1e-9)
        return -float(np.sum(n_correct * np.log(p) + n_wrong * np.log(1 - p)))

    result = minimize(negative_log_likelihood, np.log([10.0, 1.5]), method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8})
    return tuple(float(v) for v in np.exp(result.x))


def psychometric(dataset: xr.Dataset) -> xr.Dataset:
    """Per coherence, over the trials (``seed``): ``accuracy`` (of the decided trials),
    ``n_trials``, ``n_no_decision``, ``mean_decision_time_ms`` and ``sd_decision_time_ms``; and the
    Weibull fit of accuracy against |c| (c != 0), ``weibull_threshold_pct`` and ``weibull_slope``,
    with bootstrap intervals (``*_ci``, dim ``bound``: the 2.5 and 97.5 percentiles of
    :data:`BOOTSTRAP_RESAMPLES` resamples of the trials, seed 0)."""
    trials = decision(dataset)
    if "seed" not in trials.dims or "coherence" not in trials.dims:
        raise ValueError("psychometric needs a grid sweep of coherence and several seeds (the trials)")
    decided = trials["choice"] > 0
    out = xr.Dataset({
        "accuracy": trials["correct"].mean("seed").assign_attrs(units="1", long_name="fraction correct of the decided trials"),
        "n_trials": xr.full_like(trials["coherence"], trials.sizes["seed"], dtype=int).assign_attrs(units="1", long_name="trials"),
        "n_no_decision": (~decided).sum("seed").assign_attrs(units="1", long_name="trials without a decision"),
        "mean_decision_time_ms": trials["decision_time_ms"].mean("seed").assign_attrs(units="ms", long_name="mean decision time"),
        "sd_decision_time_ms": trials["decision_time_ms"].std("seed").assign_attrs(units="ms", long_name="sd of the decision time"),
    })  # fmt: skip
    coherence = np.broadcast_to(trials["coherence"].values[:, None], trials["correct"].transpose("coherence", "seed").shape)
    correct = trials["correct"].transpose("coherence", "seed").values
    use = np.isfinite(correct) & (coherence != 0)
    levels, group = np.unique(np.abs(coherence[use]), return_inverse=True)
    k = correct[use]

    def fit(index: np.ndarray) -> tuple[float, float]:
        at = group[index]
        return _fit_weibull(levels, np.bincount(at, weights=k[index], minlength=levels.size), np.bincount(at, minlength=levels.size))

    alpha, beta = fit(np.arange(k.size))
    rng = np.random.default_rng(0)
    draws = np.array([fit(rng.integers(0, k.size, k.size)) for _ in range(BOOTSTRAP_RESAMPLES)])
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
    out["weibull_threshold_pct"] = ((), alpha, {"units": "%", "long_name": "Weibull threshold alpha (accuracy 0.816)"})
    out["weibull_slope"] = ((), beta, {"units": "1", "long_name": "Weibull slope beta"})
    out["weibull_threshold_pct_ci"] = ("bound", [low[0], high[0]], {"units": "%", "long_name": f"{CONFIDENCE:.0%} bootstrap interval of alpha"})
    out["weibull_slope_ci"] = ("bound", [low[1], high[1]], {"units": "1", "long_name": f"{CONFIDENCE:.0%} bootstrap interval of beta"})
    return out.assign_coords(bound=("bound", ["low", "high"]))
