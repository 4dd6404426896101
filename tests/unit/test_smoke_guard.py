"""The test setup itself: fake credentials, and no request may leave the machine."""

import os

import boto3
import pytest


def test_fake_credentials_are_installed():
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull


def test_a_request_to_real_aws_fails_loudly():
    client = boto3.client("sts", region_name="us-east-1")
    with pytest.raises(RuntimeError, match="real AWS"):
        client.get_caller_identity()


def test_the_suite_refuses_to_start_with_real_credentials():
    """A shell holding a real profile or key makes pytest stop before any test runs, naming the variables."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "AWS_PROFILE": "production", "AWS_ACCESS_KEY_ID": "AKIAREALLOOKINGKEY000"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/test_naming.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "real AWS settings in the test environment: AWS_ACCESS_KEY_ID, AWS_PROFILE" in output
