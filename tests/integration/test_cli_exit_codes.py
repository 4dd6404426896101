"""Exit codes 0 and 2 of `notebook-guard`, the help texts and the commands not written yet."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

from notebook_guard_local.cli import main

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/notebook"


def create(name: str, subnet: str | None = None, tags: dict | None = None, root: str = "Disabled") -> None:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    params = {
        "NotebookInstanceName": name,
        "InstanceType": "ml.t3.medium",
        "RoleArn": ROLE,
        "RootAccess": root,
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    if subnet:
        params.update(SubnetId=subnet, SecurityGroupIds=["sg-0123"], DirectInternetAccess="Disabled")
    sagemaker.create_notebook_instance(**params)


@mock_aws
def test_exit_0_when_nothing_is_in_violation(capsys):
    create("compliant", subnet="subnet-0123")
    create(
        "vendor-box",
        tags={"notebook-guard:exempt": "vendor appliance", "notebook-guard:exempt-until": "2999-01-01"},
    )

    code = main(["audit", "--format", "json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["summary"] == {
        "notebooks": 2, "violating": 0, "exempt": 1, "compliant": 1, "errors": 0, "gone": 0,
    }


@mock_aws
def test_exit_0_for_an_empty_region(capsys):
    assert main(["audit"]) == 0
    summary = f"{REGION}: 0 notebooks, 0 in violation, 0 exempt, 0 compliant, 0 not evaluated"
    assert capsys.readouterr().out.strip() == summary


@mock_aws
def test_exit_3_for_a_single_violator(capsys):
    create("outside")
    assert main(["--region", REGION, "audit"]) == 3
    assert "SageMaker.1,SageMaker.2" in capsys.readouterr().out


def test_exit_2_without_credentials(monkeypatch, capsys):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    code = main(["audit"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[-1].startswith("notebook-guard: error: no AWS credentials") and "Traceback" not in err


def test_exit_2_without_a_region(monkeypatch, capsys):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    assert main(["audit"]) == 2
    assert "no AWS region" in capsys.readouterr().err


@pytest.fixture
def access_denied_endpoint():
    """A loopback endpoint that refuses every call the way AWS does (not retried by botocore)."""

    class Deny(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"__type": "AccessDeniedException", "message": "not authorized to list"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Deny)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_exit_2_on_an_aws_error(access_denied_endpoint, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", access_denied_endpoint)

    code = main(["audit", "--format", "json"])

    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.strip().splitlines()[-1] == (
        "notebook-guard: error: ListNotebookInstances failed: AccessDeniedException: not authorized to list"
    )


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["audit", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["audit", "--output", "xml"], "argument --output: invalid choice: 'xml'"),
        (["nonsense"], "invalid choice: 'nonsense'"),
        (["restore", "x", "--output", "sarif"], "invalid choice: 'sarif'"),
        (["--output", "sarif", "restore", "x"], "restore has no sarif output"),
        (["audit", "-q", "-v"], "not allowed with argument"),
        (["-q", "audit", "-v"], "not allowed with argument"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("notebook-guard: error: ") and words in err, err
    assert len(err.strip().splitlines()) == 1 and "--help" in err


def test_plan_and_restore_need_their_argument(capsys):
    assert main(["plan"]) == 2
    assert main(["restore"]) == 2
    assert "required" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["audit"], ["plan"], ["restore"]])
def test_help_explains_the_aws_environment_with_an_example(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "AWS_ENDPOINT_URL" in out and "AWS_PROFILE" in out and "--region" in out
    assert "Examples:" in out


def test_global_options_before_or_after_the_command(monkeypatch):
    from notebook_guard_local.cli import SUBCOMMANDS, build_parser
    from notebook_guard_local.commands.common import finish_arguments

    outputs = {m.NAME: m.OUTPUTS for m in SUBCOMMANDS}

    def parse(*argv):
        return finish_arguments(build_parser().parse_args(argv), outputs)

    assert parse("--region", "eu-west-1", "audit").regions == ["eu-west-1"]
    assert parse("audit", "--region", "eu-west-1").regions == ["eu-west-1"]
    assert parse("--region", "eu-west-1", "audit", "--region", "us-east-1").regions == ["eu-west-1", "us-east-1"]
    assert parse("audit").regions == []
    assert parse("--profile", "a", "audit").profile == "a"
    assert parse("audit", "--profile", "b").profile == "b"
    assert parse("--output", "csv", "audit").output == "csv"
    assert parse("audit", "--format", "json").output == "json"
    assert parse("plan", "x", "--json").output == "json"
    assert parse("restore", "x", "--json").output == "json"
    assert parse("audit").output == "table"
    assert parse("-q", "audit").quiet and parse("audit", "-v").verbose
    assert parse("--endpoint-url", "http://127.0.0.1:9", "plan", "x").endpoint_url == "http://127.0.0.1:9"


@mock_aws
def test_exit_2_when_a_notebook_cannot_be_evaluated(monkeypatch, capsys):
    from botocore.exceptions import ClientError

    from notebook_guard.aws import sagemaker

    create("readable", subnet="subnet-0123")
    create("locked", subnet="subnet-0123")
    describe = sagemaker.describe_notebook

    def deny_locked(name, region=None):
        if name == "locked":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "Describe")
        return describe(name, region)

    monkeypatch.setattr(sagemaker, "describe_notebook", deny_locked)

    code = main(["audit", "--format", "json"])

    captured = capsys.readouterr()
    rows = {row["name"]: row for row in json.loads(captured.out)["notebooks"]}
    assert code == 2
    assert rows["locked"]["error"] == "AccessDeniedException: denied" and rows["readable"]["error"] is None
    assert "1 notebook could not be evaluated" in captured.err
