"""Statistics shared by the analyses: bootstrap confidence intervals and correlations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval."""

    mean: float
    lo: float
    hi: float

    def as_dict(self) -> dict[str, float]:
        """``{"mean", "lo", "hi"}`` for JSON output."""
        return {"mean": self.mean, "lo": self.lo, "hi": self.hi}


def bootstrap_mean(
    values: Sequence[float] | np.ndarray,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Interval:
    """Mean of ``values`` with a percentile bootstrap confidence interval.

    Args:
        values: samples (e.g. one metric at one position over repeats), 1-D.
        level: confidence level.
        n_boot: bootstrap resamples.
        seed: rng seed, so intervals are reproducible.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"bootstrap_mean needs a non-empty 1-D sample, got shape {x.shape}")
    if x.size == 1:
        return Interval(float(x[0]), float(x[0]), float(x[0]))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return Interval(float(x.mean()), float(lo), float(hi))


def correlation(x: Sequence[float], y: Sequence[float]) -> dict[str, float | int | None]:
    """Pearson and Spearman correlations of two paired samples, with p-values and n.

    Returns None for the coefficients when fewer than 3 pairs exist or a sample is constant
    (a correlation is undefined then; we never report a made-up number).
    """
    from scipy import stats

    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"correlation needs two equal-length 1-D samples, got {a.shape} and {b.shape}")
    out: dict[str, float | int | None] = {"n": int(a.size), "pearson_r": None, "pearson_p": None,
                                          "spearman_rho": None, "spearman_p": None}
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return out
    pr = stats.pearsonr(a, b)
    sr = stats.spearmanr(a, b)
    out.update(pearson_r=float(pr[0]), pearson_p=float(pr[1]),
               spearman_rho=float(sr[0]), spearman_p=float(sr[1]))
    return out
