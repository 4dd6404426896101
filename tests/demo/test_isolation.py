"""The demo never reaches real AWS, whatever the user's environment says."""

from __future__ import annotations

import os

from notebook_guard.aws import clients
from notebook_guard_local.demo.simulation import DUMMY_KEY, isolated_environment


def test_the_simulated_account_overrides_endpoints_profiles_and_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://example.invalid")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", "https://sagemaker.example.invalid")
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-looking-token")
    with isolated_environment("http://127.0.0.1:1", "eu-west-1"):
        sagemaker = clients.client("sagemaker", "eu-west-1")
        assert sagemaker.meta.endpoint_url == "http://127.0.0.1:1"
        credentials = clients.session().get_credentials()
        assert credentials.access_key == DUMMY_KEY and credentials.token is None
        assert "AWS_PROFILE" not in os.environ and "AWS_ENDPOINT_URL_SAGEMAKER" not in os.environ
    assert os.environ["AWS_ENDPOINT_URL"] == "https://example.invalid"  # restored afterwards
    assert os.environ["AWS_PROFILE"] == "production"
