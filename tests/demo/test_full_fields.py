"""A notebook carrying every optional field, remediated: only what must change changes."""

from __future__ import annotations

import io
import json

from notebook_guard.domain.recreate import OUR_TAGS, SNAPSHOT_TAG
from notebook_guard_local.demo.run import play
from tests.conftest import ROOT

SCENARIO = ROOT / "examples" / "full-fields.json"
NETWORK = {"SubnetId", "SecurityGroups", "DirectInternetAccess", "NetworkInterfaceId"}
INCARNATION = {"CreationTime", "LastModifiedTime", "NotebookInstanceStatus", "Url"}
DROPPED = {"AcceleratorTypes"}  # Elastic Inference: no longer accepted by AWS


def test_the_scenario_file_carries_every_optional_field():
    (request,) = json.loads(SCENARIO.read_text())
    assert {
        "KmsKeyId",
        "LifecycleConfigName",
        "DefaultCodeRepository",
        "AdditionalCodeRepositories",
        "InstanceMetadataServiceConfiguration",
        "PlatformIdentifier",
        "VolumeSizeInGB",
        "IpAddressType",
        "DirectInternetAccess",
        "RootAccess",
        "AcceleratorTypes",
    } <= set(request)
    assert len(request["Tags"]) == 20
    assert any(t["Key"].startswith("aws:") for t in request["Tags"])


def test_in_the_default_network_it_is_blocked_for_its_git_repositories(tmp_path):
    """Its repositories are on GitHub and on a Git server outside AWS: recreated in the isolated subnet it would end
    Failed, so the preflight blocks it, nothing changed, and the alert names each repository and the fixes."""
    report_path = tmp_path / "report.json"
    out = io.StringIO()
    result = play(scenario=str(SCENARIO), action="remediate", report_path=str(report_path), stream=out)
    assert result.passed, out.getvalue()
    (notebook,) = json.loads(report_path.read_text())["notebooks"]
    assert notebook["outcome"] == "blocked"
    settling = {"NotebookInstanceStatus", "LastModifiedTime"}  # it was still Pending when it was created
    assert {k: v for k, v in notebook["after"]["describe"].items() if k not in settling} == {
        k: v for k, v in notebook["before"]["describe"].items() if k not in settling
    }
    kinds = [a["document"]["kind"] for a in notebook["alerts"]]
    assert kinds[:2] == ["remediation-started", "blocked"] and kinds.count("blocked") == 1  # not re-alerted hourly
    blocked = notebook["alerts"][1]
    evidence = {e["text"] for e in blocked["document"]["details"]["internet"]["evidence"]}
    assert "https://github.com/aws/amazon-sagemaker-examples.git" in evidence
    assert "https://git.example.com/analytics-notebooks.git" in evidence  # its SageMaker code repository's URL
    assert "NAT gateway" in " ".join(blocked["document"]["details"]["internet"]["fixes"])


def test_after_equals_before_apart_from_network_root_access_dropped_keys_and_remediation_tags(tmp_path):
    """Where the target has a NAT (the simulated account's NAT'd subnet), it is remediated."""
    report_path = tmp_path / "report.json"
    result = play(
        scenario=str(SCENARIO), action="remediate", report_path=str(report_path), stream=io.StringIO(), network="nat"
    )
    assert result.passed
    (notebook,) = json.loads(report_path.read_text())["notebooks"]
    assert notebook["outcome"] == "remediated"
    before, after = notebook["before"]["describe"], notebook["after"]["describe"]

    # Every field moto drops without the fake survived, as given.
    (request,) = json.loads(SCENARIO.read_text())
    for field in ("PlatformIdentifier", "InstanceMetadataServiceConfiguration", "IpAddressType", "KmsKeyId"):
        assert after[field] == request[field]
    assert after["NotebookInstanceLifecycleConfigName"] == request["LifecycleConfigName"]

    ignored = NETWORK | INCARNATION | DROPPED | {"RootAccess"}
    assert {k: v for k, v in after.items() if k not in ignored} == {k: v for k, v in before.items() if k not in ignored}
    assert after["RootAccess"] == "Disabled" and before["RootAccess"] == "Enabled"
    assert after["DirectInternetAccess"] == "Disabled" and after["SubnetId"]
    assert "AcceleratorTypes" in before and "AcceleratorTypes" not in after

    tags_before, tags_after = notebook["before"]["tags"], notebook["after"]["tags"]
    assert len(tags_before) == 20
    expected_tags = {k: v for k, v in tags_before.items() if not k.startswith("aws:")}
    assert {k: v for k, v in tags_after.items() if k not in OUR_TAGS} == expected_tags
    assert tags_after[SNAPSHOT_TAG].startswith("s3://")

    started, alert = notebook["alerts"]
    assert started["document"]["kind"] == "remediation-started" and alert["document"]["kind"] == "remediated"
    dropped = " ".join(alert["document"]["details"]["dropped"])
    assert "aws:cloudformation:stack-name" in dropped and "AcceleratorTypes" in dropped
