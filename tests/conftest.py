"""Test-wide safety net: fake AWS credentials, no real endpoints, and a loud failure if real ones leak in.

Every test talks to moto (in-process, or its server on 127.0.0.1). The variables are set at import time,
before any boto3 client can read them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from notebook_guard_local.offline import FAKE_ACCESS_KEY, REAL_AWS_VARIABLES

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account



def real_aws_settings(environ) -> list[str]:
    """The variables that would point a test at a real account."""
    found = [v for v in REAL_AWS_VARIABLES if environ.get(v)]
    key = environ.get("AWS_ACCESS_KEY_ID")
    if key and key != FAKE_ACCESS_KEY:
        found.append("AWS_ACCESS_KEY_ID")
    return sorted(found)


def _install_fake_credentials() -> None:
    found = real_aws_settings(os.environ)
    if found:
        # Loud, not silent: a test run must never hold a real account's credentials. `make test` starts
        # pytest without them; a bare `pytest` in a shell that has them stops here.
        raise pytest.UsageError(
            "real AWS settings in the test environment: "
            + ", ".join(found)
            + ". Tests only talk to moto; run `make test`, or unset them (env -u AWS_PROFILE ... pytest)."
        )
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_ACCESS_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # No shared files: a developer's ~/.aws must never be read by a test.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "notebook-guard",
            "POWERTOOLS_METRICS_NAMESPACE": "NotebookGuard",
            "POWERTOOLS_DEV": "false",
        }
    )


_install_fake_credentials()


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    """Refuse any request that would leave the machine.

    moto's in-process mock answers in botocore's ``before-send`` hook, so a request only reaches
    ``Endpoint._send`` when no mock is active: then it must be addressed to a moto server on loopback.
    """
    from botocore.endpoint import Endpoint

    original = Endpoint._send

    def guarded(self, request):
        url = request.url
        if not url.startswith(("http://127.0.0.1", "http://localhost")):
            raise RuntimeError(f"test tried to reach real AWS: {url}")
        return original(self, request)

    monkeypatch.setattr(Endpoint, "_send", guarded)
    assert os.environ["AWS_ACCESS_KEY_ID"] == FAKE_ACCESS_KEY, "fake credentials were replaced during the run"
    yield


@pytest.fixture(autouse=True)
def _fresh_clients():
    """boto3 clients are cached per process; a test's moto context must get clients of its own."""
    from notebook_guard.aws import clients
    from notebook_guard.settings import get_settings

    clients.reset()
    get_settings.cache_clear()
    yield
    clients.reset()
    get_settings.cache_clear()


ROOT = Path(__file__).resolve().parents[1]
