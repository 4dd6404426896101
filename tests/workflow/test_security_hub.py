"""Security Hub follows the remediation (issue 14), on the real ASL file with Security Hub as AWS documents it.

The notebook's control findings go NEW -> NOTIFIED (with a note naming the execution) -> RESOLVED (with a note naming
the snapshot and the new subnet); every other end leaves a note; nothing Security Hub does or refuses may fail a
remediation; a finding event is one more trigger, and the lease still gives one workflow per notebook.
"""

from __future__ import annotations

import pytest

from notebook_guard.domain.models import Trigger
from notebook_guard.handlers import intake
from notebook_guard.services import findings
from notebook_guard.settings import get_settings
from notebook_guard_local.demo.events import cloudtrail_create_event
from notebook_guard_local.fake import FAULT_KINDS
from notebook_guard_local.roles import as_intake
from notebook_guard_local.workflow_harness import ACCOUNT, REGION
from tests.workflow.test_coordination import hand_on
from tests.workflow.test_scenarios import assert_remediated, kinds


def arn_of(harness, name="analysis") -> str:
    return harness.backend.notebook_instances[name].arn


def updates(harness) -> list[tuple[str | None, str]]:
    """Every BatchUpdateFindings notebook-guard sent: (Workflow.Status or None, Note.Text)."""
    return [
        ((params.get("Workflow") or {}).get("Status"), params["Note"]["Text"])
        for operation, params in harness.hub.requests
        if operation == "BatchUpdateFindings"
    ]


def closing_alert(harness, name="analysis") -> dict:
    return [a for a in harness.alerts() if a["notebook"]["name"] == name][-1]


def alert_texts(harness) -> list[str]:
    """The bodies of the alerts sent, as a person reads them."""
    from moto.sns.models import sns_backends

    return [n[1] for n in sns_backends[ACCOUNT][REGION].topics[harness.world.topic_arn].sent_notifications]


def test_a_finding_goes_new_notified_resolved_with_notes(harness):
    harness.create_notebook("analysis")
    arn = arn_of(harness)
    consolidated = harness.hub.add_control_finding(arn, "SageMaker.2")  # GeneratorId security-control/SageMaker.2
    per_standard = harness.hub.add_control_finding(arn, "SageMaker.1", consolidated=False)
    harness.create_notebook("bystander")
    bystander = harness.hub.add_control_finding(arn_of(harness, "bystander"), "SageMaker.2")
    assert per_standard["GeneratorId"].startswith("aws-foundational-security-best-practices/v/1.0.0/")

    execution = harness.run()

    after = assert_remediated(harness, execution)
    execution_name = execution.arn.rsplit(":", 1)[-1]
    (started, resolved) = updates(harness)
    assert started[0] == "NOTIFIED" and execution_name in started[1] and "action remediate" in started[1]
    assert resolved[0] == "RESOLVED" and execution_name in resolved[1]
    assert after["SubnetId"] in resolved[1] and closing_alert(harness)["snapshot_uri"] in resolved[1]
    for finding in (consolidated, per_standard):
        now = harness.hub.finding(finding["Id"])
        assert now["Workflow"]["Status"] == "RESOLVED" and now["Note"]["UpdatedBy"] == "notebook-guard"
    assert harness.hub.finding(bystander["Id"])["Workflow"]["Status"] == "NEW"  # another notebook's finding
    # Security Hub sends an event per update: NOTIFIED twice, then RESOLVED twice, after the two imports.
    statuses = [e["detail"]["findings"][0]["Workflow"]["Status"] for e in harness.hub.events]
    assert statuses == ["NEW", "NEW", "NEW", "NOTIFIED", "NOTIFIED", "RESOLVED", "RESOLVED"]
    details = closing_alert(harness)["details"]["security_hub"]
    assert details["updated"] == 2 and details["status"] == "RESOLVED"
    (record,) = [r for r in harness.audit() if r["outcome"] == "remediated"]
    assert record["security_hub"]["updated"] == 2


def test_blocked_leaves_a_note_on_the_finding(harness, monkeypatch):
    monkeypatch.setenv("NG_TARGET_SUBNET_IDS", harness.world.public_subnet_id)
    harness.redeploy_roles()
    harness.create_notebook("analysis")
    finding = harness.hub.add_control_finding(arn_of(harness))

    execution = harness.run()

    assert execution.status == "FAILED" and execution.error == "PreflightFailed"
    now = harness.hub.finding(finding["Id"])
    assert now["Workflow"]["Status"] == "NOTIFIED"  # still being handled: a person must fix the network
    assert now["Note"]["Text"].startswith(f"notebook-guard execution {execution.arn.rsplit(':', 1)[-1]}: blocked.")
    assert "igw-" in now["Note"]["Text"] or "internet gateway" in now["Note"]["Text"]
    assert harness.exists("analysis")


def test_more_than_100_findings_are_read_page_by_page_and_updated_100_at_a_time(harness):
    harness.create_notebook("analysis")
    arn = arn_of(harness)
    for _ in range(150):
        harness.hub.add_control_finding(arn, "SageMaker.2", emit=False)

    assert_remediated(harness, harness.run())

    requests = [(op, p) for op, p in harness.hub.requests]
    assert [len(p["FindingIdentifiers"]) for op, p in requests if op == "BatchUpdateFindings"] == [100, 50, 100, 50]
    assert sum(op == "GetFindings" for op, _ in requests) == 4  # two pages, twice
    assert {f["Workflow"]["Status"] for f in harness.hub.findings_about(arn)} == {"RESOLVED"}


def test_unprocessed_findings_are_retried_then_reported_without_failing_the_remediation(harness, monkeypatch):
    monkeypatch.setattr(findings, "RETRY_PAUSES", (0, 0, 0))  # the pauses between retries, not slept here
    harness.create_notebook("analysis")
    finding = harness.hub.add_control_finding(arn_of(harness))
    harness.hub.fail_updates("ConcurrentUpdateError", times=1)  # retried: the NOTIFIED update goes through
    # The RESOLVED update, at the closing Notify: one try and three retries, all refused.
    harness.seam.before("Notify", lambda _: harness.hub.fail_updates("InternalFailure", times=4))

    execution = harness.run()

    assert_remediated(harness, execution)
    statuses = [status for status, _ in updates(harness)]
    assert statuses == ["NOTIFIED", "NOTIFIED", "RESOLVED", "RESOLVED", "RESOLVED", "RESOLVED"]
    assert harness.hub.finding(finding["Id"])["Workflow"]["Status"] == "NOTIFIED"
    (unprocessed,) = closing_alert(harness)["details"]["security_hub"]["unprocessed"]
    assert unprocessed == {
        "id": finding["Id"],
        "error_code": "InternalFailure",
        "error_message": "Internal service failure",
    }
    assert f"Security Hub findings were not all updated: {finding['Id']}: InternalFailure" in alert_texts(harness)[-1]


def test_security_hub_not_enabled_never_stops_a_remediation_and_is_said_once(harness):
    harness.hub.disable(REGION)
    harness.create_notebook("first")
    assert_remediated(harness, harness.run("first"), name="first")
    harness.create_notebook("second")
    assert_remediated(harness, harness.run("second"), name="second", expected_kinds=["remediated", "remediated"])
    for name in ("first", "second"):
        assert closing_alert(harness, name)["details"]["security_hub"]["not_enabled"] is True
    said = "Security Hub is not enabled in this account and region, so no finding was updated (said once)."
    assert [said in text for text in alert_texts(harness)] == [True, False]


@pytest.mark.parametrize("call", ["securityhub:GetFindings", "securityhub:BatchUpdateFindings"])
def test_a_security_hub_fault_never_fails_a_remediation(shared_harness, call):
    harness = shared_harness
    for kind in FAULT_KINDS:
        harness.reset()
        harness.create_notebook("analysis")
        harness.hub.add_control_finding(arn_of(harness))
        harness.faults.inject(call, kind)
        execution = harness.run()
        harness.faults.clear()
        assert_remediated(harness, execution)
        report = closing_alert(harness)["details"]["security_hub"]
        assert report.get("error") or report.get("at_start"), (call, kind, report)


def test_an_exempt_notebooks_findings_are_suppressed_when_the_deployment_asks(harness, monkeypatch):
    until = "2099-01-01"
    tags = [
        {"Key": "notebook-guard:exempt", "Value": "Vendor trial SEC-1"},
        {"Key": "notebook-guard:exempt-until", "Value": until},
    ]
    harness.create_notebook("kept", Tags=tags)
    kept = harness.hub.add_control_finding(arn_of(harness, "kept"))
    assert harness.run("kept").status == "SUCCEEDED"
    assert harness.hub.finding(kept["Id"])["Workflow"]["Status"] == "NEW"  # a note only
    assert "exempt" in harness.hub.finding(kept["Id"])["Note"]["Text"]

    monkeypatch.setenv("NG_SUPPRESS_EXEMPT_FINDINGS", "true")
    get_settings.cache_clear()
    harness.redeploy_roles()  # the Notify role may now set SUPPRESSED (securityhub:ASFFSyntaxPath/Workflow.Status)
    harness.create_notebook("suppressed", Tags=tags)
    suppressed = harness.hub.add_control_finding(arn_of(harness, "suppressed"))
    assert harness.run("suppressed").status == "SUCCEEDED"
    assert harness.hub.finding(suppressed["Id"])["Workflow"]["Status"] == "SUPPRESSED"
    assert harness.exists("suppressed")


def test_own_findings_are_imported_when_the_deployment_asks(harness, monkeypatch):
    monkeypatch.setenv("NG_OWN_FINDINGS", "true")
    get_settings.cache_clear()
    harness.redeploy_roles()  # the Notify role may now import into the account's own product
    harness.create_notebook("analysis")
    execution = harness.run()
    assert_remediated(harness, execution)
    product = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
    (own,) = [f for f in harness.hub.findings.values() if f["ProductArn"] == product]
    assert own["Id"] == f"notebook-guard/{execution.arn.rsplit(':', 1)[-1]}"
    assert own["Resources"][0]["Id"] == arn_of(harness) and own["Severity"]["Label"] == "INFORMATIONAL"
    assert own["ProductFields"]["notebook-guard/Outcome"] == "remediated"
    assert "SecurityControlId" not in (own.get("Compliance") or {})  # the finding rule never starts a workflow on it
    assert closing_alert(harness)["details"]["security_hub"]["own_finding"]["imported"] is True


def test_a_finding_event_plus_cloudtrail_and_state_change_events_make_exactly_one_remediation(harness):
    request = {"NotebookInstanceName": "analysis", "InstanceType": "ml.t3.medium", "RoleArn": harness.world.role_arn}
    described = harness.create_notebook("analysis")
    arn = described["NotebookInstanceArn"]
    finding = harness.hub.add_control_finding(arn, "SageMaker.2", notebook_name="analysis")
    events = [
        cloudtrail_create_event(request, arn, ACCOUNT, REGION),
        harness.state_change_event("analysis", "InService"),
        harness.hub.imported_event(harness.hub.finding(finding["Id"])),
    ]
    process = as_intake(intake.process)
    get_settings.cache_clear()
    results = []
    # While the first execution holds the lease (at its snapshot), the two other events arrive.
    harness.seam.before("Snapshot", lambda _: results.extend(process(e, ACCOUNT) for e in events[1:]))
    first = process(events[0], ACCOUNT)
    execution = harness.runner.wait(first["execution_arn"])

    assert_remediated(harness, execution, expected_kinds=["remediation-started", "remediated"])
    assert [r["outcome"] for r in results] == ["duplicate", "duplicate"]
    assert [r["trigger"] for r in results] == ["create", "finding"]
    assert all(r["execution_arn"] == first["execution_arn"] for r in results)  # each names the holder
    assert len(harness.runner_executions()) == 1
    assert harness.faults.calls.count("sagemaker:DeleteNotebookInstance") == 1
    # Security Hub's own events for our updates (NOTIFIED, RESOLVED) start nothing, nor does a late copy of the
    # original finding event: Describe says the notebook is compliant now.
    echoes = [process(e, ACCOUNT) for e in harness.hub.events if e["detail"]["findings"][0]["Id"] == finding["Id"]]
    assert [e["outcome"] for e in echoes] == ["compliant", "ignored", "ignored"]
    assert len(harness.runner_executions()) == 1


def test_a_finding_trigger_gets_the_finding_action_which_defaults_to_the_sweeps(harness, monkeypatch):
    harness.create_notebook("analysis")
    harness.fake.backdate(harness.backend, "analysis", 90 * 86400)
    event = harness.hub.imported_event(harness.hub.add_control_finding(arn_of(harness), "SageMaker.2"))
    result = as_intake(intake.process)(event, ACCOUNT)
    assert result["trigger"] == Trigger.FINDING.value and result["action"] == "notify"  # the sweep's default
    assert harness.runner.wait(result["execution_arn"]).status == "SUCCEEDED"
    assert kinds(harness) == ["violation"] and harness.alerts()[0]["trigger"] == "finding"
    monkeypatch.setenv("NG_FINDING_ACTION", "quarantine")
    get_settings.cache_clear()
    result = hand_on(harness, "analysis", Trigger.FINDING)
    assert result.details["action"] == "quarantine"
    assert harness.runner.wait(result.execution_arn).status == "SUCCEEDED"
    assert kinds(harness)[-1] == "quarantined"
