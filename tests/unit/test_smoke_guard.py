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
