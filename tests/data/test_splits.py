"""Seeded splits: MetaICL's shuffles and scikit-learn's stratified split, draw for draw."""

from __future__ import annotations


import numpy as np
import pytest

from iclab.data import Example, Task, metaicl_split, shuffle_split, stratified_split
from iclab.errors import DataError


def test_shuffle_split_equals_global_numpy_shuffle() -> None:
    items = list(range(101))
    expected = list(items)
    state = np.random.get_state()
    np.random.seed(42)
    np.random.shuffle(expected)
    np.random.set_state(state)
    train, test = shuffle_split(items, seed=42)
    assert train == expected[:80] and test == expected[80:]
    assert items == list(range(101))  # input untouched


def test_stratified_split_matches_scikit_learn() -> None:
    # scikit-learn 1.9.1: train_test_split(list(range(20)), test_size=0.33, random_state=41,
    # stratify=[0] * 12 + [1] * 8) returns exactly these lists.
    labels = [0] * 12 + [1] * 8
    assert stratified_split(labels, test_size=0.33, random_state=41) == (
        [16, 6, 17, 12, 8, 7, 4, 10, 1, 9, 18, 5, 13], [2, 11, 14, 15, 3, 0, 19])
    string_labels = ["b" if y else "a" for y in labels]
    assert stratified_split(string_labels) == stratified_split(labels)


def test_stratified_split_needs_two_per_class() -> None:
    with pytest.raises(DataError, match="at least 2 examples"):
        stratified_split([0, 0, 1], test_size=0.33)


def _task(n: int) -> Task:
    ex = tuple(Example({"input": str(i)}, "a") for i in range(n))
    return Task("t", "classification", ("a",), {"train": ex, "test": ex[:1]},
                input_fields=("input",))


def test_metaicl_split_errors() -> None:
    with pytest.raises(DataError, match="needs at least 2\\*k = 32"):
        metaicl_split(_task(20), 13)
    train, dev = metaicl_split(_task(40), 13, k=4)
    assert len(train) == len(dev) == 4
    no_train = Task("t", "classification", ("a",), {"test": (Example({"input": "x"}, "a"),)},
                    input_fields=("input",))
    with pytest.raises(DataError, match="has no split 'train'"):
        metaicl_split(no_train, 13)
