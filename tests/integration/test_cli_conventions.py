"""The command line behaves like the AWS CLI and Prowler: --profile, --region (repeatable), --all-regions,
--endpoint-url, --output, -q/-v, --version, one-line errors with exit 2, fail fast on an unreachable endpoint."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

from notebook_guard_local import auditing
from notebook_guard_local.cli import main
from notebook_guard_local.version import package_version

ROLE = "arn:aws:iam::123456789012:role/notebook"


def create(name: str, region: str = "us-east-1", subnet: str | None = None, tags: dict | None = None) -> str:
    params = {
        "NotebookInstanceName": name,
        "InstanceType": "ml.t3.medium",
        "RoleArn": ROLE,
        "RootAccess": "Disabled",
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    if subnet:
        params.update(SubnetId=subnet, SecurityGroupIds=["sg-0123"], DirectInternetAccess="Disabled")
    return boto3.client("sagemaker", region_name=region).create_notebook_instance(**params)["NotebookInstanceArn"]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """Run from a directory without a cdk.json (the repository's would be read by default)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_version_prints_the_package_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.startswith(f"notebook-guard {package_version()} (Python 3.")
    assert package_version()[0].isdigit()  # installed metadata, not "unknown"


# --- errors: one line, exit 2, from every command -----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["audit"],
        ["plan", "churn-forecast"],
        ["restore", "s3://notebook-guard-snapshots/snapshots/churn-forecast/20261127T061253Z.json"],
        ["demo"],
    ],
    ids=["audit", "plan", "restore", "demo"],
)
def test_an_unknown_region_is_one_line_from_every_command(argv, capsys, elsewhere):
    code, out, err = run(capsys, "--region", "mars-north-9", *argv)
    assert code == 2 and out == ""
    assert err.startswith("notebook-guard: error: unknown region 'mars-north-9'") and err.count("\n") == 1
    assert ": not a region of any AWS partition botocore 1." in err
    _, _, err = run(capsys, *argv, "--region", "eu-wset-1")
    assert err.startswith("notebook-guard: error: unknown region 'eu-wset-1' (did you mean eu-west-1?): ")


@pytest.mark.parametrize(
    "argv",
    [["audit"], ["plan", "churn-forecast"], ["restore", "s3://bucket/snapshots/x.json"]],
    ids=["audit", "plan", "restore"],
)
def test_an_unreachable_endpoint_fails_fast_with_progress_meanwhile(argv, capsys, elsewhere):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    code, out, err = run(capsys, "--endpoint-url", endpoint, "--region", "us-east-1", *argv)
    elapsed = time.monotonic() - started

    assert code == 2 and out == ""
    assert elapsed <= 10, f"{elapsed:.1f} s"
    lines = err.strip().splitlines()
    assert "retrying (attempt 2 of 2)" in lines[0] and "Connection refused" in lines[0]
    assert lines[-1] == (
        f"notebook-guard: error: cannot reach the AWS endpoint {endpoint} (connection failed after 2 attempts)"
    )


def test_an_invalid_endpoint_url_and_a_missing_profile_are_one_line(capsys, elsewhere):
    code, _, err = run(capsys, "audit", "--endpoint-url", "127.0.0.1:5000")
    assert code == 2 and err.strip() == (
        "notebook-guard: error: invalid endpoint URL '127.0.0.1:5000': expected http(s)://host[:port]"
    )
    code, _, err = run(capsys, "--profile", "nobody", "audit")
    assert code == 2 and err.startswith("notebook-guard: error: The config profile (nobody) could not be found")
    assert len(err.strip().splitlines()) == 1


class _Answer(BaseHTTPRequestHandler):
    delay = 0.0
    status = 500
    body = b"<html><body><h1>500 Internal Server Error</h1><p>mars-north-9</p></body></html>"
    content_type = "text/html"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay)
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def answering_server():
    servers = []

    def start(**attributes) -> str:
        handler = type("Handler", (_Answer,), attributes)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_html_error_page_is_one_line_not_the_page(answering_server, capsys, elsewhere):
    code, out, err = run(capsys, "audit", "--endpoint-url", answering_server(), "--region", "us-east-1")
    assert code == 2 and out == ""
    last = err.strip().splitlines()[-1]
    assert last == (
        "notebook-guard: error: ListNotebookInstances failed: the endpoint answered HTTP 500 with no AWS error "
        "(is the endpoint right?)"
    )
    assert "<html" not in err


def test_a_slow_endpoint_is_announced_and_verbose_shows_each_call(answering_server, capsys, elsewhere, monkeypatch):
    from notebook_guard_local import aws_access

    monkeypatch.setattr(aws_access, "SLOW_CALL_SECONDS", 0.2)
    body = json.dumps({"__type": "AccessDeniedException", "message": "no"}).encode()
    url = answering_server(delay=0.8, status=400, body=body, content_type="application/x-amz-json-1.1")
    code, _, err = run(capsys, "audit", "-v", "--endpoint-url", url, "--region", "us-east-1")
    assert code == 2
    host = url.removeprefix("http://")
    assert f"notebook-guard: waiting for {host} ..." in err
    assert f"notebook-guard: ListNotebookInstances {host}: HTTP 400 in 0." in err

    code, _, err = run(capsys, "-q", "audit", "--endpoint-url", url, "--region", "us-east-1")
    assert code == 2 and err.strip().splitlines() == [
        "notebook-guard: error: ListNotebookInstances failed: AccessDeniedException: no"
    ]


# --- regions ------------------------------------------------------------------------------------------------


@mock_aws
def test_repeated_regions_are_audited_concurrently_and_reported_together(capsys, elsewhere, monkeypatch):
    create("west", region="eu-west-1")
    create("east", region="us-east-1", subnet="subnet-0123")
    both_in_flight = threading.Barrier(2, timeout=10)
    scan = auditing.scan_region

    def meeting(settings, progress):
        both_in_flight.wait()  # breaks (and the test fails) unless both regions are scanned at the same time
        return scan(settings, progress)

    monkeypatch.setattr(auditing, "scan_region", meeting)
    code, out, _ = run(capsys, "audit", "--region", "eu-west-1", "--region", "us-east-1")

    assert code == 3
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["REGION", "NAME"]
    assert any(line.startswith("eu-west-1") and " west " in line for line in lines)
    assert lines[-3:] == [
        "eu-west-1: 1 notebook, 1 in violation, 0 exempt, 0 compliant, 0 not evaluated",
        "us-east-1: 1 notebook, 0 in violation, 0 exempt, 1 compliant, 0 not evaluated",
        "2 regions: 2 notebooks, 1 in violation, 0 exempt, 1 compliant, 0 not evaluated",
    ]


@mock_aws
def test_all_regions_are_the_enabled_regions_with_sagemaker(capsys, elsewhere):
    create("tokyo", region="ap-northeast-1")
    create("virginia", region="us-east-1")
    code, out, err = run(capsys, "audit", "--all-regions", "--output", "json")

    assert code == 3
    report = json.loads(out)
    assert {"ap-northeast-1", "us-east-1", "eu-west-1"} <= set(report["regions"])
    assert not [r for r in report["regions"] if r.startswith(("cn-", "us-gov-"))]  # other partitions
    assert {row["name"]: row["region"] for row in report["notebooks"]} == {
        "tokyo": "ap-northeast-1",
        "virginia": "us-east-1",
    }
    assert f"auditing {len(report['regions'])} enabled regions with SageMaker" in err
    code, _, err = run(capsys, "audit", "--all-regions", "--region", "us-east-1")
    assert code == 2 and "choose --region or --all-regions" in err


@mock_aws
def test_a_profile_gives_credentials_and_region(capsys, elsewhere, monkeypatch):
    config = elsewhere / "config"
    config.write_text(
        "[profile security]\nregion = eu-west-1\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    create("in-ireland", region="eu-west-1")

    code, out, _ = run(capsys, "--profile", "security", "audit", "--output", "json")
    assert code == 3
    assert json.loads(out)["regions"] == ["eu-west-1"]
    assert [row["name"] for row in json.loads(out)["notebooks"]] == ["in-ireland"]


# --- outputs ------------------------------------------------------------------------------------------------


@mock_aws
def test_json_csv_and_sarif_say_who_what_when_and_with_which_settings(capsys, elsewhere):
    arn = create("outside")
    create("vendor", tags={"notebook-guard:exempt": "vendor appliance"})
    create("inside", subnet="subnet-0123")

    code, out, _ = run(capsys, "audit", "--output", "json")
    assert code == 3
    report = json.loads(out)
    assert report["schema"] == "notebook-guard/audit" and report["account"] == "123456789012"
    assert report["regions"] == ["us-east-1"] and report["time"].endswith("Z")
    assert report["tool"] == {"name": "notebook-guard", "version": package_version()}
    assert report["settings"]["source"] == "defaults" and report["settings"]["root_access"] == "disabled"
    assert report["summary"]["notebooks"] == 3

    code, out, _ = run(capsys, "audit", "--output", "csv", "--violations-only")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0].startswith("account,region,name,status,subnet_id,violations")
    assert {r["name"]: r["violations"] for r in rows} == {
        "outside": "SageMaker.1;SageMaker.2",
        "vendor": "SageMaker.1;SageMaker.2",
    }
    assert {r["account"] for r in rows} == {"123456789012"}

    code, out, _ = run(capsys, "audit", "--output", "sarif")
    sarif = json.loads(out)
    run_ = sarif["runs"][0]
    results = run_["results"]
    assert [r["ruleId"] for r in results if arn in json.dumps(r["locations"])] == ["SageMaker.2", "SageMaker.1"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert {r["locations"][0]["logicalLocations"][0]["name"] for r in suppressed} == {"vendor"}
    assert suppressed[0]["suppressions"][0]["justification"] == "vendor appliance"
    assert run_["invocations"][0]["executionSuccessful"] is True


# --- the stack's settings ----------------------------------------------------------------------------------


def write_cdk_json(directory, **context) -> None:
    (directory / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": context}))


@mock_aws
def test_cdk_json_in_the_working_directory_is_the_policy(capsys, elsewhere):
    write_cdk_json(
        elsewhere,
        target_subnet_ids=["subnet-0aaaaaaaaaaaaaaaa"],
        target_security_group_ids=["sg-0aaaaaaaaaaaaaaaa"],
        approved_subnet_ids=["subnet-0aaaaaaaaaaaaaaaa"],
        exempt_tag="security:exempt",
        root_access="allowed",
        **{"@aws-cdk/core:target-partitions": ["aws"]},
    )
    create("approved", subnet="subnet-0aaaaaaaaaaaaaaaa")
    create("elsewhere", subnet="subnet-0bbbbbbbbbbbbbbbb")
    create("excused", tags={"security:exempt": "approved by SEC-9"})

    code, out, err = run(capsys, "audit", "--output", "json")
    assert code == 3
    rows = {row["name"]: row for row in json.loads(out)["notebooks"]}
    assert rows["approved"]["violations"] == []
    assert rows["elsewhere"]["checks"] == ["unapproved-subnet"]
    assert rows["excused"]["exempt"] is True
    settings = json.loads(out)["settings"]
    assert settings["source"] == "cdk.json" and settings["exempt_tag"] == "security:exempt"
    assert "policy from cdk.json: approved subnets subnet-0aaaaaaaaaaaaaaaa" in err

    # The command's options win over the file; --no-settings ignores it.
    code, out, _ = run(capsys, "audit", "--output", "json", "--approved-subnets", "subnet-0bbbbbbbbbbbbbbbb")
    rows = {row["name"]: row for row in json.loads(out)["notebooks"]}
    assert rows["approved"]["checks"] == ["unapproved-subnet"] and rows["elsewhere"]["violations"] == []
    code, out, _ = run(capsys, "audit", "--output", "json", "--no-settings")
    assert json.loads(out)["settings"]["source"] == "defaults"


def test_an_invalid_settings_file_is_refused_with_the_stacks_own_message(capsys, elsewhere):
    write_cdk_json(elsewhere, root_access="sometimes")
    code, out, err = run(capsys, "audit", "--settings", str(elsewhere / "cdk.json"))
    assert code == 2 and out == ""
    assert err.strip() == (
        f"notebook-guard: error: {elsewhere / 'cdk.json'}: invalid setting root_access=sometimes: "
        "expected disabled (root access is a violation) or allowed"
    )
    write_cdk_json(elsewhere, event_acton="notify")
    _, _, err = run(capsys, "audit", "--settings", str(elsewhere / "cdk.json"))
    assert "unknown setting event_acton (did you mean event_action?)" in err


@mock_aws
def test_a_foreign_cdk_json_is_ignored_with_a_note(capsys, elsewhere):
    (elsewhere / "cdk.json").write_text(json.dumps({"app": "npx ts-node app.ts", "context": {"stage": "dev"}}))
    code, _, err = run(capsys, "audit")
    assert code == 0
    assert "./cdk.json holds none of notebook-guard's settings: judging with the defaults" in err


@mock_aws
def test_the_stacks_own_subnets_are_approved_as_the_deployed_sweep_approves_them(capsys, elsewhere):
    """With approved_subnet_ids and a network the stack created, the stack's subnets (its TargetSubnetIds
    output) are approved too (infra/environment.py): read from the deployed stack with DescribeStacks."""
    write_cdk_json(elsewhere, approved_subnet_ids=["subnet-0aaaaaaaaaaaaaaaa"])
    create("in-the-stacks-subnet", subnet="subnet-0ccccccccccccccccc")
    code, _, err = run(capsys, "audit")
    assert code == 2 and "no stack NotebookGuard in us-east-1" in err

    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"TargetSubnetIds": {"Value": "subnet-0ccccccccccccccccc,subnet-0dddddddddddddddd"}},
    }
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="NotebookGuard", TemplateBody=json.dumps(template)
    )
    code, out, err = run(capsys, "audit", "--output", "json")
    assert code == 0, err
    settings = json.loads(out)["settings"]
    assert settings["stack_subnet_ids"] == {"us-east-1": ["subnet-0ccccccccccccccccc", "subnet-0dddddddddddddddd"]}
