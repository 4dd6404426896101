"""``plan NAME`` (read-only, same checks and request as the workflow) and ``restore SNAPSHOT`` (round trip)."""

from __future__ import annotations

import argparse
import io
import json

from notebook_guard.aws import clients
from notebook_guard.domain.recreate import OUR_TAGS, SNAPSHOT_TAG
from notebook_guard_local.demo.engine import Actor, Player, configuration
from notebook_guard_local.operations import run_plan, run_restore
from tests.demo.conftest import full_fields_request, remediated

READ_ONLY_PREFIXES = ("Describe", "List", "Get")


def plan_args(name, simulation, **overrides):
    values = {
        "name": name,
        "subnet_id": simulation.target_subnet_id,
        "security_group_ids": [simulation.world.security_group_id],
        "endpoints": None,
        "root_access": "disabled",
        "snapshot_bucket": simulation.world.bucket,
        "json": True,
        "region": None,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def restore_args(snapshot, **overrides):
    values = {"snapshot": snapshot, "bucket": None, "original_network": False, "dry_run": False, "json": True}
    values.update({"region": None, **overrides})
    return argparse.Namespace(**values)


def without_remediation_tags(request: dict) -> dict:
    tags = [t for t in request["Tags"] if t["Key"] not in OUR_TAGS]
    return {**request, "Tags": tags}


def delete_notebook(simulation, name: str) -> None:
    simulation.fake.set_status(simulation.backend, name, "Stopped")
    sagemaker = simulation.client("sagemaker")
    sagemaker.delete_notebook_instance(NotebookInstanceName=name)
    assert simulation.status_of(name) == "Deleting"
    simulation.clock.advance(3600)  # the deletion completes in its time, whether or not anyone looks
    assert simulation.status_of(name) == "Gone"


def test_plan_is_read_only_and_issues_the_request_the_workflow_issues(nat_simulation):
    simulation = nat_simulation
    request = full_fields_request()
    player = Player(simulation)
    player.seed_existing(Actor(request, arrival="existing"))
    calls: list[str] = []
    clients.reset()  # clients created from now on carry the recorder
    clients.session().events.register("before-call", lambda model, **kwargs: calls.append(model.name))

    out = io.StringIO()
    assert run_plan(plan_args("full-fields", simulation), stream=out) == 0
    plan = json.loads(out.getvalue())
    assert calls and all(c.startswith(READ_ONLY_PREFIXES) for c in calls), calls
    assert plan["path"] == "recreate" and plan["preflight"]["passed"] is True
    assert plan["operation"] == "CreateNotebookInstance"
    assert plan["request"]["SubnetId"] == simulation.world.nat_subnet_id
    assert plan["preflight"]["internet"]["needed"] is True  # its repositories: a NAT it has
    assert any("AcceleratorTypes" in d for d in plan["dropped"])
    assert simulation.status_of("full-fields") == "InService"  # untouched

    # The workflow, run afterwards, issues the same request (apart from the remediation tags' values).
    simulation.set_actions("remediate", "remediate")
    player.sweep()
    tags = player.tags(player.describe("full-fields")["NotebookInstanceArn"])
    bucket, key = tags[SNAPSHOT_TAG][5:].split("/", 1)
    snapshot = json.loads(simulation.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert without_remediation_tags(plan["request"]) == without_remediation_tags(snapshot["create_request"])


def test_plan_text_output_shows_preflight_and_request(nat_simulation):
    simulation = nat_simulation
    Player(simulation).seed_existing(Actor(full_fields_request(), arrival="existing"))
    out = io.StringIO()
    assert run_plan(plan_args("full-fields", simulation, json=False), stream=out) == 0
    text = out.getvalue()
    assert "Preflight: passed" in text and "CreateNotebookInstance request:" in text
    assert '"DirectInternetAccess": "Disabled"' in text
    assert f"subnet {simulation.world.nat_subnet_id} (us-east-1a): usable; NAT gateway" in text


def test_plan_shows_what_needs_the_internet_and_the_fixes_before_remediation_is_on(simulation):
    """In the default (isolated) network, plan says the remediation would be blocked, and why: the same findings
    as the workflow's blocked alert."""
    Player(simulation).seed_existing(Actor(full_fields_request(), arrival="existing"))
    out = io.StringIO()
    assert run_plan(plan_args("full-fields", simulation, json=False), stream=out) == 1
    text = out.getvalue()
    assert "Preflight: FAILED, the remediation would be blocked" in text
    assert "Internet: the recreated notebook needs it (internet_dependency=block)" in text
    assert "- AdditionalCodeRepositories: `https://github.com/aws/amazon-sagemaker-examples.git`" in text
    assert "- code repository 'analytics-notebooks': `https://git.example.com/analytics-notebooks.git`" in text
    assert "fix: give the target subnets a route to the internet through a NAT gateway" in text
    assert "fix: mirror the Git repositories in AWS CodeCommit" in text


def test_plan_reports_a_blocked_remediation_with_exit_1(simulation):
    Player(simulation).seed_existing(Actor(full_fields_request(), arrival="existing"))
    out = io.StringIO()
    args = plan_args("full-fields", simulation, subnet_id=simulation.world.public_subnet_id)
    assert run_plan(args, stream=out) == 1
    problems = json.loads(out.getvalue())["preflight"]["problems"]
    assert any("igw-" in p or "internet" in p for p in problems), problems


def test_plan_of_a_missing_notebook_is_one_line_and_exit_2(simulation, capsys):
    assert run_plan(plan_args("nobody", simulation)) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"notebook-guard plan: no notebook instance named 'nobody' in {simulation.region}"


def test_restore_round_trips_a_remediated_notebook(nat_simulation, capsys):
    simulation = nat_simulation
    player, record = remediated(simulation, full_fields_request())
    snapshot_uri = record.tags_after[SNAPSHOT_TAG]
    delete_notebook(simulation, "full-fields")

    out = io.StringIO()
    assert run_restore(restore_args(snapshot_uri), stream=out) == 0
    printed = json.loads(out.getvalue())
    assert printed["network"] == "as remediated" and printed["arn"] == record.after["NotebookInstanceArn"]
    restored = player.describe("full-fields")
    assert configuration(restored) == configuration(record.after)
    for field in ("SubnetId", "SecurityGroups", "DirectInternetAccess", "RootAccess"):
        assert restored[field] == record.after[field]
    assert player.tags(restored["NotebookInstanceArn"]) == record.tags_after

    # A notebook of that name exists now: refused, one line, exit 2.
    assert run_restore(restore_args(snapshot_uri)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("notebook-guard restore: refusing to restore: a notebook named full-fields exists")
    assert "\n" not in err


def test_restore_with_the_original_network_undoes_the_remediation(nat_simulation, capsys):
    simulation = nat_simulation
    player, record = remediated(simulation, full_fields_request())
    bucket, key = record.tags_after[SNAPSHOT_TAG][5:].split("/", 1)
    delete_notebook(simulation, "full-fields")

    assert run_restore(restore_args(key, bucket=bucket, original_network=True)) == 0
    restored = player.describe("full-fields")
    assert "SubnetId" not in restored
    assert restored["DirectInternetAccess"] == "Enabled" and restored["RootAccess"] == "Enabled"
    assert configuration(restored) == configuration(record.before) | {}  # AcceleratorTypes is dropped by both
    tags = player.tags(restored["NotebookInstanceArn"])
    expected = {k: v for k, v in record.tags_before.items() if not k.startswith("aws:")}
    assert {k: v for k, v in tags.items() if k != SNAPSHOT_TAG} == expected


def test_restore_refuses_missing_and_foreign_snapshots(simulation, capsys):
    s3 = simulation.client("s3")
    bucket = simulation.world.bucket
    assert run_restore(restore_args(f"s3://{bucket}/snapshots/none.json")) == 2
    assert "no snapshot at" in capsys.readouterr().err
    s3.put_object(Bucket=bucket, Key="other.json", Body=b'{"hello": "world"}')
    assert run_restore(restore_args("other.json", bucket=bucket)) == 2
    assert "is not a notebook-guard snapshot" in capsys.readouterr().err
    assert run_restore(restore_args("other.json")) == 2
    assert "pass --bucket" in capsys.readouterr().err


def test_dry_run_creates_nothing(nat_simulation):
    simulation = nat_simulation
    player, record = remediated(simulation, full_fields_request())
    delete_notebook(simulation, "full-fields")
    out = io.StringIO()
    assert run_restore(restore_args(record.tags_after[SNAPSHOT_TAG], dry_run=True), stream=out) == 0
    assert json.loads(out.getvalue())["arn"] is None
    assert player.describe("full-fields") is None


def test_plan_of_root_access_only_and_of_a_compliant_notebook(simulation):
    world = simulation.world
    private = {"SubnetId": world.private_subnet_id, "SecurityGroupIds": [world.security_group_id]}
    player = Player(simulation)
    base = {"InstanceType": "ml.t3.medium", "RoleArn": world.role_arn, "DirectInternetAccess": "Disabled", **private}
    player.seed_existing(Actor({"NotebookInstanceName": "rooted", "RootAccess": "Enabled", **base}, "existing"))
    player.seed_existing(Actor({"NotebookInstanceName": "fine", "RootAccess": "Disabled", **base}, "existing"))

    out = io.StringIO()
    assert run_plan(plan_args("rooted", simulation), stream=out) == 0
    plan = json.loads(out.getvalue())
    assert plan["path"] == "root-access" and plan["operation"] == "UpdateNotebookInstance"
    assert plan["request"] == {"NotebookInstanceName": "rooted", "RootAccess": "Disabled"}

    out = io.StringIO()
    assert run_plan(plan_args("fine", simulation, json=False), stream=out) == 0
    assert "compliant: a remediation would do nothing." in out.getvalue()
