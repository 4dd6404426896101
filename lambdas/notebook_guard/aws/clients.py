"""boto3 clients with adaptive retries, created once per process and service."""

from __future__ import annotations

import threading
from collections.abc import Callable

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


class _Overrides:
    """What the command line may choose (``configure``); the Lambda functions never set any of it."""

    profile: str | None = None
    endpoint_url: str | None = None
    config: Config | None = None
    on_session: Callable[[boto3.session.Session], None] | None = None


def configure(
    *,
    profile: str | None = None,
    endpoint_url: str | None = None,
    config: Config | None = None,
    on_session: Callable[[boto3.session.Session], None] | None = None,
) -> None:
    """Clients made from now on use this profile, endpoint and client configuration; ``on_session`` runs once
    on the new session (to register event hooks). ``reset()`` returns to the defaults."""
    with _lock:
        reset()
        _Overrides.profile, _Overrides.endpoint_url = profile, endpoint_url
        _Overrides.config, _Overrides.on_session = config, on_session


def configured_endpoint() -> str | None:
    """The endpoint ``configure`` chose (the environment's AWS_ENDPOINT_URL is botocore's business)."""
    return _Overrides.endpoint_url


def session() -> boto3.session.Session:
    global _session
    with _lock:
        if _session is None:
            _session = boto3.session.Session(profile_name=_Overrides.profile)
            if _Overrides.on_session is not None:
                _Overrides.on_session(_session)
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
            existing = _clients[key] = session().client(
                service,
                region_name=region,
                config=_Overrides.config or SERVICE_CONFIGS.get(service, RETRY_CONFIG),
                endpoint_url=_Overrides.endpoint_url,
            )
        return existing


def reset() -> None:
    """Forget every client and any ``configure`` choice (tests, and the CLI before and after a command)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
        _Overrides.profile = _Overrides.endpoint_url = _Overrides.config = _Overrides.on_session = None
