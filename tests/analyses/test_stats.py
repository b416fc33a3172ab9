"""Bootstrap intervals and correlations."""

import numpy as np
import pytest

from iclab.metrics.stats import bootstrap_mean, correlation


def test_bootstrap_interval_contains_mean_and_shrinks_with_n():
    rng = np.random.default_rng(0)
    small = bootstrap_mean(rng.normal(1.0, 1.0, 20))
    large = bootstrap_mean(rng.normal(1.0, 1.0, 2000))
    assert small.lo < small.mean < small.hi
    assert (large.hi - large.lo) < (small.hi - small.lo)
    assert large.lo < 1.0 < large.hi
    assert bootstrap_mean([1, 2, 3], seed=1) == bootstrap_mean([1, 2, 3], seed=1)


def test_correlation_values_and_undefined_cases():
    out = correlation([1, 2, 3, 4], [2, 4, 6, 9])
    assert out["n"] == 4 and out["spearman_rho"] == pytest.approx(1.0)
    assert out["pearson_r"] > 0.98 and 0 <= out["pearson_p"] < 0.05
    assert correlation([1, 2], [1, 2])["pearson_r"] is None
    assert correlation([1, 1, 1], [1, 2, 3])["spearman_rho"] is None
