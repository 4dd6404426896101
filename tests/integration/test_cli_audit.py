"""`notebook-guard audit` against a moto server (through the counting proxy): what it lists, how it exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from notebook_guard_local.bench.seed import minimum_calls, plan_account
from notebook_guard_local.bench.server import SeededAccount
from notebook_guard_local.cli import main
from tests.integration.bench_helpers import use_endpoint

REGION = "us-east-1"


@pytest.fixture(scope="module")
def account_300():
    """300 notebooks of mixed compliance (see ``bench.seed``), shared by this module's tests (read-only)."""
    with SeededAccount(plan_account(300)) as account:
        yield account


def run_audit(capsys, *options: str) -> tuple[int, str, str]:
    code = main(["audit", "--region", REGION, *options])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_lists_every_notebook_and_exactly_the_violators(account_300, monkeypatch, capsys):
    use_endpoint(monkeypatch, account_300.url)
    code, out, err = run_audit(capsys, "--format", "json")

    assert code == 3, err
    report = json.loads(out)
    rows = {row["name"]: row for row in report["notebooks"]}
    seeded = {n.name: n for n in account_300.notebooks}
    assert set(rows) == set(seeded)
    violating = {name for name, row in rows.items() if row["violations"] and not row["exempt"]}
    assert violating == {n.name for n in account_300.notebooks if n.actionable}
    assert {name for name, row in rows.items() if row["exempt"]} == {n.name for n in account_300.notebooks if n.exempt}
    assert report["summary"]["violating"] == len(violating)
    assert report["summary"]["notebooks"] == 300 and report["summary"]["errors"] == 0

    out_of_vpc = next(n for n in account_300.notebooks if not n.in_vpc and not n.exempt)
    row = rows[out_of_vpc.name]
    assert row["subnet_id"] is None and row["violations"] == ["SageMaker.1", "SageMaker.2"]
    assert row["status"]
    expired = next(n for n in account_300.notebooks if n.expired_exemption)
    assert not rows[expired.name]["exempt"] and "expired" in rows[expired.name]["exemption_problem"]
    root = next(n for n in account_300.notebooks if n.root_access)
    assert rows[root.name]["violations"] == ["SageMaker.3"] and rows[root.name]["subnet_id"]


def test_audit_makes_the_minimum_calls(account_300, monkeypatch, capsys):
    use_endpoint(monkeypatch, account_300.url)
    account_300.proxy.reset()
    code, _, _ = run_audit(capsys, "--format", "json")

    assert code == 3
    expected = {f"sagemaker:{op}": n for op, n in minimum_calls(account_300.notebooks).items()}
    assert dict(account_300.proxy.counts()) == expected


def test_as_a_subprocess(account_300, tmp_path):
    env = {**os.environ, "AWS_ENDPOINT_URL": account_300.url}
    result = subprocess.run(
        [sys.executable, "-m", "notebook_guard_local.cli", "audit", "--format", "json", "--violations-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["regions"] == [REGION]  # from AWS_REGION, no --region
    listed = {row["name"] for row in report["notebooks"] if not row["exempt"]}
    assert listed == {n.name for n in account_300.notebooks if n.actionable}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--approved-subnets", "vpc-123"], "--approved-subnets"),
        (["--concurrency", "0"], "--concurrency"),
    ],
)
def test_invalid_options_exit_2_with_one_line(options, message, capsys):
    code, out, err = run_audit(capsys, *options)

    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
