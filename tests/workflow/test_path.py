"""The recreated notebook must come up and work: the real ASL on the simulated account, with the stricter fake.

Each condition that would break the recreated notebook blocks before anything is stopped or deleted, with an alert
naming the evidence; a notebook that needs the internet is remediated where the target has a NAT; a dualstack
notebook needs IPv6 (or the ipv4 fallback); several target subnets are used, AZ-aware, and a replacement that fails
for lack of capacity is deleted and created again in the next zone, only if this execution created it.
"""

from __future__ import annotations

import base64
import itertools
import json

import pytest

from notebook_guard.aws import clients
from notebook_guard.domain.recreate import EXECUTION_TAG
from notebook_guard_local.fake.paths import CAPACITY_REASON
from tests.conftest import REGION

DESTRUCTIVE = ("StopNotebookInstance", "DeleteNotebookInstance", "CreateNotebookInstance")
_cidrs = itertools.count(100)


def ec2():
    return clients.client("ec2", REGION)


def kinds(harness) -> list[str]:
    return [a["kind"] for a in harness.alerts()]


def targets(harness, monkeypatch, *subnets: str, groups: tuple[str, ...] = ()) -> None:
    """Deploy with these target subnets (and groups), as the stack would: the roles follow the settings."""
    monkeypatch.setenv("NG_TARGET_SUBNET_IDS", ",".join(subnets))
    if groups:
        monkeypatch.setenv("NG_TARGET_SECURITY_GROUP_IDS", ",".join(groups))
    harness.redeploy_roles()


def new_subnet(harness, zone: str = "a", s3: bool = True, full: bool = False) -> str:
    """A private subnet of the world's VPC with its own route table (S3 gateway on it unless ``s3=False``);
    ``full``: a /28 whose every address is taken."""
    world, n = harness.world, next(_cidrs)
    cidr = f"10.20.{n}.0/28" if full else f"10.20.{n}.0/24"
    subnet = ec2().create_subnet(VpcId=world.vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}")
    subnet_id = subnet["Subnet"]["SubnetId"]
    table = ec2().create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    ec2().associate_route_table(RouteTableId=table, SubnetId=subnet_id)
    if s3:
        ec2().modify_vpc_endpoint(VpcEndpointId=world.endpoint_ids["s3"], AddRouteTableIds=[table])
    while full and ec2().describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["AvailableIpAddressCount"] > 0:
        ec2().create_network_interface(SubnetId=subnet_id)
    return subnet_id


def new_group(harness, admitted: bool, egress: bool) -> str:
    """A notebook security group: admitted by the endpoints' group or not; HTTPS out or nothing out."""
    world = harness.world
    group = ec2().create_security_group(GroupName=f"nb-{next(_cidrs)}", Description="x", VpcId=world.vpc_id)["GroupId"]
    if not egress:
        ec2().revoke_security_group_egress(
            GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
    if admitted:
        ec2().authorize_security_group_ingress(
            GroupId=world.endpoint_security_group_id,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": group}]}
            ],
        )
    return group


def lifecycle(harness, name: str, script: str) -> str:
    content = base64.b64encode(script.encode()).decode()
    harness.sagemaker.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=name, OnStart=[{"Content": content}]
    )
    return name


def repository(harness, name: str, url: str) -> str:
    harness.sagemaker.create_code_repository(CodeRepositoryName=name, GitConfig={"RepositoryUrl": url})
    return name


def key(harness, policy: dict | None = None) -> str:
    kms = clients.client("kms", REGION)
    return kms.create_key(**({"Policy": json.dumps(policy)} if policy else {}))["KeyMetadata"]["KeyId"]


# Each condition: (set up the target and the notebook, what the blocked alert must name) ----------------------------
def s3_route(harness, monkeypatch, name):
    targets(harness, monkeypatch, new_subnet(harness, s3=False))
    harness.create_notebook(name)
    return "is not associated with route table"


def endpoint_ingress(harness, monkeypatch, name):
    targets(harness, monkeypatch, harness.world.private_subnet_id, groups=(new_group(harness, False, True),))
    harness.create_notebook(name)
    return "do not admit TCP 443 from the notebook's security groups"


def notebook_egress(harness, monkeypatch, name):
    targets(harness, monkeypatch, harness.world.private_subnet_id, groups=(new_group(harness, True, False),))
    harness.create_notebook(name)
    return "do not allow TCP 443 out"


def free_addresses(harness, monkeypatch, name):
    targets(harness, monkeypatch, new_subnet(harness, full=True))
    harness.create_notebook(name)
    return "has no free IP address"


def lifecycle_gone(harness, monkeypatch, name):
    harness.create_notebook(name, LifecycleConfigName=lifecycle(harness, f"{name}-lc", "echo hi"))
    harness.sagemaker.delete_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=f"{name}-lc")
    return f"lifecycle configuration {name}-lc no longer exists"


def repository_gone(harness, monkeypatch, name):
    url = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/team"
    harness.create_notebook(name, DefaultCodeRepository=repository(harness, f"{name}-repo", url))
    harness.fake.code_repositories.pop(f"{name}-repo")
    return f"code repository {name}-repo does not exist"


def key_disabled(harness, monkeypatch, name):
    key_id = key(harness)
    harness.create_notebook(name, KmsKeyId=key_id)
    clients.client("kms", REGION).disable_key(KeyId=key_id)
    return "is Disabled, not Enabled"


def key_policy(harness, monkeypatch, name):
    admin = f"arn:aws:iam::123456789012:role/{name}-key-admin"
    statement = {"Effect": "Allow", "Principal": {"AWS": admin}, "Action": "kms:*", "Resource": "*"}
    harness.create_notebook(name, KmsKeyId=key(harness, {"Version": "2012-10-17", "Statement": [statement]}))
    return "neither allows kms:CreateGrant"


def role_gone(harness, monkeypatch, name):
    iam = clients.client("iam", REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "sagemaker.amazonaws.com"}}
        ],
    }
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    harness.create_notebook(name, RoleArn=role)
    iam.delete_role(RoleName=f"{name}-role")
    return "no longer exists"


def pip_install(harness, monkeypatch, name):
    script = (
        "#!/bin/bash\nset -e\nsudo -u ec2-user -i <<'EOF'\nsource activate python3\nEOF\npip install transformers\n"
    )
    harness.create_notebook(name, LifecycleConfigName=lifecycle(harness, f"{name}-lc", script))
    return f"lifecycle configuration '{name}-lc' OnStart, line 6: `pip install transformers` (pip installs from PyPI"


def github_repository(harness, monkeypatch, name):
    harness.create_notebook(name, DefaultCodeRepository="https://github.com/aws/amazon-sagemaker-examples.git")
    return "DefaultCodeRepository: `https://github.com/aws/amazon-sagemaker-examples.git` (not CodeCommit"


def codecommit_without_endpoint(harness, monkeypatch, name):
    url = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/team"
    harness.create_notebook(name, DefaultCodeRepository=repository(harness, f"{name}-repo", url))
    return "neither the git-codecommit interface endpoint nor a way to the internet"


def dualstack(harness, monkeypatch, name):
    harness.create_notebook(name, IpAddressType="dualstack")
    return "has no IPv6 CIDR block: CreateNotebookInstance would fail after the delete"


CONDITIONS = [
    s3_route,
    endpoint_ingress,
    notebook_egress,
    free_addresses,
    lifecycle_gone,
    repository_gone,
    key_disabled,
    key_policy,
    role_gone,
    pip_install,
    github_repository,
    codecommit_without_endpoint,
    dualstack,
]


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: c.__name__)
def test_each_condition_blocks_before_anything_destructive_with_an_alert_naming_it(harness, monkeypatch, condition):
    name = condition.__name__.replace("_", "-")
    expected = condition(harness, monkeypatch, name)
    before = harness.describe(name, advance=False)
    execution = harness.run(name)
    assert execution.status == "FAILED" and execution.error == "PreflightFailed", execution.states_entered
    assert kinds(harness) == ["blocked"]
    problems = " | ".join(harness.alerts()[0]["details"]["preflight_problems"])
    assert expected in problems, problems
    assert not [c for c in harness.faults.calls if c.split(":")[1] in DESTRUCTIVE]
    assert harness.describe(name, advance=False) == before


def test_the_internet_alert_names_the_evidence_and_the_fixes(harness):
    script = "pip install pandas\nnohup conda install -y dask &\n"
    harness.create_notebook(
        "offline",
        LifecycleConfigName=lifecycle(harness, "offline-lc", script),
        AdditionalCodeRepositories=["https://github.com/team/tools.git"],
    )
    assert harness.run("offline").error == "PreflightFailed"
    (alert,) = harness.alerts()
    found = alert["details"]["internet"]
    assert {(e["kind"], e["effect"]) for e in found["evidence"]} == {
        ("package-index", "fails"),
        ("package-index", "degrades"),
        ("repository", "fails"),
    }
    fixes = " ".join(found["fixes"])
    assert "NAT gateway" in fixes and "CodeCommit" in fixes and "CodeArtifact" in fixes
    body = alert["details"]["preflight_problems"][0]
    assert "no target subnet has a way out" in body and "Fixes:" in body


def test_a_notebook_that_needs_the_internet_is_remediated_where_the_target_has_a_nat(harness, monkeypatch):
    targets(harness, monkeypatch, harness.world.nat_subnet_id)
    harness.create_notebook(
        "online",
        LifecycleConfigName=lifecycle(harness, "online-lc", "pip install pandas"),
        DefaultCodeRepository="https://github.com/team/tools.git",
    )
    execution = harness.run("online")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    after = harness.sagemaker.describe_notebook_instance(NotebookInstanceName="online")
    assert after["SubnetId"] == harness.world.nat_subnet_id and after["NotebookInstanceStatus"] == "InService"
    assert kinds(harness) == ["remediated"]


def test_with_warn_the_notebook_is_recreated_and_ends_failed_after_five_simulated_minutes(harness, monkeypatch):
    monkeypatch.setenv("NG_INTERNET_DEPENDENCY", "warn")
    harness.fake.timeline.polls = {state: 10**9 for state in ("Pending", "Stopping", "Deleting", "Updating")}
    harness.fake.timeline.seconds.update({"Pending": 60, "Stopping": 30, "Deleting": 30})
    harness.create_notebook("warned", LifecycleConfigName=lifecycle(harness, "warned-lc", "pip install pandas"))
    created_at = []
    harness.seam.before("Create", lambda event: created_at.append(harness.fake.clock.now))
    execution = harness.run("warned", waits={"first_seconds": 30, "growth": 1.0, "max_interval_seconds": 30})
    assert execution.status == "FAILED"
    (alert,) = harness.alerts()
    assert alert["kind"] == "failed" and alert["details"]["error"] == "NotebookFailed"
    assert "took longer than 5 minutes" in alert["details"]["cause"] and "warned-lc" in alert["details"]["cause"]
    assert any("may end Failed" in w for w in alert["details"]["preflight_warnings"])
    assert harness.fake.clock.now - created_at[0] >= 300


def test_a_dualstack_notebook_falls_back_to_ipv4_when_told_and_the_snapshot_says_so(harness, monkeypatch):
    monkeypatch.setenv("NG_IP_ADDRESS_TYPE_FALLBACK", "ipv4")
    harness.create_notebook("dual", IpAddressType="dualstack")
    execution = harness.run("dual")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    after = harness.sagemaker.describe_notebook_instance(NotebookInstanceName="dual")
    assert after["IpAddressType"] == "ipv4"
    assert any("recreated as ipv4" in d for d in harness.alerts()[-1]["details"]["dropped"])
    (snapshot,) = harness.snapshots("dual")
    assert snapshot["create_request"]["IpAddressType"] == "ipv4"  # a restore does not replay the failing request


def test_a_subnet_that_fails_is_skipped_and_the_next_one_used(harness, monkeypatch):
    world = harness.world
    targets(harness, monkeypatch, world.public_subnet_id, world.private_subnet_b_id)
    harness.create_notebook("skipper")
    execution = harness.run("skipper")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert harness.sagemaker.describe_notebook_instance(NotebookInstanceName="skipper")["SubnetId"] == (
        world.private_subnet_b_id
    )
    (alert,) = harness.alerts()
    assert alert["details"]["skipped_subnets"][0]["subnet_id"] == world.public_subnet_id
    assert any(f"subnet {world.public_subnet_id} skipped" in w for w in alert["details"]["preflight_warnings"])


def test_blocked_only_when_no_subnet_passes_each_named_with_its_reasons(harness, monkeypatch):
    world = harness.world
    no_s3 = new_subnet(harness, s3=False)
    targets(harness, monkeypatch, world.public_subnet_id, no_s3)
    harness.create_notebook("nowhere")
    assert harness.run("nowhere").error == "PreflightFailed"
    problems = harness.alerts()[0]["details"]["preflight_problems"]
    assert problems[0].startswith(f"subnet {world.public_subnet_id}: ") and "is public" in problems[0]
    assert problems[1].startswith(f"subnet {no_s3}: ") and "route table" in problems[1]


def capacity_run(harness, monkeypatch, name: str, zones: tuple[str, ...]):
    world = harness.world
    targets(harness, monkeypatch, world.private_subnet_id, world.private_subnet_b_id)
    for zone in zones:
        harness.fake.capacity_shortage(f"{REGION}{zone}")
    harness.create_notebook(name)
    return harness.run(name)


def test_a_capacity_failure_is_retried_in_the_next_zone_and_each_attempt_recorded(harness, monkeypatch):
    world = harness.world
    execution = capacity_run(harness, monkeypatch, "crowded", ("a",))
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    after = harness.sagemaker.describe_notebook_instance(NotebookInstanceName="crowded")
    assert after["SubnetId"] == world.private_subnet_b_id and after["NotebookInstanceStatus"] == "InService"
    assert harness.faults.calls.count("sagemaker:CreateNotebookInstance") == 2
    assert harness.faults.calls.count("sagemaker:DeleteNotebookInstance") == 2  # the original, then the replacement
    (alert,) = harness.alerts()
    (attempt,) = alert["details"]["create_attempts"]
    assert (attempt["subnet_id"], attempt["availability_zone"]) == (world.private_subnet_id, f"{REGION}a")
    assert attempt["failure_reason"] == CAPACITY_REASON
    assert alert["details"]["subnet_id"] == world.private_subnet_b_id
    assert "replacement-discarded" in [r["outcome"] for r in harness.audit("crowded")]


def test_no_capacity_in_any_zone_alerts_failed_with_every_attempt(harness, monkeypatch):
    execution = capacity_run(harness, monkeypatch, "full-house", ("a", "b"))
    assert execution.status == "FAILED"
    (alert,) = harness.alerts()
    assert alert["kind"] == "failed" and alert["details"]["cause"] == CAPACITY_REASON
    assert [a["availability_zone"] for a in alert["details"]["create_attempts"]] == [f"{REGION}a", f"{REGION}b"]
    assert harness.describe("full-house", advance=False)["NotebookInstanceStatus"] == "Failed"  # left to read
    assert harness.faults.calls.count("sagemaker:DeleteNotebookInstance") == 2


def test_a_failed_notebook_this_execution_did_not_create_is_never_deleted(harness, monkeypatch):
    def untag(event):  # between the failure and the Discard step, the notebook loses this execution's tag
        arn = harness.sagemaker.describe_notebook_instance(NotebookInstanceName="stranger")["NotebookInstanceArn"]
        harness.sagemaker.delete_tags(ResourceArn=arn, TagKeys=[EXECUTION_TAG])

    harness.seam.before("Discard", untag)
    execution = capacity_run(harness, monkeypatch, "stranger", ("a",))
    assert execution.status == "FAILED"
    (alert,) = harness.alerts()
    assert alert["details"]["failed_step"] == "Delete the failed replacement"
    assert alert["details"]["error"] == "NotebookChanged"
    assert harness.describe("stranger", advance=False)["NotebookInstanceStatus"] == "Failed"
    assert harness.faults.calls.count("sagemaker:DeleteNotebookInstance") == 1  # the original only


def test_the_preflight_reads_each_resource_once(harness, monkeypatch):
    world = harness.world
    # Two subnets of one VPC (the isolated one skipped: the repository needs the internet).
    targets(harness, monkeypatch, world.private_subnet_b_id, world.nat_subnet_id)
    url = "https://github.com/team/tools.git"
    harness.create_notebook(
        "reader",
        KmsKeyId=key(harness),
        LifecycleConfigName=lifecycle(harness, "reader-lc", "echo hi"),
        DefaultCodeRepository=repository(harness, "reader-repo", url),
        AdditionalCodeRepositories=["reader-repo"],
    )
    execution = harness.run("reader")
    assert execution.status == "SUCCEEDED", harness.alerts()[-1]["details"]
    calls = harness.faults.calls
    # The path check and the permission check share the reads: one per resource in the whole execution.
    assert harness.sagemaker.describe_notebook_instance(NotebookInstanceName="reader")["SubnetId"] == (
        world.nat_subnet_id
    )
    for call in (
        "sagemaker:DescribeCodeRepository",
        "iam:GetRole",
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "ec2:DescribeRouteTables",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeNatGateways",
    ):
        assert calls.count(call) == 1, (call, calls.count(call))
    assert calls.count("ec2:DescribeSubnets") == 2  # the target subnets together, then the endpoints' subnets
    assert calls.count("ec2:DescribeVpcAttribute") == 2  # DNS support and DNS hostnames, once for the VPC


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        ("sagemaker:DeleteNotebookInstance", "access-denied"),
        ("sagemaker:ListTags", "server-error"),
        ("dynamodb:PutItem", "access-denied"),
        ("sagemaker:DeleteNotebookInstance", "throttling"),
    ],
)
def test_a_fault_in_the_discard_step_leaves_the_failed_replacement_and_an_alert(harness, monkeypatch, call, kind):
    """From the Discard step on, a call fails: nothing else is deleted, the failure alert names the step, the attempt
    and the snapshot to restore from (the original is gone; the Failed replacement stays, to be read)."""
    name = f"fault-{kind}-{call.split(':')[1]}".lower()[:60]
    harness.seam.before("Discard", lambda event: harness.faults.inject(call, kind))
    execution = capacity_run(harness, monkeypatch, name, ("a",))
    harness.faults.clear()
    assert execution.status == "FAILED"
    alert = [a for a in harness.alerts() if a["kind"] == "failed"][-1]
    assert alert["details"]["failed_step"] == "Delete the failed replacement"
    assert alert["snapshot_uri"] and f"notebook-guard restore {alert['snapshot_uri']}" in alert["restore"]
    replacement = harness.backend.notebook_instances[name]
    assert replacement.status == "Failed" and replacement.subnet_id == harness.world.private_subnet_id
