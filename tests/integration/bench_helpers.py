"""Helpers for the tests that run against a seeded moto server behind the bench's counting proxy.

moto's backends are process-wide: keep one seeded account alive at a time per process (each module holds
its own in a module-scoped fixture; xdist's --dist loadfile keeps a module on one worker).
"""

from __future__ import annotations


def use_endpoint(monkeypatch, url: str) -> None:
    """Point every boto3 client of this process at ``url`` (drops the clients made before)."""
    from notebook_guard.aws import clients

    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    clients.reset()
