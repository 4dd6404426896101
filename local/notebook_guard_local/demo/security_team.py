"""The story's security engineer: approves what waits for a person, and reads a finding's history in Security Hub."""

from __future__ import annotations

import io
import time
from argparse import Namespace

from notebook_guard.domain.errors import NoPendingApproval
from notebook_guard.permissions import principals
from notebook_guard.services import approvals
from notebook_guard_local.approvals import run_decision
from notebook_guard_local.roles import acting_as_principal, cli_names, cli_role_name

REASON = "Checked with the notebook's owner: recreate it in the private subnet"


def approve_waiting(sim, seen: set[str], timeout: float = 60.0) -> list[str]:
    """Approve every remediation (not in ``seen``) that waits for a person, with ``notebook-guard approve`` as the
    engineer's own operator role; returns what the command printed."""
    sfn = sim.client("stepfunctions")
    table = sim.world.coordination_table
    decided: set[str] = set()
    said: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = sfn.list_executions(stateMachineArn=sim.runner.state_machine_arn, statusFilter="RUNNING")
        running = {e["executionArn"] for e in listed["executions"]} - seen
        if running <= decided:
            break
        for arn in sorted(running - decided):
            try:
                approvals.pending(table, arn, sim.region)
            except NoPendingApproval:
                continue  # not waiting for a person (yet)
            said += approve(sim, arn, table)
            decided.add(arn)
        time.sleep(0.02)
    return said


def approve(sim, execution_arn: str, table: str) -> list[str]:
    out = io.StringIO()
    args = Namespace(execution=execution_arn, reason=REASON, coordination_table=table, json=False, region=sim.region)
    machine = sim.runner.state_machine_arn
    names = cli_names(sim.region, coordination_table=table, state_machine_arn=machine)
    with acting_as_principal(principals.CLI_APPROVE, cli_role_name("approve"), names):
        run_decision(args, approved=True, stream=out)
    printed = out.getvalue().replace(execution_arn, execution_arn.rsplit(":", 1)[-1]).splitlines()
    return ["$ notebook-guard approve ... (the security engineer)", *printed]


def finding_line(sim, finding_id: str) -> str:
    """The finding's workflow statuses, from the events Security Hub sent for it."""
    statuses = [
        e["detail"]["findings"][0]["Workflow"]["Status"]
        for e in sim.hub.events
        if e["detail"]["findings"][0]["Id"] == finding_id
    ]
    path = " -> ".join(s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1])
    control = sim.hub.finding(finding_id)["Compliance"]["SecurityControlId"]
    return f"Security Hub finding {control}: {path}"
