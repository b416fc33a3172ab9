"""Shared fixtures of the synthetic-data tests: a few hundred examples per family and split."""

from __future__ import annotations

import pytest

from iclab.data.synthetic import generate
from iclab.data.types import Example

N_CHECK = 300


@pytest.fixture(scope="session")
def examples() -> dict[tuple[str, str], list[Example]]:
    """A lazily filled cache: ``examples[(task, split)]`` -> N_CHECK examples (seed 11)."""

    class Cache(dict):
        def __missing__(self, key: tuple[str, str]) -> list[Example]:
            self[key] = generate(key[0], N_CHECK, seed=11, split=key[1])
            return self[key]

    return Cache()
