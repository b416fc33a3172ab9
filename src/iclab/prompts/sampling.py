"""Demonstration sampling and test capping, each reproducing a paper's random draws.

- :func:`sample_fixed`: MetaICL / task-recognition paper. ``np.random.seed(seed)``, shuffle the
  training pool, take the first k; the same demos serve every query. Seeds 13, 21, 42, 87, 100.
- :func:`sample_iid`: label-relationships paper. Per repeat r, ``np.random.default_rng(200 + r)``
  first draws the test indices (without replacement), then k demo indices i.i.d. **with**
  replacement from the pool; all label settings of a repeat share them.
- :func:`sample_choice`: where-ICL paper. pandas ``DataFrame.sample(n=k, random_state=seed)``,
  i.e. ``np.random.RandomState(seed).choice(len(pool), k, replace=False)`` in draw order; the
  same k examples for every test item.
- :func:`sample_balanced`: class-balanced k (an option of ours, not a paper's).
- :func:`cap_test`: at most n test examples, the first n or a seeded subset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence, TypeVar

import numpy as np

from iclab.data.splits import METAICL_SEEDS  # (100, 13, 21, 42, 87), re-exported
from iclab.data.types import Example
from iclab.errors import PromptError


T = TypeVar("T")

IID_SEED_OFFSET = 200
"""Label-relationships paper: repeat r uses ``np.random.default_rng(200 + r)``."""


def _check_k(k: int, pool: Sequence[Example], what: str) -> None:
    if k < 0:
        raise PromptError(f"k must be >= 0, got {k}")
    if k > len(pool):
        raise PromptError(
            f"cannot sample k={k} {what} without replacement from a pool of {len(pool)} examples"
        )


def sample_fixed(pool: Sequence[Example], k: int, seed: int) -> tuple[Example, ...]:
    """MetaICL sampling: shuffle ``pool`` with ``np.random.seed(seed)`` and take the first k.

    Args:
        pool: the training examples, in file order.
        k: number of demonstrations.
        seed: the numpy seed (13, 21, 42, 87 or 100 in the paper).

    Raises:
        PromptError: k is larger than the pool.
    """
    _check_k(k, pool, "demonstrations")
    order = list(range(len(pool)))
    np.random.RandomState(seed).shuffle(order)  # same stream as np.random.seed + shuffle
    return tuple(pool[i] for i in order[:k])


def sample_choice(pool: Sequence[Example], k: int, seed: int) -> tuple[Example, ...]:
    """Where-ICL sampling: ``RandomState(seed).choice(len(pool), k, replace=False)``, in draw
    order (what pandas ``DataFrame.sample(n=k, random_state=seed)`` returns).

    Raises:
        PromptError: k is larger than the pool.
    """
    _check_k(k, pool, "demonstrations")
    idx = np.random.RandomState(seed).choice(len(pool), k, replace=False)
    return tuple(pool[int(i)] for i in idx)


@dataclass(frozen=True)
class IidSample:
    """One repeat of i.i.d. sampling: demo and test indices, in draw order."""

    repeat: int
    demo_indices: tuple[int, ...]
    test_indices: tuple[int, ...]
    rng_state: dict = field(default_factory=dict, compare=False, repr=False)
    """The generator's state after these draws (random labels continue from it)."""

    def label_draws(self, pool_size: int, n_queries: int) -> list[tuple[int, ...]]:
        """Pool indices of the label-relationships paper's random labels, per query.

        Its code re-draws the demos' random labels for every query, continuing the repeat's
        generator: for each query in order, for each demo, ``rng.choice(range(pool_size), 1)``.
        """
        rng = np.random.default_rng()
        rng.bit_generator.state = self.rng_state
        k = len(self.demo_indices)
        return [tuple(int(rng.choice(range(pool_size), 1)[0]) for _ in range(k))
                for _ in range(n_queries)]


def sample_iid(
    pool_size: int, k: int, repeat: int, *, test_size: int = 0, n_test: int = 0
) -> IidSample:
    """Label-relationships sampling for repeat ``repeat``.

    ``rng = np.random.default_rng(200 + repeat)``; if ``n_test`` > 0, first
    ``rng.choice(test_size, n_test, replace=False)`` (test indices), then
    ``rng.choice(pool_size, k)`` with replacement (demo indices).

    Args:
        pool_size: number of training examples to draw demos from.
        k: number of demonstrations (may exceed the pool: drawn with replacement).
        repeat: repeat number r.
        test_size: number of test examples to draw from.
        n_test: number of test examples to draw (0: none drawn).
    """
    if k < 0 or (pool_size <= 0 and k > 0):
        raise PromptError(f"cannot sample k={k} demonstrations from a pool of {pool_size}")
    if n_test > test_size:
        raise PromptError(f"cannot draw {n_test} test examples without replacement from {test_size}")
    rng = np.random.default_rng(IID_SEED_OFFSET + repeat)
    test_idx: tuple[int, ...] = ()
    if n_test > 0:
        test_idx = tuple(int(i) for i in rng.choice(range(test_size), n_test, replace=False))
    demo_idx = tuple(int(i) for i in rng.choice(range(pool_size), k)) if k else ()
    return IidSample(repeat, demo_idx, test_idx, rng.bit_generator.state)


def sample_balanced(
    pool: Sequence[Example], k: int, seed: int, labels: Sequence[str]
) -> tuple[Example, ...]:
    """Class-balanced sampling: ``k // K`` per class, the remainder to the first classes.

    Within each class, examples are taken in the order of a ``np.random.RandomState(seed)``
    shuffle of the pool; the chosen demos are then shuffled once more with the same state so
    classes are interleaved.

    Raises:
        PromptError: a class has too few examples, or k is larger than the pool.
    """
    _check_k(k, pool, "class-balanced demonstrations")
    if not labels:
        raise PromptError("class-balanced sampling needs the task's labels")
    rs = np.random.RandomState(seed)
    order = list(range(len(pool)))
    rs.shuffle(order)
    chosen: list[int] = []
    for c, label in enumerate(labels):
        want = k // len(labels) + (1 if c < k % len(labels) else 0)
        have = [i for i in order if pool[i].label == label]
        if len(have) < want:
            raise PromptError(
                f"class-balanced k={k} needs {want} examples of label {label!r}; the pool has "
                f"{len(have)}"
            )
        chosen.extend(have[:want])
    rs.shuffle(chosen)
    return tuple(pool[i] for i in chosen)


def cap_test(examples: Sequence[T], limit: int | None, seed: int | None = None) -> tuple[T, ...]:
    """Return at most ``limit`` test examples.

    ``seed=None`` keeps the first ``limit`` in file order (the task-recognition paper's cap of
    1000); otherwise a ``np.random.default_rng(seed)`` subset without replacement, in file order.
    """
    if limit is None or limit >= len(examples):
        return tuple(examples)
    if limit < 0:
        raise PromptError(f"test limit must be >= 0, got {limit}")
    if seed is None:
        return tuple(examples[:limit])
    idx = sorted(int(i) for i in np.random.default_rng(seed).choice(len(examples), limit, replace=False))
    return tuple(examples[i] for i in idx)
