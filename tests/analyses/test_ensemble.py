"""Ensemble weights: the paper's accuracy rule, EM log-likelihood fit, combination."""

import numpy as np
import pytest

from iclab.analyses.trtl.ensemble import accuracy_weights, combine, fit_weights, loglik_weights


def test_paper_weights_reproduce_hard_coded_values():
    # the paper: accuracies 0.38 and 0.45 with baseline 0.36 -> 0.18, 0.82
    w = accuracy_weights([0.38, 0.45], baseline=0.36)
    assert w == pytest.approx([0.02 / 0.11, 0.09 / 0.11])
    assert np.round(w, 2).tolist() == [0.18, 0.82]


def test_members_below_baseline_get_zero_or_uniform():
    assert accuracy_weights([0.2, 0.6], baseline=0.5).tolist() == [0.0, 1.0]
    assert accuracy_weights([0.2, 0.3], baseline=0.5).tolist() == [0.5, 0.5]


def test_loglik_prefers_the_informative_member():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 2, 200)
    good = np.where(np.eye(2)[gold] == 1, 0.9, 0.1)
    noise = np.full((200, 2), 0.5)
    w = loglik_weights([good, noise], gold)
    assert w[0] > 0.95 and w.sum() == pytest.approx(1.0)


def test_fit_and_combine():
    gold = [0, 1, 1, 0]
    a = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])  # 3/4 right
    b = np.array([[0.4, 0.6], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4]])  # 3/4 right
    w = fit_weights([a, b], gold, rule="accuracy")
    assert w == pytest.approx([0.5, 0.5])
    mixed = combine([a, b], w)
    assert np.argmax(mixed, axis=1).tolist() == [0, 1, 1, 0]  # the ensemble gets all four
    with pytest.raises(ValueError, match="one weight per member"):
        combine([a, b], [1.0])
