"""Fixtures for the masking tests."""

from __future__ import annotations

import pytest

from iclab.models.tiny import TINY_ARCHS


@pytest.fixture(params=TINY_ARCHS)
def arch(request) -> str:
    return request.param
