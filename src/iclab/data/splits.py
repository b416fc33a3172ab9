"""Seeded splits used by the papers' data pipelines, reproduced draw for draw.

* :func:`shuffle_split` — CrossFit/MetaICL's 80/20 split of a train-only set (financial_phrasebank,
  trec, ethos): ``np.random.seed(42); np.random.shuffle(lines)``, train = the first
  ``int(0.8 * n)`` lines, test = the rest.
* :func:`metaicl_split` — MetaICL's per-seed k-shot files: ``np.random.seed(seed)``, shuffle the
  train lines, train = first k, dev = next k (not class-balanced).
* :func:`stratified_split` — scikit-learn's ``train_test_split(..., stratify=labels)``, which the
  label-relationships paper uses for sets without a test split (test_size 0.33, seed 41).

Only numpy's legacy ``RandomState`` is used (the generator behind ``np.random.seed``), on a
private instance, so global random state is never touched and the draws are identical.
"""

from __future__ import annotations

import math
from typing import Hashable, Sequence, TypeVar

import numpy as np

from iclab.data.types import Example, Task
from iclab.errors import DataError

__all__ = ["METAICL_SEEDS", "shuffle_split", "metaicl_split", "stratified_split"]

T = TypeVar("T")

#: The five seeds of MetaICL's k-shot files (and of the task-recognition paper).
METAICL_SEEDS: tuple[int, ...] = (100, 13, 21, 42, 87)


def shuffle_split(items: Sequence[T], *, seed: int = 42, train_fraction: float = 0.8
                  ) -> tuple[list[T], list[T]]:
    """Shuffle a copy of ``items`` with ``RandomState(seed)`` and cut it at
    ``int(train_fraction * n)``; return ``(train, test)``.

    Identical to ``np.random.seed(seed); np.random.shuffle(lines)`` on a list of the same length
    (the permutation depends only on the length).
    """
    lines = list(items)
    np.random.RandomState(seed).shuffle(lines)  # type: ignore[arg-type]
    cut = int(train_fraction * len(lines))
    return lines[:cut], lines[cut:]


def metaicl_split(task: Task, seed: int, k: int = 16) -> tuple[tuple[Example, ...],
                                                               tuple[Example, ...]]:
    """MetaICL's k-shot train/dev examples of ``task`` for one seed.

    The task's ``train`` split (in its file order) is shuffled as by
    ``np.random.seed(seed); np.random.shuffle(train)``; train = the first ``k``, dev = the
    next ``k``. The test split is the task's ``test`` split for every seed.

    Args:
        task: a task with a ``train`` split (e.g. ``load_task("glue-sst2")``).
        seed: one of :data:`METAICL_SEEDS` for the paper's files; any int works.
        k: examples per file.

    Raises:
        DataError: the task has no train split or fewer than ``2 * k`` train examples.
    """
    train = list(task.split("train"))
    if k < 1:
        raise DataError(f"k must be positive, got {k}")
    if len(train) < 2 * k:
        raise DataError(f"task {task.name!r} has {len(train)} train examples; "
                        f"metaicl_split needs at least 2*k = {2 * k}")
    np.random.RandomState(seed).shuffle(train)  # type: ignore[arg-type]
    return tuple(train[:k]), tuple(train[k:2 * k])


def _approximate_mode(class_counts: np.ndarray, n_draws: int, rng: np.random.RandomState
                      ) -> np.ndarray:
    """How many items to draw per class so the draw follows the class proportions; ties in
    the remainders are broken at random (scikit-learn's algorithm)."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (candidates,) = np.where(remainder == value)
            add_now = min(len(candidates), need_to_add)
            chosen = rng.choice(candidates, size=add_now, replace=False)
            floored[chosen] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)


def stratified_split(labels: Sequence[Hashable], *, test_size: float = 0.33,
                     random_state: int = 41) -> tuple[list[int], list[int]]:
    """Positions of a stratified train/test split, draw for draw as scikit-learn's
    ``train_test_split(range(n), test_size=test_size, random_state=random_state,
    stratify=labels)`` (one ``StratifiedShuffleSplit`` iteration).

    Returns:
        ``(train_positions, test_positions)``, each in scikit-learn's (shuffled) order.
    """
    n = len(labels)
    n_test = math.ceil(test_size * n)
    n_train = n - n_test
    if n_train <= 0 or n_test <= 0:
        raise DataError(f"cannot split {n} examples with test_size={test_size}")
    keys = sorted(set(labels), key=repr) if not _sortable(labels) else sorted(set(labels))
    index_of = {key: i for i, key in enumerate(keys)}
    y = np.array([index_of[label] for label in labels])
    class_counts = np.bincount(y)
    if class_counts.min() < 2:
        raise DataError("stratified split needs at least 2 examples of every label")
    class_indices = np.split(np.argsort(y, kind="mergesort"), np.cumsum(class_counts)[:-1])
    rng = np.random.RandomState(random_state)
    n_i = _approximate_mode(class_counts, n_train, rng)
    t_i = _approximate_mode(class_counts - n_i, n_test, rng)
    train: list[int] = []
    test: list[int] = []
    for i in range(len(keys)):
        permutation = rng.permutation(class_counts[i])
        members = class_indices[i].take(permutation, mode="clip")
        train.extend(members[: n_i[i]])
        test.extend(members[n_i[i]: n_i[i] + t_i[i]])
    return ([int(x) for x in rng.permutation(train)], [int(x) for x in rng.permutation(test)])


def _sortable(values: Sequence[Hashable]) -> bool:
    try:
        sorted(set(values))  # type: ignore[type-var]
    except TypeError:
        return False
    return True
