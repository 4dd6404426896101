"""``notebook-guard plan NAME`` and ``notebook-guard restore SNAPSHOT``: the logic behind the two commands.

Both run against whatever the standard AWS environment points at (``AWS_PROFILE``, ``AWS_REGION``,
``AWS_ENDPOINT_URL``...), with ``--region`` winning over it. They reuse the workflow's own code: the Preflight
step's checks (the step function itself, unwrapped from its Lambda decorations, with the settings given as
options), the Snapshot step's target and ``domain.recreate``'s request planning, so what they print is what a
remediation would do.

CLI wiring: ``add_plan_arguments(parser)`` / ``run_plan(args)`` and ``add_restore_arguments(parser)`` /
``run_restore(args)``; each ``run_*`` returns the exit code. Exit codes: 0 ok; 1 ``plan``: the remediation would
be blocked by its preflight; 2 usage or AWS error (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from notebook_guard.aws import clients, s3, sagemaker
from notebook_guard.domain import preservation, workflow
from notebook_guard.domain.recreate import (
    EXECUTION_TAG,
    NETWORK_FIELDS,
    REMEDIATED_AT_TAG,
    SNAPSHOT_SCHEMA,
    checksum,
    plan_create_request,
    snapshot_key,
    snapshot_problems,
)
from notebook_guard.services.detection import evaluate_described
from notebook_guard.settings import DEFAULT_ENDPOINTS, Settings
from notebook_guard_local.commands.common import CommandError, resolve_region

PLAN_DESCRIPTION = """\
Show what a remediation of notebook NAME would do, without changing anything: the notebook's violations, the
preflight checks the workflow runs before anything destructive (target subnet private, security groups in its
VPC, VPC endpoints present, execution role and KMS key usable) and the exact CreateNotebookInstance request
the workflow would issue (or the UpdateNotebookInstance for a root-access-only fix). Read-only: it only calls
Describe/List/Get APIs.

AWS access comes from the standard environment (AWS_PROFILE, AWS_ACCESS_KEY_ID..., AWS_REGION,
AWS_ENDPOINT_URL); --region overrides the region."""

PLAN_EPILOG = """\
Examples:
  notebook-guard plan churn-forecast --region eu-west-1 \\
      --subnet-id subnet-0abc1234def567890 --security-group-id sg-0123456789abcdef0

exit codes: 0 the remediation could proceed (or nothing to do), 1 its preflight would block it,
2 usage or AWS error."""

RESTORE_DESCRIPTION = """\
Recreate a notebook instance from a snapshot written by the remediation workflow (the document under
s3://BUCKET/snapshots/NAME/TIME.json, named in every alert and in the notebook's notebook-guard:snapshot tag).
The snapshot is read, its schema and checksum verified, and the restore refused if a notebook of that name
exists. By default the notebook is restored AS REMEDIATED: into the private subnet and security groups the
snapshot's plan recorded, without direct internet access. With --original-network it is restored exactly as
it was before the remediation (its original subnet or none, internet access and root access), e.g. to undo.

AWS access comes from the standard environment (AWS_PROFILE, AWS_ACCESS_KEY_ID..., AWS_REGION,
AWS_ENDPOINT_URL); --region overrides the region."""

RESTORE_EPILOG = """\
Examples:
  notebook-guard restore s3://notebook-guard-snapshots/snapshots/churn-forecast/20261127T061253Z.json
  notebook-guard restore snapshots/churn-forecast/20261127T061253Z.json --bucket notebook-guard-snapshots
  notebook-guard restore s3://.../20261127T061253Z.json --original-network --dry-run

exit codes: 0 restored (or, with --dry-run, would restore), 2 usage or AWS error, missing or invalid snapshot,
or a notebook of that name exists."""


class OperationError(CommandError):
    """The operation cannot proceed; the message is one line for the user."""


# ---------------------------------------------------------------------------------------------------------
# plan


@dataclass
class PlanOptions:
    subnet_id: str | None = None
    security_group_ids: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = DEFAULT_ENDPOINTS
    root_access: str = "disabled"  # the policy: "disabled" (required) or "allowed"
    snapshot_bucket: str | None = None
    region: str | None = None
    data_preservation: str = "auto"


@dataclass
class PlanResult:
    notebook_name: str
    status: str
    path: str  # workflow.RECREATE / ROOT_ACCESS / COMPLIANT / EXEMPT
    violations: list[dict]
    preflight: dict
    request: dict | None  # the CreateNotebookInstance (recreate) or UpdateNotebookInstance (root access)
    operation: str | None
    dropped: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # data preservation: whether, the volume, the bound, the extra time

    @property
    def blocked(self) -> bool:
        return self.path in (workflow.RECREATE, workflow.ROOT_ACCESS) and not self.preflight.get("passed", True)

    def to_dict(self) -> dict:
        return {
            "notebook_name": self.notebook_name,
            "status": self.status,
            "path": self.path,
            "violations": self.violations,
            "preflight": self.preflight,
            "operation": self.operation,
            "request": self.request,
            "dropped": self.dropped,
            "data": self.data,
        }


def plan_settings(options: PlanOptions, region: str) -> Settings:
    try:
        return Settings(
            region=region,
            target_subnet_ids=(options.subnet_id,) if options.subnet_id else (),
            target_security_group_ids=tuple(options.security_group_ids),
            required_endpoints=tuple(options.endpoints),
            root_access=options.root_access,
            snapshot_bucket=options.snapshot_bucket,
        )
    except ValueError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in getattr(error, "errors", lambda: [])()) or error
        raise OperationError(f"invalid options: {problems}") from None


def run_preflight(
    settings: Settings, path: str, describe: dict, lifecycle_config: dict | None = None, key_policy: bool = True
) -> dict:
    """The workflow's own Preflight checks (``services.preflight``), without the permission simulation (the CLI's
    caller is not the workflow's roles): the path to the target subnets and what the notebook needs, role, key."""
    from notebook_guard.services.preflight import PreflightReads, check_notebook

    reads = PreflightReads(settings.region)
    account = (describe.get("NotebookInstanceArn") or "arn:aws:sagemaker:r:000000000000:x").split(":")[4]
    report = check_notebook(settings, path, describe, lifecycle_config, account, reads, read_key_policy=key_policy)
    return {"passed": not report.problems, **report.to_dict()}


def plan_remediation(name: str, options: PlanOptions) -> PlanResult:
    """Describe ``name``, evaluate it, run the preflight and plan the request. Calls only read APIs."""
    from notebook_guard.handlers.steps.snapshot import target_of

    region = resolve_region(options.region)
    settings = plan_settings(options, region)
    describe = sagemaker.describe_notebook(name, region)
    if describe is None:
        raise OperationError(f"no notebook instance named {name!r} in {region}")
    evaluation = evaluate_described(describe, settings)
    path = workflow.decide_path(evaluation)
    result = PlanResult(
        notebook_name=name,
        status=describe.get("NotebookInstanceStatus", "?"),
        path=path,
        violations=[v.to_dict() for v in evaluation.violations],
        preflight={"passed": True, "problems": []},
        request=None,
        operation=None,
    )
    if path not in (workflow.RECREATE, workflow.ROOT_ACCESS):
        return result
    lifecycle_name = describe.get("NotebookInstanceLifecycleConfigName")
    lifecycle = sagemaker.describe_lifecycle_config(lifecycle_name, region) if lifecycle_name else None
    result.preflight = run_preflight(settings, path, describe, lifecycle)
    if path == workflow.ROOT_ACCESS:
        result.operation = "UpdateNotebookInstance"
        result.request = {"NotebookInstanceName": name, "RootAccess": "Disabled"}
        return result
    tags = sagemaker.list_tags(describe["NotebookInstanceArn"], region)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    execution = "<execution-name>"  # each remediation's own (unique per attempt)
    key = snapshot_key(name, execution, 1, settings.snapshot_prefix)
    uri = f"s3://{options.snapshot_bucket or '<snapshot-bucket>'}/{key}"
    plan = plan_create_request(describe, tags, target_of(settings), now, uri, execution)
    result.operation = "CreateNotebookInstance"
    result.request = plan.request
    result.dropped = plan.dropped
    result.data = data_plan(describe, settings, options.data_preservation)
    return result


def data_plan(describe: dict, settings: Settings, mode: str) -> dict:
    """Whether the volume would be backed up (as of now), its size, the bound of each copy and the time it adds."""
    created = describe.get("CreationTime")
    created = created.isoformat() if hasattr(created, "isoformat") else created
    decision = preservation.decide(mode, created, datetime.now(UTC).isoformat(), settings.restart_window_seconds)
    volume_gb = describe.get("VolumeSizeInGB") or 5
    throughput = settings.backup_throughput_mb_per_second
    return {
        **decision.to_dict(),
        "volume_gb": volume_gb,
        "bound_minutes": round(settings.backup_bound_seconds(volume_gb) / 60, 1),
        "expected_extra_minutes": round(preservation.expected_extra_seconds(volume_gb, throughput) / 60, 1)
        if decision.wanted
        else 0,
    }


def print_plan(result: PlanResult, stream: TextIO) -> None:
    write = lambda text="": print(text, file=stream)  # noqa: E731
    write(f"Notebook {result.notebook_name} ({result.status})")
    if not result.violations:
        write("  compliant: a remediation would do nothing.")
        return
    for violation in result.violations:
        write(f"  - {violation['control_id']} ({violation['check']}): {violation['reason']}")
    if result.path == workflow.EXEMPT:
        write("  exempt (exemption tag): a remediation would only record it.")
        return
    how = "stop, snapshot, delete, recreate" if result.path == workflow.RECREATE else "stop, disable root, start"
    write(f"Remediation path: {result.path} ({how})")
    write("")
    write("Preflight: " + ("passed" if result.preflight.get("passed") else "FAILED, the remediation would be blocked"))
    for problem in result.preflight.get("problems") or []:
        write(f"  - {problem}")
    print_path(result.preflight, write)
    for dropped in result.dropped:
        write(f"  not carried over: {dropped}")
    data = result.data
    if data.get("wanted"):
        write(
            f"Data: the storage volume ({data['volume_gb']} GB allocated; its use is not visible from the API) is "
            f"backed up before the delete and restored after ({data['why']}): about {data['expected_extra_minutes']} "
            f"more minutes if it is full, each copy bounded to {data['bound_minutes']} min"
        )
    elif data:
        write(f"Data: NOT preserved ({data['why']}): the storage volume is lost with the delete")
    write("")
    write(f"{result.operation} request:")
    write(json.dumps(result.request, indent=2, default=str))


def print_path(preflight: dict, write) -> None:
    """The target subnets the recreate would use, and what the notebook needs from the internet (with the fixes)."""
    for subnet in preflight.get("subnets") or []:
        egress = (subnet.get("egress") or {}).get("kind") or "no way to the internet"
        write(f"  subnet {subnet['subnet_id']} ({subnet['availability_zone']}): usable; {egress}")
    for skipped in preflight.get("skipped_subnets") or []:
        write(f"  subnet {skipped['subnet_id']}: skipped ({'; '.join(skipped['reasons'])})")
    for warning in preflight.get("warnings") or []:
        write(f"  warning: {warning}")
    found = preflight.get("internet") or {}
    evidence = [e for e in found.get("evidence") or [] if e.get("effect") != "mentions"]
    if evidence:
        write(f"Internet: the recreated notebook needs it (internet_dependency={found.get('policy')})")
        for item in evidence:
            write(f"  - {item['source']}: `{item['text']}` ({item['reason']}; {item['effect']} without it)")
        for fix in found.get("fixes") or []:
            write(f"  fix: {fix}")
    elif found:
        write("Internet: not needed (no lifecycle script or repository fetches from it)")


def add_plan_arguments(parser: argparse.ArgumentParser, region: bool = True) -> argparse.ArgumentParser:
    """Declare the options; ``region=False`` when the caller's parser already has ``--region``."""
    parser.add_argument("name", metavar="NAME", help="notebook instance name")
    parser.add_argument("--subnet-id", help="target private subnet (the stack's NG_TARGET_SUBNET_IDS)")
    parser.add_argument(
        "--security-group-id",
        action="append",
        default=[],
        dest="security_group_ids",
        metavar="SG_ID",
        help="target security group for the notebook; repeat for several",
    )
    parser.add_argument(
        "--endpoint",
        action="append",
        dest="endpoints",
        metavar="SERVICE",
        help=f"VPC endpoint the target VPC must have (short name, e.g. sagemaker.api); repeat; "
        f"default: {', '.join(DEFAULT_ENDPOINTS)}",
    )
    parser.add_argument(
        "--root-access",
        choices=("disabled", "allowed"),
        default="disabled",
        help="policy for root access (default: disabled, so the recreated notebook gets RootAccess=Disabled)",
    )
    parser.add_argument("--snapshot-bucket", help="snapshot bucket, to show the snapshot tag as it would be")
    parser.add_argument(
        "--data-preservation",
        choices=("auto", "always", "never"),
        default="auto",
        help="the stack's data_preservation (default: auto)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document")
    if region:
        parser.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
    return parser


def run_plan(args: argparse.Namespace, stream: TextIO | None = None) -> int:
    """CLI entry: ``args.name``, ``args.subnet_id``, ``args.security_group_ids``, ``args.endpoints``,
    ``args.root_access``, ``args.snapshot_bucket``, ``args.json``, ``args.region``."""
    stream = stream or sys.stdout
    options = PlanOptions(
        subnet_id=getattr(args, "subnet_id", None),
        security_group_ids=tuple(getattr(args, "security_group_ids", None) or ()),
        endpoints=tuple(getattr(args, "endpoints", None) or DEFAULT_ENDPOINTS),
        root_access=getattr(args, "root_access", None) or "disabled",
        snapshot_bucket=getattr(args, "snapshot_bucket", None),
        region=getattr(args, "region", None),
        data_preservation=getattr(args, "data_preservation", None) or "auto",
    )
    try:
        result = plan_remediation(args.name, options)
    except Exception as error:
        return fail("plan", error)
    if getattr(args, "json", False):
        print(json.dumps(result.to_dict(), indent=2, default=str), file=stream)
    else:
        print_plan(result, stream)
    return 1 if result.blocked else 0


# ---------------------------------------------------------------------------------------------------------
# restore


@dataclass
class RestoreOptions:
    bucket: str | None = None
    version_id: str | None = None  # the version the workflow verified (alerts and audit records name it)
    original_network: bool = False
    dry_run: bool = False
    region: str | None = None
    data: str | None = None  # s3://BUCKET/backups/NAME/EXECUTION/: the storage volume's backup to restore into it
    wait: bool = True  # wait for the data's restore, then remove the access it needed


@dataclass
class RestoreResult:
    notebook_name: str
    snapshot_uri: str
    request: dict
    arn: str | None
    network: str  # "as remediated" | "original"
    dry_run: bool
    data: object | None = None  # restore_data.DataRestore, with --data
    original_config: str | None = None

    def to_dict(self) -> dict:
        return {
            "notebook_name": self.notebook_name,
            "snapshot_uri": self.snapshot_uri,
            "network": self.network,
            "dry_run": self.dry_run,
            "arn": self.arn,
            "request": self.request,
            "data": self.data.to_dict() if self.data is not None else None,
        }


def snapshot_location(reference: str, bucket: str | None) -> tuple[str, str]:
    if reference.startswith("s3://"):
        try:
            return s3.parse_s3_uri(reference)
        except ValueError as error:
            raise OperationError(str(error)) from None
    if not bucket:
        raise OperationError(f"{reference!r} is a key: pass --bucket, or give the s3://bucket/key URI")
    return bucket, reference.lstrip("/")


def read_snapshot(bucket: str, key: str, region: str, version_id: str | None = None) -> dict:
    """The snapshot document, verified: readable, our schema, checksum as written, a complete create request."""
    client = clients.client("s3", region)
    try:
        response = client.get_object(Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {}))
    except client.exceptions.NoSuchKey:
        raise OperationError(f"no snapshot at s3://{bucket}/{key}") from None
    except client.exceptions.NoSuchBucket:
        raise OperationError(f"no bucket {bucket!r}") from None
    body = response["Body"].read()
    written = (response.get("Metadata") or {}).get("sha256")
    if written and written != checksum(body):
        raise OperationError(f"s3://{bucket}/{key} does not match the checksum it was written with")
    try:
        document = json.loads(body)
    except ValueError:
        raise OperationError(f"s3://{bucket}/{key} is not JSON") from None
    if not isinstance(document, dict) or document.get("schema") != SNAPSHOT_SCHEMA:
        raise OperationError(f"s3://{bucket}/{key} is not a notebook-guard snapshot")
    notebook = document.get("notebook") or {}
    problems = snapshot_problems(document, notebook.get("arn"), None, restorable=True)
    if problems:
        raise OperationError(f"s3://{bucket}/{key}: " + "; ".join(problems))
    return document


def original_request(document: dict) -> dict:
    """The planned request with the network and root access the notebook had before the remediation."""
    describe = document.get("describe") or {}
    request = {k: v for k, v in document["create_request"].items() if k not in (*NETWORK_FIELDS, "RootAccess")}
    if describe.get("SubnetId"):
        request["SubnetId"] = describe["SubnetId"]
        request["SecurityGroupIds"] = list(describe.get("SecurityGroups") or [])
    if describe.get("DirectInternetAccess"):
        request["DirectInternetAccess"] = describe["DirectInternetAccess"]
    if describe.get("RootAccess"):
        request["RootAccess"] = describe["RootAccess"]
    request["Tags"] = [t for t in request.get("Tags", []) if t["Key"] not in (REMEDIATED_AT_TAG, EXECUTION_TAG)]
    return request


def restore_from_snapshot(reference: str, options: RestoreOptions) -> RestoreResult:
    """Recreate the notebook from its snapshot; refuses when a notebook of that name exists."""
    region = resolve_region(options.region)
    bucket, key = snapshot_location(reference, options.bucket)
    document = read_snapshot(bucket, key, region, options.version_id)
    request = original_request(document) if options.original_network else dict(document["create_request"])
    name = request["NotebookInstanceName"]
    existing = sagemaker.describe_notebook(name, region)
    if existing is not None:
        raise OperationError(
            f"refusing to restore: a notebook named {name} exists ({existing.get('NotebookInstanceStatus')}); "
            "delete it first or restore elsewhere"
        )
    settings = Settings(region=region, required_endpoints=())
    checked = run_preflight(  # role and key only (the key's policy concerns the workflow's roles, not the operator)
        settings,
        workflow.ROOT_ACCESS,
        {"RoleArn": request.get("RoleArn"), "KmsKeyId": request.get("KmsKeyId")},
        key_policy=False,
    )
    problems = checked["problems"] + dualstack_problems(request, region)
    if problems:
        raise OperationError("cannot restore: " + "; ".join(problems))
    original_config = request.get("LifecycleConfigName")
    data = None
    if options.data:
        from notebook_guard_local import restore_data

        if options.dry_run:
            restore_data.verify(*restore_data.parse_data_uri(options.data), region)
        else:
            data = restore_data.prepare_data_restore(options.data, document, request, region)
            request = {**request, "LifecycleConfigName": data.config}
    try:
        arn = None if options.dry_run else sagemaker.create_notebook(request, region)
    except Exception:
        if data is not None:  # the notebook's role keeps no access to a backup nothing restores
            restore_data.take_back(data, region)
        raise
    if data is not None and options.wait:
        restore_data.wait_and_clean(data, name, region)
    return RestoreResult(
        notebook_name=name,
        snapshot_uri=s3.s3_uri(bucket, key),
        request=request,
        arn=arn,
        network="original" if options.original_network else "as remediated",
        dry_run=options.dry_run,
        data=data,
        original_config=original_config,
    )


def dualstack_problems(request: dict, region: str) -> list[str]:
    """A dualstack request into a subnet without IPv6 fails: refuse it rather than replay it (the workflow's snapshot
    already decided the address type for its subnet; this catches a subnet changed since)."""
    from notebook_guard.aws import ec2
    from notebook_guard.domain import network

    if request.get("IpAddressType") != "dualstack" or not request.get("SubnetId"):
        return []
    found = ec2.subnets((request["SubnetId"],), region)
    if found and not network.has_ipv6(found[0]):
        return [
            f"the request is dualstack and subnet {request['SubnetId']} has no IPv6 CIDR block: CreateNotebookInstance "
            "would fail (add an IPv6 block to the subnet, or edit IpAddressType to ipv4 in the request)"
        ]
    return []


def add_restore_arguments(parser: argparse.ArgumentParser, region: bool = True) -> argparse.ArgumentParser:
    """Declare the options; ``region=False`` when the caller's parser already has ``--region``."""
    parser.add_argument(
        "snapshot", metavar="SNAPSHOT", help="s3://bucket/key of the snapshot, or its key with --bucket"
    )
    parser.add_argument("--bucket", help="snapshot bucket, when SNAPSHOT is a key")
    parser.add_argument(
        "--version-id",
        help="the snapshot's version, as the alert or the audit record names it (default: the latest version)",
    )
    parser.add_argument(
        "--original-network",
        action="store_true",
        help="restore with the network and root access the notebook had before remediation (default: as "
        "remediated, in the private subnet recorded in the snapshot)",
    )
    parser.add_argument("--dry-run", action="store_true", help="verify and print the request; create nothing")
    parser.add_argument(
        "--data",
        metavar="S3_URI",
        help="also restore the storage volume from this backup (s3://BUCKET/backups/NAME/EXECUTION/, named in the "
        "alert): verified, then copied back into the new notebook when SageMaker creates it",
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="with --data: do not wait for the data's restore (the access given to the notebook's role then stays; "
        "retire the grant and remove the bucket statements afterwards)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document")
    if region:
        parser.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
    return parser


def run_restore(args: argparse.Namespace, stream: TextIO | None = None) -> int:
    """CLI entry: ``args.snapshot``, ``args.bucket``, ``args.original_network``, ``args.dry_run``, ``args.json``,
    ``args.region``."""
    stream = stream or sys.stdout
    options = RestoreOptions(
        bucket=getattr(args, "bucket", None),
        version_id=getattr(args, "version_id", None),
        original_network=bool(getattr(args, "original_network", False)),
        dry_run=bool(getattr(args, "dry_run", False)),
        region=getattr(args, "region", None),
        data=getattr(args, "data", None),
        wait=not getattr(args, "no_wait", False),
    )
    try:
        result = restore_from_snapshot(args.snapshot, options)
    except Exception as error:
        return fail("restore", error)
    failed = result.data is not None and result.data.marker == "restore-failed.json"
    if getattr(args, "json", False):
        print(json.dumps(result.to_dict(), indent=2, default=str), file=stream)
        return 2 if failed else 0
    where = result.request.get("SubnetId") or "no VPC (SageMaker service network)"
    verb = "Would create" if result.dry_run else "Created"
    print(f"{verb} notebook {result.notebook_name} from {result.snapshot_uri}", file=stream)
    print(f"  network: {result.network}, subnet {where}", file=stream)
    if result.arn:
        print(f"  arn: {result.arn} (Pending; it is InService in a few minutes)", file=stream)
    if result.data is not None:
        from notebook_guard_local.restore_data import summary

        for line in summary(result.data, result.notebook_name, result.original_config):
            print(line, file=stream)
    print("CreateNotebookInstance request:", file=stream)
    print(json.dumps(result.request, indent=2, default=str), file=stream)
    return 2 if failed else 0


def fail(command: str, error: Exception) -> int:
    """One line on stderr, exit 2: the user's mistake or AWS's refusal, never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    from notebook_guard_local.commands.common import describe_aws_error

    if isinstance(error, CommandError):  # OperationError, or no region (from resolve_region)
        text = str(error)
    elif isinstance(error, BotoCoreError | ClientError):
        text = f"AWS error: {describe_aws_error(error)}"
    else:
        raise error
    print(f"notebook-guard {command}: {text}", file=sys.stderr)
    return 2
