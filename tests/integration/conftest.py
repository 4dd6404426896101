"""Shared fixtures: a moto server on 127.0.0.1, seeded with a synthetic account, behind the counting proxy."""

from __future__ import annotations

import pytest
from notebook_guard_local.bench.seed import plan_account
from notebook_guard_local.bench.server import SeededAccount


@pytest.fixture(scope="module")
def account_300():
    """300 notebooks of mixed compliance (see ``bench.seed``), shared by a module's tests (read-only).

    moto's backends are process-wide: one seeded account at a time per process (module-scoped fixtures of
    different modules never overlap; xdist's --dist loadfile keeps a module on one worker).
    """
    with SeededAccount(plan_account(300)) as account:
        yield account


@pytest.fixture
def endpoint(monkeypatch):
    """Point every boto3 client of this process at ``url`` (the conftest's fresh-client fixture drops old ones)."""

    def point_at(url: str) -> None:
        from notebook_guard.aws import clients

        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        clients.reset()

    return point_at
