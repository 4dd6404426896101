"""The real ASL file executed by moto, step Lambdas in-process, notebooks behaving as AWS documents."""

from __future__ import annotations

import pytest

from notebook_guard_local.workflow_harness import ZERO_WAITS, Harness, harness_context

__all__ = ["ZERO_WAITS", "Harness", "harness", "shared_harness"]


@pytest.fixture
def harness(shared_harness):
    """The module's account, emptied of notebooks, alerts, audit records and snapshots before each test."""
    shared_harness.reset()
    return shared_harness


@pytest.fixture(scope="module")
def shared_harness():
    """One account for a whole module (tests must use notebook names of their own)."""
    with harness_context() as harness:
        yield harness
