"""Each step makes only the AWS calls it declares (workflow_steps.STEPS), and its role, generated from the
permission table exactly as the stack generates it, allows every one of them: the workflow runs with
enforcement on and nothing is denied."""

from __future__ import annotations

from notebook_guard.domain import approval
from notebook_guard.services import approvals
from notebook_guard.settings import get_settings
from notebook_guard.workflow_steps import STEPS
from notebook_guard_local.workflow_harness import REGION
from tests.workflow.test_data_preservation import run, used_notebook
from tests.workflow.test_faults import full_notebook, root_access_notebook


def test_every_call_of_a_step_is_declared_and_allowed(harness, monkeypatch):
    calls_by_step: dict[str, set[str]] = {}
    seam, faults = harness.seam, harness.faults
    original = seam.invoke

    def invoke(backend, name, body):
        before = len(faults.calls)
        result = original(backend, name, body)
        calls_by_step.setdefault(seam.invocations[-1], set()).update(faults.calls[before:])
        return result

    monkeypatch.setattr(seam, "invoke", invoke)
    full_notebook(harness, "full")
    harness.hub.add_control_finding(harness.backend.notebook_instances["full"].arn)  # updated: NOTIFIED, RESOLVED
    assert harness.run("full").status == "SUCCEEDED"
    root_access_notebook(harness, "rooted")
    assert harness.run("rooted").status == "SUCCEEDED"
    # A remediation that waits for a person (the Approval step), approved.
    monkeypatch.setenv("NG_APPROVAL", "always")
    get_settings.cache_clear()
    harness.create_notebook("gated")
    harness.hub.add_control_finding(harness.backend.notebook_instances["gated"].arn)
    execution = harness.start("gated")
    record = approval.decision(True, "arn:aws:iam::123456789012:user/alice", "tested", "cli", "now")
    approvals.send(harness.pending_approval(execution), record, REGION)
    assert harness.runner.wait(execution).status == "SUCCEEDED"

    # No capacity in the first target subnet's zone: the failed replacement is discarded, the next zone used.
    monkeypatch.setenv("NG_APPROVAL", "never")
    get_settings.cache_clear()
    world = harness.world
    monkeypatch.setenv("NG_TARGET_SUBNET_IDS", f"{world.private_subnet_id},{world.private_subnet_b_id}")
    harness.redeploy_roles()
    harness.fake.capacity_shortage(f"{world.region}a")
    full_notebook(harness, "crowded")
    crowded = harness.run("crowded")
    assert crowded.status == "SUCCEEDED", (harness.alerts()[-1]["details"], crowded.states_entered)
    # Every event lost and the reconciler down: each wait falls back to its polling loop (the Probe step).
    harness.events.restart(drop=1.0, reconciler=False)
    full_notebook(harness, "unheard")
    assert harness.run("unheard").status == "SUCCEEDED"

    # A notebook in use: its storage volume is backed up and restored (the Backup step's calls).
    used_notebook(harness, "used", config="used-setup")
    assert run(harness, "used").status == "SUCCEEDED"

    declared = {s.key: set(s.calls) for s in STEPS}
    assert set(calls_by_step) == declared.keys()
    for step, calls in calls_by_step.items():
        assert calls <= declared[step], (step, calls - declared[step])
    assert harness.enforcement.denials == []
    assert harness.enforcement.checked > 50
