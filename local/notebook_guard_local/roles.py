"""The functions' IAM roles in the simulated account, with the policies the stack generates for them.

Each role gets exactly ``notebook_guard.permissions.policy.render`` for its principal and the account's names
(the same renderer the CDK stack builds its grants from), written into moto's IAM. The enforcement checks every
call against these documents and ``iam:SimulatePrincipalPolicy`` answers from them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache

from notebook_guard.permissions import principals
from notebook_guard.permissions.policy import Names, render
from notebook_guard.permissions.principals import Principal
from notebook_guard_local.fake.enforcement import DEFAULT_ACCOUNT, acting_as, deploy_role

STEP_ROLE_PREFIX = "notebook-guard-step-"
INTAKE_ROLE = "notebook-guard-intake"
SWEEP_ROLE = "notebook-guard-sweep"
RESUME_ROLE = "notebook-guard-resume"
APPROVAL_ACTION_ROLE = "notebook-guard-approval-action"
UNCONFIGURED = "notebook-guard-unconfigured"  # a name no real resource has: grants nothing that exists


def step_role_name(key: str) -> str:
    return f"{STEP_ROLE_PREFIX}{key}"


def cli_role_name(command: str) -> str:
    return f"notebook-guard-cli-{command}"


def role_arn(name: str, account: str = DEFAULT_ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


def names_from_environment(
    environment: Mapping[str, str],
    region: str,
    account: str = DEFAULT_ACCOUNT,
    *,
    state_machine_arn: str | None = None,
    step_role_arns: tuple[str, ...] = (),
    alert_key_arn: str | None = None,
) -> Names:
    """The names the stack would render the policies with, from the functions' NG_* environment."""
    bucket = environment.get("NG_SNAPSHOT_BUCKET") or UNCONFIGURED
    table = environment.get("NG_AUDIT_TABLE") or UNCONFIGURED
    coordination = environment.get("NG_COORDINATION_TABLE") or UNCONFIGURED
    queue_url = environment.get("NG_ALERT_DEAD_LETTER_QUEUE_URL") or UNCONFIGURED
    machine = state_machine_arn or environment.get("NG_STATE_MACHINE_ARN")
    machine_name = machine.rsplit(":", 1)[-1] if machine else UNCONFIGURED
    return Names(
        partition="aws",
        region=region,
        account=account,
        snapshot_bucket_arn=f"arn:aws:s3:::{bucket}",
        audit_table_arn=f"arn:aws:dynamodb:{region}:{account}:table/{table}",
        coordination_table_arn=f"arn:aws:dynamodb:{region}:{account}:table/{coordination}",
        # SQS authorizes against the queue's ARN; its URL ends with ACCOUNT/NAME.
        alert_dead_letter_queue_arn=f"arn:aws:sqs:{region}:{account}:{queue_url.rstrip('/').rsplit('/', 1)[-1]}",
        remediation_executions_arn=f"arn:aws:states:{region}:{account}:execution:{machine_name}:*",
        alert_topic_arn=environment.get("NG_ALERT_TOPIC_ARN") or f"arn:aws:sns:{region}:{account}:{UNCONFIGURED}",
        alert_key_arn=alert_key_arn,
        state_machine_arn=machine or f"arn:aws:states:{region}:{account}:stateMachine:{UNCONFIGURED}",
        target_subnet_ids=_csv(environment.get("NG_TARGET_SUBNET_IDS")) or ("subnet-unconfigured",),
        target_security_group_ids=_csv(environment.get("NG_TARGET_SECURITY_GROUP_IDS")) or ("sg-unconfigured",),
        approved_subnet_ids=_csv(environment.get("NG_APPROVED_SUBNET_IDS")),
        step_role_arns=step_role_arns
        or tuple(role_arn(step_role_name(s), account) for s in principals.SIMULATED_STEPS),
        backup_bucket_arn=f"arn:aws:s3:::{environment.get('NG_BACKUP_BUCKET') or UNCONFIGURED}",
        backup_key_arn=environment.get("NG_BACKUP_KEY_ARN") or f"arn:aws:kms:{region}:{account}:key/{UNCONFIGURED}",
        finding_statuses=(
            "NOTIFIED",
            "RESOLVED",
            *(("SUPPRESSED",) if _flag(environment, "NG_SUPPRESS_EXEMPT_FINDINGS") else ()),
        ),
        own_findings=_flag(environment, "NG_OWN_FINDINGS"),
    )


def _flag(environment: Mapping[str, str], name: str) -> bool:
    return (environment.get(name) or "").strip().lower() == "true"


@lru_cache(maxsize=256)
def _document(principal: Principal, names: Names) -> dict:
    return render(principal, names).document


def deploy(principal: Principal, role_name: str, names: Names, account: str = DEFAULT_ACCOUNT) -> str:
    return deploy_role(role_name, _document(principal, names), account)


def deploy_workflow_roles(
    environment: Mapping[str, str], region: str, account: str = DEFAULT_ACCOUNT, state_machine_arn: str | None = None
) -> dict:
    """One role per step; returns step key -> role ARN (what NG_STEP_ROLE_ARNS carries). ``state_machine_arn``:
    the machine the steps belong to (its executions are what the Lease step may describe), known before it exists
    because the stack names it."""
    names = names_from_environment(environment, region, account, state_machine_arn=state_machine_arn)
    return {
        step.name: deploy(step, step_role_name(step.name), names, account) for step in principals.step_principals()
    }


def step_role_setting(arns: Mapping[str, str]) -> str:
    return ",".join(f"{key}={arns[key]}" for key in principals.SIMULATED_STEPS if key in arns)


def deploy_detection_roles(
    environment: Mapping[str, str], region: str, account: str = DEFAULT_ACCOUNT, state_machine_arn: str | None = None
) -> None:
    names = names_from_environment(environment, region, account, state_machine_arn=state_machine_arn)
    deploy(principals.INTAKE, INTAKE_ROLE, names, account)
    deploy(principals.SWEEP, SWEEP_ROLE, names, account)
    deploy(principals.RESUME, RESUME_ROLE, names, account)
    deploy(principals.APPROVAL_ACTION, APPROVAL_ACTION_ROLE, names, account)


@contextmanager
def acting_as_principal(
    principal: Principal, role_name: str, names: Names, account: str = DEFAULT_ACCOUNT
) -> Iterator[str]:
    """Deploy ``principal``'s role (as the stack would) and make the calls in this context as it."""
    deploy(principal, role_name, names, account)
    with acting_as(role_name):
        yield role_name


def cli_names(
    region: str,
    account: str = DEFAULT_ACCOUNT,
    bucket: str | None = None,
    coordination_table: str | None = None,
    state_machine_arn: str | None = None,
    backup_bucket: str | None = None,
) -> Names:
    """The names a CLI operator's policy is rendered with: the snapshot bucket the command reads, if any; the
    coordination table and state machine of an approval or a manual start (and that machine's executions); the
    backup bucket of ``restore --data`` (any key of the account and region: the command reads which one it uses)."""
    machine = state_machine_arn or f"arn:aws:states:{region}:{account}:stateMachine:{UNCONFIGURED}"
    return Names(
        partition="aws",
        region=region,
        account=account,
        snapshot_bucket_arn=f"arn:aws:s3:::{bucket or UNCONFIGURED}",
        coordination_table_arn=f"arn:aws:dynamodb:{region}:{account}:table/{coordination_table or UNCONFIGURED}",
        state_machine_arn=machine,
        remediation_executions_arn=machine.replace(":stateMachine:", ":execution:", 1) + ":*",
        backup_bucket_arn=f"arn:aws:s3:::{backup_bucket or UNCONFIGURED}",
        backup_key_arn=f"arn:aws:kms:{region}:{account}:key/*",
    )


def running_as(principal: Principal, role_name: str, names_of):
    """Decorate ``function`` so each call deploys ``principal``'s role (names from ``names_of(*args)``) and runs
    as it: how tests and the demo run the intake, the sweep and the CLI under enforcement."""

    def decorate(function):
        def wrapped(*args, **kwargs):
            with acting_as_principal(principal, role_name, names_of(*args, **kwargs)):
                return function(*args, **kwargs)

        wrapped.__wrapped__ = function
        return wrapped

    return decorate


def detection_names(*_args, **_kwargs) -> Names:
    """The intake's and the sweep's names, from the environment the stack gives them."""
    import os

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return names_from_environment(os.environ, region)


def as_intake(function):
    return running_as(principals.INTAKE, INTAKE_ROLE, detection_names)(function)


def as_sweep(function):
    return running_as(principals.SWEEP, SWEEP_ROLE, detection_names)(function)


def as_approval_action(function):
    return running_as(principals.APPROVAL_ACTION, APPROVAL_ACTION_ROLE, detection_names)(function)


CLI_PRINCIPALS = {p.name: p for p in principals.CLI}


def as_cli_command(run_guarded):
    """``commands.common.run_guarded`` running each subcommand as its operator role (``notebook-guard-cli-NAME``)."""
    import os

    def wrapped(command, args):
        principal = CLI_PRINCIPALS.get(getattr(args, "command", None) or "")
        if principal is None:
            return run_guarded(command, args)
        regions = list(getattr(args, "regions", None) or [])
        # Several regions (or --all-regions): the operator's policy for every region ("*" in the ARNs).
        several = len(regions) > 1 or getattr(args, "all_regions", False)
        region = "*" if several else (regions[:1] or [os.environ.get("AWS_REGION") or "us-east-1"])[0]
        reference = getattr(args, "snapshot", None) or ""
        in_uri = reference[5:].split("/", 1)[0] if reference.startswith("s3://") else None
        bucket = getattr(args, "bucket", None) or in_uri
        execution = getattr(args, "execution", None) or ""
        machine = None
        if ":execution:" in execution:  # the approval's state machine: arn:...:execution:MACHINE:NAME
            head, tail = execution.split(":execution:", 1)
            machine = f"{head}:stateMachine:{tail.rsplit(':', 1)[0]}"
        # remediate: the deployment the stack's outputs name (the suite's is in the environment, as the stack's).
        machine = machine or os.environ.get("NG_STATE_MACHINE_ARN")
        table = getattr(args, "coordination_table", None) or os.environ.get("NG_COORDINATION_TABLE")
        data = getattr(args, "data", None) or ""
        backup_bucket = data[5:].split("/", 1)[0] if data.startswith("s3://") else None
        names = cli_names(
            region, bucket=bucket, coordination_table=table, state_machine_arn=machine, backup_bucket=backup_bucket
        )
        with acting_as_principal(principal, cli_role_name(principal.name), names):
            return run_guarded(command, args)

    return wrapped
