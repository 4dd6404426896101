"""``plan NAME`` (read-only, same checks and request as the workflow) and ``restore SNAPSHOT`` (round trip),
through the command line as a user runs them."""

from __future__ import annotations

import json

import pytest

from notebook_guard.domain.recreate import OUR_TAGS, SNAPSHOT_TAG
from notebook_guard_local.aws_access import CallNotices
from notebook_guard_local.cli import main
from notebook_guard_local.demo.engine import Actor, Player, configuration
from tests.demo.conftest import full_fields_request, remediated

READ_ONLY_PREFIXES = ("Describe", "List", "Get")


def plan(simulation, capsys, name, *options) -> tuple[int, str, str]:
    world = simulation.world
    argv = ["plan", name, "--subnet-id", simulation.target_subnet_id, "--security-group-id", world.security_group_id]
    code = main([*argv, "--snapshot-bucket", world.bucket, *options])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def restore(capsys, *argv) -> tuple[int, str, str]:
    code = main(["restore", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


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


@pytest.fixture
def api_calls(monkeypatch):
    """The operations the command makes (recorded on the clients' session the CLI configures)."""
    calls: list[str] = []
    register = CallNotices.register

    def recording(self, session):
        register(self, session)
        session.events.register("before-call", lambda model, **_: calls.append(model.name))

    monkeypatch.setattr(CallNotices, "register", recording)
    return calls


def test_plan_is_read_only_and_issues_the_request_the_workflow_issues(nat_simulation, capsys, api_calls):
    simulation = nat_simulation
    request = full_fields_request()
    player = Player(simulation)
    player.seed_existing(Actor(request, arrival="existing"))

    code, out, err = plan(simulation, capsys, "full-fields", "--output", "json")
    assert code == 0, err
    planned = json.loads(out)
    assert api_calls and all(c.startswith(READ_ONLY_PREFIXES) for c in api_calls), api_calls
    assert planned["path"] == "recreate" and planned["preflight"]["passed"] is True
    assert planned["operation"] == "CreateNotebookInstance"
    assert planned["request"]["SubnetId"] == simulation.world.nat_subnet_id
    assert planned["preflight"]["internet"]["needed"] is True  # its repositories: a NAT it has
    assert planned["deletes_storage_volume"] is True and planned["steps"][0].startswith("snapshot")
    assert any("AcceleratorTypes" in d for d in planned["dropped"])
    # What made it, when, where.
    assert planned["tool"]["name"] == "notebook-guard" and planned["account"] == "123456789012"
    assert planned["regions"] == [simulation.region] and planned["time"].endswith("Z")
    assert simulation.status_of("full-fields") == "InService"  # untouched

    # The workflow, run afterwards, issues the same request (apart from the remediation tags' values).
    simulation.set_actions("remediate", "remediate")
    player.sweep()
    tags = player.tags(player.describe("full-fields")["NotebookInstanceArn"])
    bucket, key = tags[SNAPSHOT_TAG][5:].split("/", 1)
    snapshot = json.loads(simulation.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert without_remediation_tags(planned["request"]) == without_remediation_tags(snapshot["create_request"])


def test_plan_text_lists_the_steps_in_order_and_says_whether_the_volume_is_kept(nat_simulation, capsys):
    simulation = nat_simulation
    Player(simulation).seed_existing(Actor(full_fields_request(), arrival="existing"))

    def numbered(text: str) -> list[str]:
        steps = [line.strip() for line in text.splitlines() if line.strip()[:2] in {f"{n}." for n in range(1, 7)}]
        return [s.split(" ", 2)[1] for s in steps]

    # An existing notebook, data_preservation auto (the default): backed up before the delete, restored after.
    code, text, _ = plan(simulation, capsys, "full-fields")
    assert code == 0
    assert numbered(text) == ["snapshot", "check", "wait", "back", "delete", "recreate"]
    assert "back up its storage volume (/home/ec2-user/SageMaker)" in text and "not a disk snapshot" not in text
    assert "Data: the storage volume (" in text and "is backed up before the delete and restored after" in text
    assert "Preflight: passed" in text and "CreateNotebookInstance request:" in text
    assert '"DirectInternetAccess": "Disabled"' in text
    assert f"subnet {simulation.world.nat_subnet_id} (us-east-1a): usable; NAT gateway" in text
    # data_preservation never: the delete destroys the volume, and the plan says so.
    code, text, _ = plan(simulation, capsys, "full-fields", "--data-preservation", "never")
    assert code == 0
    assert numbered(text) == ["snapshot", "check", "wait", "delete", "recreate"]
    assert "destroys its ML storage volume (/home/ec2-user/SageMaker)" in text
    assert "not a disk snapshot" in text
    assert "Data: NOT preserved (data_preservation is never" in text


def test_plan_shows_what_needs_the_internet_and_the_fixes_before_remediation_is_on(simulation, capsys):
    """In the default (isolated) network, plan says the remediation would be blocked, and why: the same findings
    as the workflow's blocked alert."""
    Player(simulation).seed_existing(Actor(full_fields_request(), arrival="existing"))
    code, text, _ = plan(simulation, capsys, "full-fields")
    assert code == 1
    assert "Preflight: FAILED, the remediation would be blocked" in text
    assert "Internet: the recreated notebook needs it (internet_dependency=block)" in text
    assert "- AdditionalCodeRepositories: `https://github.com/aws/amazon-sagemaker-examples.git`" in text
    assert "- code repository 'analytics-notebooks': `https://git.example.com/analytics-notebooks.git`" in text
    assert "fix: give the target subnets a route to the internet through a NAT gateway" in text
    assert "fix: mirror the Git repositories in AWS CodeCommit" in text


def test_plan_csv_and_sarif(nat_simulation, capsys):
    simulation = nat_simulation
    Player(simulation).seed_existing(Actor(full_fields_request(), arrival="existing"))
    code, out, _ = plan(simulation, capsys, "full-fields", "--output", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "section,item,value"
    assert "request,SubnetId," + simulation.world.nat_subnet_id in lines
    code, out, _ = plan(simulation, capsys, "full-fields", "--output", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"SageMaker.1", "SageMaker.2", "SageMaker.3"}


def test_plan_reports_a_blocked_remediation_with_exit_1(simulation, capsys):
    Player(simulation).seed_existing(Actor(full_fields_request(), arrival="existing"))
    world = simulation.world
    code = main(["plan", "full-fields", "--subnet-id", world.public_subnet_id, "--security-group-id",
                 world.security_group_id, "--json"])  # fmt: skip
    assert code == 1
    problems = json.loads(capsys.readouterr().out)["preflight"]["problems"]
    assert any("igw-" in p or "internet" in p for p in problems), problems


def test_plan_of_a_missing_notebook_is_one_line_and_exit_2(simulation, capsys):
    code, out, err = plan(simulation, capsys, "nobody")
    assert code == 2 and out == ""
    assert err.strip() == f"notebook-guard: error: no notebook instance named 'nobody' in {simulation.region}"


def test_restore_round_trips_a_remediated_notebook(nat_simulation, capsys):
    simulation = nat_simulation
    player, record = remediated(simulation, full_fields_request())
    snapshot_uri = record.tags_after[SNAPSHOT_TAG]
    delete_notebook(simulation, "full-fields")

    code, out, err = restore(capsys, snapshot_uri, "--output", "json")
    assert code == 0, err
    printed = json.loads(out)
    assert printed["network"] == "as remediated" and printed["arn"] == record.after["NotebookInstanceArn"]
    assert printed["account"] == "123456789012" and printed["time"].endswith("Z")
    restored = player.describe("full-fields")
    assert configuration(restored) == configuration(record.after)
    for field in ("SubnetId", "SecurityGroups", "DirectInternetAccess", "RootAccess"):
        assert restored[field] == record.after[field]
    assert player.tags(restored["NotebookInstanceArn"]) == record.tags_after

    # A notebook of that name exists now: refused, one line, exit 2.
    code, _, err = restore(capsys, snapshot_uri)
    assert code == 2
    assert err.startswith("notebook-guard: error: refusing to restore: a notebook named full-fields exists")
    assert "--name" in err and len(err.strip().splitlines()) == 1


def test_restore_under_another_name_while_the_original_exists(nat_simulation, capsys):
    simulation = nat_simulation
    player, record = remediated(simulation, full_fields_request())
    code, out, err = restore(capsys, record.tags_after[SNAPSHOT_TAG], "--name", "full-fields-copy", "--json")
    assert code == 0, err
    assert json.loads(out)["notebook_name"] == "full-fields-copy"
    copy = player.describe("full-fields-copy")
    assert configuration(copy) | {"NotebookInstanceName": "x", "NotebookInstanceArn": "x"} == configuration(
        record.after
    ) | {"NotebookInstanceName": "x", "NotebookInstanceArn": "x"}
    assert player.describe("full-fields")["NotebookInstanceStatus"] == "InService"  # the original, untouched

    code, _, err = restore(capsys, record.tags_after[SNAPSHOT_TAG], "--name", "not_a_name")
    assert code == 2 and "invalid notebook name 'not_a_name'" in err


def test_a_dry_run_works_while_the_notebook_exists_and_creates_nothing(nat_simulation, capsys):
    simulation = nat_simulation
    player, record = remediated(simulation, full_fields_request())
    code, out, err = restore(capsys, record.tags_after[SNAPSHOT_TAG], "--dry-run")
    assert code == 0, err
    assert out.startswith("Would create notebook full-fields from s3://")
    assert "a notebook named full-fields exists (InService): a restore would be refused" in out
    assert "storage volume is not in the snapshot" in out
    assert len(player.sim.backend.notebook_instances) == 1


def test_restore_with_the_original_network_undoes_the_remediation(nat_simulation, capsys):
    simulation = nat_simulation
    player, record = remediated(simulation, full_fields_request())
    bucket, key = record.tags_after[SNAPSHOT_TAG][5:].split("/", 1)
    delete_notebook(simulation, "full-fields")

    assert restore(capsys, key, "--bucket", bucket, "--original-network")[0] == 0
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
    code, _, err = restore(capsys, f"s3://{bucket}/snapshots/none.json")
    assert code == 2 and "no snapshot at" in err
    s3.put_object(Bucket=bucket, Key="other.json", Body=b'{"hello": "world"}')
    code, _, err = restore(capsys, "other.json", "--bucket", bucket)
    assert code == 2 and "is not a notebook-guard snapshot" in err
    code, _, err = restore(capsys, "other.json")
    assert code == 2 and "no file 'other.json'" in err and "--bucket" in err


def test_a_local_copy_of_a_snapshot_restores_and_is_verified(nat_simulation, capsys, tmp_path):
    simulation = nat_simulation
    player, record = remediated(simulation, full_fields_request())
    (saved,) = [p for p in simulation.save_snapshots(tmp_path) if p.suffix == ".json"]
    assert saved.with_name(saved.name + ".sha256").is_file()

    # Offline: the file alone, no AWS call at all (the endpoint is unreachable on purpose).
    code, out, err = restore(capsys, "--endpoint-url", "http://127.0.0.1:9", str(saved), "--dry-run", "--offline")
    assert code == 0, err
    assert "offline: the snapshot was verified" in out and '"NotebookInstanceName": "full-fields"' in out

    delete_notebook(simulation, "full-fields")
    code, out, err = restore(capsys, str(saved))
    assert code == 0, err
    assert player.describe("full-fields")["SubnetId"] == record.after["SubnetId"]

    saved.write_bytes(saved.read_bytes().replace(b'"ml.', b'"ml.x'))  # tampered after it was written
    code, _, err = restore(capsys, str(saved), "--dry-run", "--offline")
    assert code == 2 and "does not match the checksum it was written with" in err
    code, _, err = restore(capsys, str(saved), "--offline")
    assert code == 2 and "--offline checks a local snapshot file only" in err


def test_plan_of_root_access_only_and_of_a_compliant_notebook(simulation, capsys):
    world = simulation.world
    private = {"SubnetId": world.private_subnet_id, "SecurityGroupIds": [world.security_group_id]}
    player = Player(simulation)
    base = {"InstanceType": "ml.t3.medium", "RoleArn": world.role_arn, "DirectInternetAccess": "Disabled", **private}
    player.seed_existing(Actor({"NotebookInstanceName": "rooted", "RootAccess": "Enabled", **base}, "existing"))
    player.seed_existing(Actor({"NotebookInstanceName": "fine", "RootAccess": "Disabled", **base}, "existing"))

    code, out, _ = plan(simulation, capsys, "rooted", "--json")
    assert code == 0
    planned = json.loads(out)
    assert planned["path"] == "root-access" and planned["operation"] == "UpdateNotebookInstance"
    assert planned["request"] == {"NotebookInstanceName": "rooted", "RootAccess": "Disabled"}
    assert planned["deletes_storage_volume"] is False

    code, out, _ = plan(simulation, capsys, "fine")
    assert code == 0 and "compliant: a remediation would do nothing." in out
