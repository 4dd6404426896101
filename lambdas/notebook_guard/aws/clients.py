"""boto3 clients with adaptive retries, created once per process and service."""

from __future__ import annotations

import threading

import boto3
from botocore.config import Config

# Adaptive retry mode adds client-side rate limiting on throttling, which is what a sweep of thousands of
# notebooks against SageMaker's Describe limits needs. Ten attempts ride out a throttling burst.
RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    max_pool_connections=32,
    connect_timeout=5,
    read_timeout=30,
)

# Security Hub is best effort inside the workflow's steps (a finding update must never fail or outlast a step):
# fewer attempts and short timeouts, so a throttled or unreachable Security Hub gives up well within a step's timeout.
SERVICE_CONFIGS = {
    "securityhub": Config(
        retries={"mode": "adaptive", "max_attempts": 3}, max_pool_connections=8, connect_timeout=3, read_timeout=5
    ),
}

# Clients are thread-safe once made; sessions are not, so making a client (and the session) is serialised.
_lock = threading.RLock()
_clients: dict[tuple[str, str | None], object] = {}
_session: boto3.session.Session | None = None


def session() -> boto3.session.Session:
    global _session
    with _lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session


def client(service: str, region: str | None = None):
    """A shared client for ``service`` (and ``region``: None means the environment's)."""
    key = (service, region)
    existing = _clients.get(key)
    if existing is not None:
        return existing
    with _lock:
        existing = _clients.get(key)
        if existing is None:  # not made by another thread while this one waited for the lock
            config = SERVICE_CONFIGS.get(service, RETRY_CONFIG)
            existing = _clients[key] = session().client(service, region_name=region, config=config)
        return existing


def reset() -> None:
    """Forget every client (tests, and the CLI after changing region or endpoint)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
