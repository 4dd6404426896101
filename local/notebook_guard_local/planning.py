"""``plan NAME``: what a remediation of one notebook would do, computed with the workflow's own code.

It reuses the Preflight step's checks (the step function itself, unwrapped from its Lambda decorations, with
the settings given as options), the Snapshot step's target and ``domain.recreate``'s request planning, so what
it prints is what a remediation would do. Read-only: only Describe/List/Get calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TextIO

from notebook_guard.aws import sagemaker
from notebook_guard.domain import workflow
from notebook_guard.domain.recreate import plan_create_request, snapshot_key
from notebook_guard.domain.timestamps import utc_timestamp
from notebook_guard.services.detection import evaluate_described
from notebook_guard.settings import DEFAULT_ENDPOINTS, Settings
from notebook_guard_local.aws_access import CommandError, resolve_region

VOLUME_PATH = "/home/ec2-user/SageMaker"

# The workflow's steps in the order it runs them (infra/statemachine/remediation.asl.json), per path.
STEPS = {
    workflow.RECREATE: (
        "snapshot the configuration (settings, tags, lifecycle scripts) to S3 and read it back",
        "check the target network, role and key (preflight)",
        "wait until the notebook is stable, then stop it",
        f"delete it: this destroys its ML storage volume ({VOLUME_PATH}) and every file on it",
        "recreate it under the same name in the private subnet, then verify it",
    ),
    workflow.ROOT_ACCESS: (
        "snapshot the configuration to S3 and read it back",
        "check the role and key (preflight)",
        "stop the notebook (its storage volume is kept)",
        "disable root access (UpdateNotebookInstance)",
        "start it again if it was running, then verify it",
    ),
}
VOLUME_WARNING = (
    f"The snapshot is of the notebook's configuration, not a disk snapshot: files on {VOLUME_PATH} are lost "
    "when the notebook is deleted. Copy what matters (e.g. to S3) before a remediation, or exempt the notebook."
)


class OperationError(CommandError):
    """The operation cannot proceed; the message is one line for the user."""


@dataclass
class PlanOptions:
    subnet_id: str | None = None
    security_group_ids: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = DEFAULT_ENDPOINTS
    root_access: str = "disabled"  # the policy: "disabled" (required) or "allowed"
    snapshot_bucket: str | None = None
    region: str | None = None


@dataclass
class PlanResult:
    notebook_name: str
    region: str
    status: str
    path: str  # workflow.RECREATE / ROOT_ACCESS / COMPLIANT / EXEMPT
    violations: list[dict]
    preflight: dict
    request: dict | None  # the CreateNotebookInstance (recreate) or UpdateNotebookInstance (root access)
    operation: str | None
    dropped: list[str] = field(default_factory=list)
    arn: str | None = None
    subnet_id: str | None = None

    @property
    def blocked(self) -> bool:
        return self.path in (workflow.RECREATE, workflow.ROOT_ACCESS) and not self.preflight.get("passed", True)

    @property
    def steps(self) -> list[str]:
        return list(STEPS.get(self.path, ()))

    @property
    def deletes_volume(self) -> bool:
        return self.path == workflow.RECREATE

    def to_dict(self) -> dict:
        return {
            "notebook_name": self.notebook_name,
            "arn": self.arn,
            "region": self.region,
            "status": self.status,
            "path": self.path,
            "violations": self.violations,
            "steps": self.steps,
            "deletes_storage_volume": self.deletes_volume,
            "preflight": self.preflight,
            "operation": self.operation,
            "request": self.request,
            "dropped": self.dropped,
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
        region=region,
        status=describe.get("NotebookInstanceStatus", "?"),
        path=path,
        violations=[v.to_dict() for v in evaluation.violations],
        preflight={"passed": True, "problems": []},
        request=None,
        operation=None,
        arn=describe.get("NotebookInstanceArn"),
        subnet_id=describe.get("SubnetId"),
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
    now = utc_timestamp()
    execution = "<execution-name>"  # each remediation's own (unique per attempt)
    key = snapshot_key(name, execution, 1, settings.snapshot_prefix)
    uri = f"s3://{options.snapshot_bucket or '<snapshot-bucket>'}/{key}"
    plan = plan_create_request(describe, tags, target_of(settings), now, uri, execution)
    result.operation = "CreateNotebookInstance"
    result.request = plan.request
    result.dropped = plan.dropped
    return result


def print_plan(result: PlanResult, stream: TextIO) -> None:
    write = lambda text="": print(text, file=stream)  # noqa: E731
    write(f"Notebook {result.notebook_name} ({result.status}, {result.region})")
    if not result.violations:
        write("  compliant: a remediation would do nothing.")
        return
    for violation in result.violations:
        write(f"  - {violation['control_id']} ({violation['check']}): {violation['reason']}")
    if result.path == workflow.EXEMPT:
        write("  exempt (exemption tag): a remediation would only record it.")
        return
    write("")
    write(f"Remediation path: {result.path}, in this order:")
    for number, step in enumerate(result.steps, 1):
        write(f"  {number}. {step}")
    if result.deletes_volume:
        write(VOLUME_WARNING)
    write("")
    write("Preflight: " + ("passed" if result.preflight.get("passed") else "FAILED, the remediation would be blocked"))
    for problem in result.preflight.get("problems") or []:
        write(f"  - {problem}")
    print_path(result.preflight, write)
    for dropped in result.dropped:
        write(f"  not carried over: {dropped}")
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
