"""Fixtures for the validation tests."""

from __future__ import annotations

import pytest

from lqp_research import load_instrument

from mini_data import MINI_INSTRUMENT


@pytest.fixture(scope="session")
def mini():
    return load_instrument(MINI_INSTRUMENT)
