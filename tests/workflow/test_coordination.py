"""One workflow per notebook, re-armable after failure (issue 10), on the real ASL file.

Triggers go through the real intake (events built as SageMaker sends them) or the sweep's hand-on, so the lease,
the attempt bound and the re-alert interval are the ones deployed. Each acceptance case of the issue is one test
named after it.
"""

from __future__ import annotations

from notebook_guard.aws import clients, dynamodb
from notebook_guard.domain.models import Trigger
from notebook_guard.services import detection
from notebook_guard.services.coordination import LEASE, notebook_key
from notebook_guard.settings import get_settings
from tests.workflow.test_scenarios import assert_remediated, kinds

DAY = 86400


def old_notebook(harness, name="analysis", status="InService", **extra) -> dict:
    """A notebook that existed long before notebook-guard (created 90 days ago)."""
    harness.create_notebook(name, status, **extra)
    harness.fake.backdate(harness.backend, name, 90 * DAY)
    return harness.describe(name, advance=False)


def hand_on(harness, name: str, trigger: Trigger):
    """What the intake or the sweep does with a violator, with the stack's settings."""
    get_settings.cache_clear()
    settings = get_settings()
    return detection.hand_on(detection.inspect(name, settings), trigger, settings, {"test": True})


def owner_starts(harness, name="analysis"):
    harness.sagemaker.start_notebook_instance(NotebookInstanceName=name)
    harness.fake.set_status(harness.backend, name, "InService")
    return harness.state_change_event(name, "InService")


def wait(harness, result):
    assert result["outcome"] == "workflow-started", result
    return harness.runner.wait(result["execution_arn"])


def released(harness, name="analysis") -> bool:
    lease = harness.lease(name)
    return lease is not None and lease["held"] is False


# 1. Trigger semantics -----------------------------------------------------------------------------------------


def test_restart_of_an_old_notebook_gets_the_sweeps_action(harness):
    before = old_notebook(harness, status="Stopped")
    result = harness.intake(owner_starts(harness))
    assert result["trigger"] == "restart" and result["action"] == "notify"
    execution = wait(harness, result)
    assert execution.status == "SUCCEEDED"
    assert kinds(harness) == ["violation"] and harness.alerts()[0]["trigger"] == "restart"
    assert harness.alerts()[0]["details"]["lease_note"] is None  # the restart's own action, nothing to explain
    for call in ("StopNotebookInstance", "DeleteNotebookInstance"):
        assert f"sagemaker:{call}" not in harness.faults.calls
    assert harness.describe("analysis", advance=False)["CreationTime"] == before["CreationTime"]
    assert released(harness)


def test_a_state_change_of_a_just_created_notebook_is_a_creation(harness):
    harness.create_notebook("analysis", "InService")
    result = harness.intake(harness.state_change_event("analysis", "InService"))
    assert result["trigger"] == "create" and result["action"] == "remediate"
    assert_remediated(harness, wait(harness, result), expected_kinds=["remediation-started", "remediated"])


def test_events_of_another_account_or_region_are_ignored(harness, capsys):
    harness.create_notebook("analysis", "InService")
    elsewhere = harness.state_change_event("analysis")
    elsewhere["region"] = "eu-west-1"
    foreign = harness.state_change_event("analysis")
    foreign["account"] = "210987654321"
    for event, reason in ((elsewhere, "region eu-west-1"), (foreign, "account 210987654321")):
        result = harness.intake(event)
        assert result["outcome"] == "ignored" and reason in result["reason"]
    assert harness.runner_executions() == [] and harness.lease() is None


# 2. One workflow per notebook ----------------------------------------------------------------------------------


def test_concurrent_notify_and_remediate_one_runs_the_other_is_duplicate(harness):
    harness.create_notebook("analysis", "InService")
    sweep = hand_on(harness, "analysis", Trigger.SWEEP)  # sweep_action: notify
    event = hand_on(harness, "analysis", Trigger.CREATE)  # event_action: remediate
    assert sweep.outcome is detection.Outcome.WORKFLOW_STARTED and sweep.details["action"] == "notify"
    assert event.outcome is detection.Outcome.DUPLICATE
    assert event.execution_arn == sweep.execution_arn  # the duplicate names the holder
    assert harness.runner.wait(sweep.execution_arn).status == "SUCCEEDED"
    assert kinds(harness) == ["violation"] and len(harness.runner_executions()) == 1
    assert "sagemaker:DeleteNotebookInstance" not in harness.faults.calls
    # Released at the end: the next trigger acts.
    assert released(harness)
    again = hand_on(harness, "analysis", Trigger.CREATE)
    assert again.outcome is detection.Outcome.WORKFLOW_STARTED
    assert harness.runner.wait(again.execution_arn).status == "SUCCEEDED"
    assert harness.faults.calls.count("sagemaker:DeleteNotebookInstance") == 1


def test_an_execution_started_while_another_holds_the_lease_records_a_duplicate(harness):
    harness.create_notebook("analysis", "Stopped")
    payload = {"notebook_name": "analysis", "trigger": "manual", "action": "remediate", "waits": {"first_seconds": 0}}
    second = {}

    def a_person_starts_another(_event):  # while the first holds the lease, about to snapshot
        second["execution"] = harness.runner.run(payload)

    harness.seam.before("Snapshot", a_person_starts_another)
    first = harness.runner.run(payload)
    assert first.status == "SUCCEEDED" and "Delete the notebook" in first.states_entered
    duplicate = second["execution"]
    assert duplicate.status == "SUCCEEDED"
    assert "Record that another execution holds the lease" in duplicate.states_entered
    assert "Snapshot the notebook" not in duplicate.states_entered
    assert harness.faults.calls.count("sagemaker:DeleteNotebookInstance") == 1
    assert "duplicate" in [r["outcome"] for r in harness.audit()]
    assert harness.lease()["holder"] == first.arn and harness.lease()["held"] is False  # released by its holder


def test_a_lease_left_by_an_ended_execution_is_taken_over(harness):
    harness.create_notebook("analysis", "InService")
    first = harness.run(action="notify", trigger="sweep")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/analysis"
    # As if the execution had crashed past its release: the lease still names it.
    dynamodb.update_item(harness.world.coordination_table, notebook_key(arn, LEASE), set_values={"held": True})
    assert harness.lease()["holder"] == first.arn and harness.lease()["held"] is True
    result = hand_on(harness, "analysis", Trigger.CREATE)
    assert result.outcome is detection.Outcome.WORKFLOW_STARTED
    assert result.details["lease"]["taken_over_from"] == first.arn
    assert harness.runner.wait(result.execution_arn).status == "SUCCEEDED"


def test_blocked_then_network_fixed_is_remediated_on_the_next_trigger(harness, monkeypatch):
    world = harness.world
    monkeypatch.setenv("NG_TARGET_SUBNET_IDS", world.public_subnet_id)
    harness.redeploy_roles()  # deployed with that target: the Create step may create interfaces in it
    harness.create_notebook("analysis", "InService")
    blocked = hand_on(harness, "analysis", Trigger.CREATE)
    execution = harness.runner.wait(blocked.execution_arn)
    assert execution.status == "FAILED" and execution.error == "PreflightFailed"
    assert kinds(harness) == ["remediation-started", "blocked"] and released(harness)

    # Same findings an hour later: checked again, neither announced nor alerted again (the blocked alert stands
    # for a day), so no remediation-started goes without its closing alert.
    monkeypatch.setenv("NG_SWEEP_ACTION", "remediate")
    again = harness.runner.wait(hand_on(harness, "analysis", Trigger.SWEEP).execution_arn)
    assert again.status == "SUCCEEDED" and kinds(harness) == ["remediation-started", "blocked"]
    assert "blocked-again" in [r["outcome"] for r in harness.audit()]

    # The network is fixed: the public subnet loses its route to the internet gateway.
    ec2 = clients.client("ec2", world.region)
    public = [{"Name": "association.subnet-id", "Values": [world.public_subnet_id]}]
    (table,) = ec2.describe_route_tables(Filters=public)["RouteTables"]
    ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0")
    # ... and its route table gets the S3 gateway endpoint (a private subnet reaches S3 only through it).
    ec2.modify_vpc_endpoint(VpcEndpointId=world.endpoint_ids["s3"], AddRouteTableIds=[table["RouteTableId"]])
    fixed = harness.runner.wait(hand_on(harness, "analysis", Trigger.CREATE).execution_arn)
    assert fixed.status == "SUCCEEDED", (fixed.error, fixed.cause)
    after = harness.sagemaker.describe_notebook_instance(NotebookInstanceName="analysis")
    assert after["SubnetId"] == world.public_subnet_id and after["DirectInternetAccess"] == "Disabled"
    # The fixed run was not announced (the last word was "blocked"): its closing alert says remediated.
    assert kinds(harness) == ["remediation-started", "blocked", "remediated"] and released(harness)


def test_an_announced_execution_blocked_again_still_sends_its_closing_alert(harness, monkeypatch):
    """A person's (or a trigger's) announced re-check that ends blocked-again owes the alert it announced."""
    # The VPC lacks an endpoint the settings require (the network of this module's account is shared).
    monkeypatch.setenv("NG_REQUIRED_ENDPOINTS", "sagemaker.api,sagemaker.runtime,sts,logs,s3,ecr.api")
    harness.create_notebook("analysis", "InService")
    first = harness.run(trigger="create", announced=True)
    assert first.error == "PreflightFailed"
    second = harness.run(trigger="manual", announced=True)
    assert second.error == "PreflightFailed"
    assert kinds(harness) == ["blocked", "blocked"]
    assert [r["outcome"] for r in harness.audit() if r["outcome"].startswith("blocked")] == ["blocked", "blocked"]


def test_quarantined_then_restarted_is_acted_on_again_within_the_attempt_bound(harness, monkeypatch):
    monkeypatch.setenv("NG_SWEEP_ACTION", "quarantine")
    old_notebook(harness)
    first = harness.runner.wait(hand_on(harness, "analysis", Trigger.SWEEP).execution_arn)
    assert first.status == "SUCCEEDED" and harness.backend.notebook_instances["analysis"].status == "Stopped"
    for attempt in (2, 3):
        result = harness.intake(owner_starts(harness))  # the owner starts it again: a restart, quarantined again
        assert (result["trigger"], result["action"]) == ("restart", "quarantine")
        assert wait(harness, result).status == "SUCCEEDED"
        assert harness.backend.notebook_instances["analysis"].status == "Stopped", attempt
    assert harness.faults.calls.count("sagemaker:StopNotebookInstance") == 3
    # The bound (3 per 24 h) is reached: the next restart is alerted, not stopped again, and nothing loops.
    fourth = harness.intake(owner_starts(harness))
    assert fourth["action"] == "notify" and "attempt bound (3) is reached" in fourth["lease"]["reason"]
    assert wait(harness, fourth).status == "SUCCEEDED"
    assert harness.backend.notebook_instances["analysis"].status == "InService"
    assert kinds(harness)[-1] == "violation" and "attempt bound" in harness.alerts()[-1]["details"]["lease_note"]
    # SageMaker sends several events per change: the next one within the day is neither run nor alerted.
    fifth = harness.intake(harness.state_change_event("analysis", "InService"))
    assert fifth["outcome"] == "already-notified"
    assert kinds(harness) == ["remediation-started", "quarantined"] * 3 + ["violation"]
