"""Verify: the notebook now passes evaluation; the audit record keeps before and after."""

from __future__ import annotations

from notebook_guard.aws import sagemaker
from notebook_guard.domain.errors import VerificationFailed
from notebook_guard.handlers.steps.common import step
from notebook_guard.services import audit
from notebook_guard.services.detection import evaluate_described
from notebook_guard.settings import get_settings


@step
def handler(document: dict) -> dict:
    settings = get_settings()
    name = document["notebook_name"]
    describe = sagemaker.describe_notebook(name, settings.region)
    if describe is None:
        raise VerificationFailed(f"notebook {name} does not exist after remediation")
    evaluation = evaluate_described(describe, settings)
    if not evaluation.compliant:
        reasons = "; ".join(f"{v.control_id}: {v.reason}" for v in evaluation.violations)
        raise VerificationFailed(f"notebook {name} still fails evaluation: {reasons}")
    after = {
        "status": describe["NotebookInstanceStatus"],
        "subnet_id": describe.get("SubnetId"),
        "security_group_ids": describe.get("SecurityGroups"),
        "direct_internet_access": describe.get("DirectInternetAccess"),
        "root_access": describe.get("RootAccess"),
    }
    audit.write(
        settings,
        document,
        "verified",
        {
            "outcome": "verified",
            "snapshot_uri": (document.get("snapshot") or {}).get("uri"),
            "version_id": (document.get("snapshot") or {}).get("version_id"),
            "before": document.get("evaluation"),
            "after": after,
        },
    )
    return {"passes": True, "after": after}
