"""Pieces of the CLI and the bench that need no AWS: progress bar, error lines, proxy, asset."""

from __future__ import annotations

import io
from pathlib import Path

from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from notebook_guard_local.bench import footprint
from notebook_guard_local.bench.proxy import operation_of
from notebook_guard_local.bench.seed import minimum_calls, plan_account
from notebook_guard_local.commands.common import describe_aws_error
from notebook_guard_local.progress import Progress

ROOT = Path(__file__).resolve().parents[2]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_and_erases_itself():
    stream = FakeTerminal()
    with Progress(total=4, stream=stream, delay=0) as progress:
        for _ in range(4):
            progress.advance()
        assert stream.getvalue().startswith("\r[")
        assert progress.render().endswith("4/4 notebooks")
    assert stream.getvalue().endswith("\r")


def test_progress_is_silent_when_not_a_terminal():
    stream = io.StringIO()
    with Progress(total=3, stream=stream, delay=0) as progress:
        progress.advance(3)
    assert stream.getvalue() == ""


def test_aws_errors_become_one_line():
    assert "no AWS credentials" in describe_aws_error(NoCredentialsError())
    assert describe_aws_error(EndpointConnectionError(endpoint_url="http://127.0.0.1:9")).startswith(
        "cannot reach the AWS endpoint"
    )
    error = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "ListTags")
    assert describe_aws_error(error) == "ListTags failed: ThrottlingException: Rate exceeded"


def test_proxy_names_operations_of_json_and_query_protocols():
    auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{}/aws4_request, SignedHeaders=host"
    json_headers = {"X-Amz-Target": "SageMaker.DescribeNotebookInstance", "Authorization": auth.format("sagemaker")}
    assert operation_of("POST", "/", json_headers, b"{}") == "sagemaker:DescribeNotebookInstance"
    query_headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth.format("sts")}
    assert operation_of("POST", "/", query_headers, b"Action=GetCallerIdentity&Version=2011-06-15") == (
        "sts:GetCallerIdentity"
    )


def test_minimum_calls_of_the_seeded_account():
    notebooks = plan_account(300)
    assert sum(not n.in_vpc for n in notebooks) == 200  # two thirds out of VPC
    assert minimum_calls(notebooks) == {
        "ListNotebookInstances": 3,
        "DescribeNotebookInstance": 300,
        "ListTags": sum(n.in_violation for n in notebooks),
    }
    assert minimum_calls([])["ListNotebookInstances"] == 1


def test_asset_holds_only_the_runtime_package():
    asset = footprint.asset_size(ROOT / "lambdas")
    assert 0 < asset.zip_bytes < asset.raw_bytes < 1024 * 1024
    modules = footprint.handler_modules(ROOT / "lambdas")
    assert "notebook_guard.handlers.sweep" in modules and "notebook_guard.handlers.intake" in modules
    assert "notebook_guard.handlers.observability" not in modules
