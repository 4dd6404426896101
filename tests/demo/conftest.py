"""A simulated account (embedded moto server, the stack's resources, the real workflow) per test."""

from __future__ import annotations

import json

import pytest

from notebook_guard_local.demo.engine import Actor, Player
from notebook_guard_local.demo.simulation import Simulation, simulated_account
from tests.conftest import ROOT

FULL_FIELDS = ROOT / "examples" / "full-fields.json"


@pytest.fixture(autouse=True)
def operator_roles(monkeypatch):
    """``plan`` and ``restore`` run as the CLI operator's roles, with the policies the README gives."""
    from notebook_guard.permissions import principals
    from notebook_guard_local import planning, restoring
    from notebook_guard_local.roles import cli_names, cli_role_name, running_as

    def names(_reference, options, *rest):
        bucket = getattr(options, "snapshot_bucket", None) or getattr(options, "bucket", None)
        if not bucket and isinstance(_reference, str) and _reference.startswith("s3://"):
            bucket = _reference[5:].split("/", 1)[0]
        return cli_names(options.region or "us-east-1", bucket=bucket)

    plan, restore = principals.CLI_PLAN, principals.CLI_RESTORE
    monkeypatch.setattr(
        planning, "plan_remediation", running_as(plan, cli_role_name(plan.name), names)(planning.plan_remediation)
    )
    monkeypatch.setattr(
        restoring,
        "restore_from_snapshot",
        running_as(restore, cli_role_name(restore.name), names)(restoring.restore_from_snapshot),
    )


@pytest.fixture
def simulation():
    with simulated_account() as account:
        yield account


@pytest.fixture
def nat_simulation():
    """Notebooks are recreated in a private subnet routed through a NAT gateway (what full-fields.json needs: its Git
    repositories are outside AWS)."""
    with simulated_account(network="nat") as account:
        yield account


def full_fields_request() -> dict:
    (request,) = json.loads(FULL_FIELDS.read_text())
    return request


def remediated(simulation: Simulation, request: dict) -> tuple[Player, dict]:
    """Seed ``request`` as an existing notebook and let a sweep (action remediate) recreate it."""
    player = Player(simulation)
    player.seed_existing(Actor(request, arrival="existing"))
    simulation.set_actions("remediate", "remediate")
    player.sweep()
    (record,) = player.conclude()
    assert record.outcome == "remediated", record.actions
    return player, record
