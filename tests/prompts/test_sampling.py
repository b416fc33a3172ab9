"""Demo sampling and test capping reproduce the papers' random draws."""

from __future__ import annotations

import numpy as np
import pytest

from iclab.data.types import Example
from iclab.errors import PromptError
from iclab.prompts import (
    METAICL_SEEDS,
    cap_test,
    sample_balanced,
    sample_choice,
    sample_fixed,
    sample_iid,
)

POOL = tuple(Example({"sentence": f"s{i}"}, "ab"[i % 2]) for i in range(20))


def test_fixed_is_metaicl_shuffle() -> None:
    assert sorted(METAICL_SEEDS) == [13, 21, 42, 87, 100]
    for seed in METAICL_SEEDS:
        np.random.seed(seed)
        data = list(POOL)
        np.random.shuffle(data)
        assert sample_fixed(POOL, 16, seed) == tuple(data[:16])
    assert [e.fields["sentence"] for e in sample_fixed(POOL, 4, 13)] == ["s11", "s12", "s0", "s1"]


def test_fixed_k_too_large() -> None:
    with pytest.raises(PromptError, match="k=21 demonstrations without replacement from a pool of 20"):
        sample_fixed(POOL, 21, 13)


def test_iid_matches_label_relationships_draws() -> None:
    s = sample_iid(20, 6, repeat=3, test_size=50, n_test=5)
    rng = np.random.default_rng(203)
    test = [int(i) for i in rng.choice(range(50), 5, replace=False)]
    demos = [int(i) for i in rng.choice(range(20), 6)]
    assert s.test_indices == tuple(test) and s.demo_indices == tuple(demos)
    assert sample_iid(3, 10, repeat=0).demo_indices  # k > pool is fine with replacement
    assert sample_iid(20, 6, repeat=0).demo_indices == tuple(
        int(i) for i in np.random.default_rng(200).choice(range(20), 6))


def test_balanced() -> None:
    demos = sample_balanced(POOL, 5, 21, ("a", "b"))
    assert sorted(e.label for e in demos) == ["a", "a", "a", "b", "b"]
    assert demos == sample_balanced(POOL, 5, 21, ("a", "b"))
    with pytest.raises(PromptError, match="needs 2 examples of label 'c'; the pool has 1"):
        sample_balanced(POOL[:6] + (Example({"sentence": "x"}, "c"),), 7, 0, ("a", "b", "c"))


def test_cap_test() -> None:
    assert cap_test(POOL, None) == POOL and cap_test(POOL, 3) == POOL[:3]
    capped = cap_test(POOL, 5, seed=1)
    assert len(capped) == 5 and capped == cap_test(POOL, 5, seed=1)
    assert [POOL.index(e) for e in capped] == sorted(POOL.index(e) for e in capped)


def test_choice_is_pandas_sample() -> None:
    s = sample_choice(POOL, 5, 3)
    idx = [int(i) for i in np.random.RandomState(3).choice(20, 5, replace=False)]
    assert s == tuple(POOL[i] for i in idx)  # = DataFrame.sample(n=5, random_state=3) order
    with pytest.raises(PromptError, match="k=21"):
        sample_choice(POOL, 21, 0)
