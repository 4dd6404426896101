"""`notebook-guard audit`: the table, and the policy options mapped onto Settings (a small account, so fast)."""

from __future__ import annotations

import json

import pytest

from notebook_guard_local.bench.seed import plan_account
from notebook_guard_local.bench.server import SeededAccount
from notebook_guard_local.cli import main
from tests.integration.bench_helpers import use_endpoint

REGION = "us-east-1"


@pytest.fixture(scope="module")
def small_account():
    with SeededAccount(plan_account(45)) as account:
        yield account


def run_audit(capsys, *options: str) -> tuple[int, str, str]:
    code = main(["audit", "--region", REGION, *options])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_table(small_account, monkeypatch, capsys):
    use_endpoint(monkeypatch, small_account.url)
    code, out, _ = run_audit(capsys)

    assert code == 3
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "SUBNET", "VIOLATIONS", "EXEMPT", "NOTE"]
    exempt = next(n for n in small_account.notebooks if n.exempt)
    exempt_line = next(line for line in lines if line.startswith(exempt.name + " "))
    assert "SageMaker.1,SageMaker.2" in exempt_line and " yes " in exempt_line
    actionable = sum(n.actionable for n in small_account.notebooks)
    exempt_count = sum(n.exempt for n in small_account.notebooks)
    total = len(small_account.notebooks)
    assert lines[-1].startswith(f"{REGION}: {total} notebooks, {actionable} in violation, {exempt_count} exempt")


def test_policy_options_map_onto_settings(small_account, monkeypatch, capsys):
    use_endpoint(monkeypatch, small_account.url)
    notebooks = small_account.notebooks
    out_of_vpc = sum(not n.in_vpc for n in notebooks)

    # Root access allowed: only the out-of-VPC, non-exempt notebooks remain.
    _, out, _ = run_audit(capsys, "--format", "json", "--root-access", "allowed")
    assert json.loads(out)["summary"]["violating"] == sum(not n.in_vpc and not n.exempt for n in notebooks)

    # The seeded subnet is not approved: every notebook violates; the exemptions still hold.
    _, out, _ = run_audit(capsys, "--format", "json", "--approved-subnets", "subnet-0aaaaaaaaaaaaaaaa")
    assert json.loads(out)["summary"]["violating"] == len(notebooks) - sum(n.exempt for n in notebooks)

    # Another exemption tag: the seeded exemptions no longer count.
    _, out, _ = run_audit(capsys, "--format", "json", "--exempt-tag", "security:exempt", "--root-access", "allowed")
    assert json.loads(out)["summary"]["violating"] == out_of_vpc
