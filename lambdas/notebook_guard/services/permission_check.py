"""Before anything destructive: may the steps that will act do so, for THIS notebook and THIS request?

The Preflight simulates (``iam:SimulatePrincipalPolicy``) the policies of the roles of the steps the action
and path will run (Stop; Delete and Create for a recreate; Update and Start for root access) against the
concrete resources: the notebook's ARN, the snapshot object, the audit table, the execution role passed to
SageMaker, the KMS key, the target subnet and security groups, the Git secrets. Each check is one of
``notebook_guard.permissions``' table, with the context keys AWS sends (``iam:PassedToService``,
``kms:ViaService``, ``kms:GrantIsForAWSResource``). Every denied action becomes a problem naming it and its
resource; a simulation that is itself refused or fails is a problem too, so the workflow blocks.
"""

from __future__ import annotations

from dataclasses import replace

from botocore.exceptions import BotoCoreError, ClientError

from notebook_guard.aws import iam
from notebook_guard.aws.errors import error_code, error_message, is_transient
from notebook_guard.domain import workflow
from notebook_guard.permissions.checks import Check, Facts, checks_for
from notebook_guard.services.preflight import PreflightReads, is_repository_url
from notebook_guard.settings import Settings
from notebook_guard.workflow_steps import STEPS

CALLS = {step.key: step.calls for step in STEPS}


def steps_that_act(action: str | None, path: str | None, was_running: bool) -> list[str]:
    """The steps after the Preflight whose AWS calls change the notebook, for this action and path."""
    if action == "quarantine" and path in (workflow.RECREATE, workflow.ROOT_ACCESS):
        return ["Stop"]
    if action != "remediate":
        return []
    if path == workflow.RECREATE:
        return ["Stop", "Delete", "Create"]
    if path == workflow.ROOT_ACCESS:
        return ["Stop", "Update", *(["Start"] if was_running else [])]
    return []


def _repositories(source: dict, default: str, additional: str) -> list[str]:
    return [r for r in [source.get(default), *(source.get(additional) or [])] if r]


def repository_secrets(names: list[str], reads) -> tuple[str, ...]:
    """The Secrets Manager secrets of the named SageMaker code repositories (a Git URL has none SageMaker knows
    of; a missing repository is the path check's problem)."""
    secrets = []
    for name in names:
        if is_repository_url(name):
            continue
        secret = ((reads.code_repository(name) or {}).get("GitConfig") or {}).get("SecretArn")
        if secret:
            secrets.append(secret)
    return tuple(secrets)


def facts_for(
    step: str, call: str, base: Facts, original: Facts, planned: Facts, snapshot: dict, settings: Settings
) -> Facts:
    if call == "sagemaker:CreateNotebookInstance":
        return planned
    if step == "Discard" and call.startswith("sagemaker:"):  # it deletes the replacement, in the target subnet
        return replace(planned, network_interface_id=None)
    if call.startswith("sagemaker:"):
        return original
    if call == "s3:GetObject":  # the verified snapshot, by its version
        versioned = bool(snapshot.get("version_id"))
        return replace(base, bucket=snapshot.get("bucket"), key=snapshot.get("key"), object_version=versioned)
    if call == "s3:PutObject":  # a fresh snapshot of the same execution (Delete, when the notebook changed)
        folder = str(snapshot.get("key") or "").rsplit("/", 1)[0]
        fresh = f"{folder}/{int(snapshot.get('sequence') or 1) + 1}.json"
        return replace(base, bucket=snapshot.get("bucket"), key=fresh)
    if call == "dynamodb:PutItem":  # the audit table is append-only
        return replace(base, table=settings.audit_table)
    if call in ("dynamodb:GetItem", "dynamodb:UpdateItem"):  # the lease and its records
        return replace(base, table=settings.coordination_table)
    return base


def planned_checks(
    steps: list[str], base: Facts, original: Facts, planned: Facts, snapshot: dict, settings: Settings
) -> dict[str, list[Check]]:
    """Step -> every check its calls will meet for this notebook."""
    return {
        step: [
            check
            for call in CALLS[step]
            for check in checks_for(call, facts_for(step, call, base, original, planned, snapshot, settings))
        ]
        for step in steps
    }


def decisions_of(results: list[dict]) -> dict[tuple[str, str], str]:
    """(action, resource) -> decision, from each EvaluationResult and, where IAM gives them, its
    ResourceSpecificResults (one per resource of the request)."""
    decisions = {}
    for result in results:
        action = result.get("EvalActionName")
        decisions[(action, result.get("EvalResourceName"))] = result.get("EvalDecision")
        for specific in result.get("ResourceSpecificResults") or []:
            decisions[(action, specific.get("EvalResourceName"))] = specific.get("EvalResourceDecision")
    return decisions


def simulate(step: str, role_arn: str, checks: list[Check], region: str) -> list[str]:
    """Problems for every check IAM does not allow (one simulation per distinct request context)."""
    by_context: dict[tuple, list[Check]] = {}
    for check in checks:
        by_context.setdefault(tuple(sorted(check.context.items())), []).append(check)
    problems = []
    for context, group in by_context.items():
        actions = sorted({c.action for c in group})
        resources = sorted({c.resource for c in group})
        try:
            results = iam.simulate_principal_policy(role_arn, actions, resources, dict(context), region)
        except (ClientError, BotoCoreError) as error:
            if isinstance(error, ClientError) and is_transient(error):
                raise  # throttling: the step is retried
            reason = f"{error_code(error)}: {error_message(error)}" if isinstance(error, ClientError) else str(error)
            return [
                f"the permissions of the {step} step's role {role_arn} could not be simulated "
                f"(iam:SimulatePrincipalPolicy failed: {reason}): nothing will be changed until they can be"
            ]
        decisions = decisions_of(results)
        for check in group:
            decision = decisions.get((check.action, check.resource), "not simulated")
            if decision != "allowed":
                problems.append(
                    f"the {step} step's role {role_arn} may not {check.action} on {check.resource} ({decision}), "
                    f"which {check.call} needs"
                )
    return problems


def permission_problems(
    document: dict,
    snapshot_document: dict | None,
    settings: Settings,
    key_arn: str | None = None,
    reads: PreflightReads | None = None,
    subnets: list[dict] | None = None,
) -> list[str]:
    """Why the steps that will act may not (empty: IAM allows every check). ``key_arn``: the notebook's KMS key
    as KMS names it (a KmsKeyId may be an id or an alias). ``subnets``: the target subnets that passed the path
    checks, in the order Create tries them: Create is simulated in the first, and its network interface in each."""
    reads = reads or PreflightReads(settings.region)
    evaluation = document.get("evaluation") or {}
    steps = steps_that_act(document.get("action"), evaluation.get("path"), bool(evaluation.get("was_running")))
    if not steps:
        return []
    if "Create" in steps and len(subnets or []) > 1:
        steps.append("Discard")  # a capacity failure in one zone: it deletes the replacement before the next try
    roles = settings.step_roles
    missing = [s for s in steps if s not in roles]
    if missing:
        return [
            f"the roles of the {', '.join(missing)} step(s) are not configured (NG_STEP_ROLE_ARNS): their "
            "permissions cannot be proven, so nothing will be changed"
        ]
    if not snapshot_document:
        return ["the snapshot could not be read: the permissions cannot be checked against the request"]
    arn = document.get("notebook_arn") or ""
    partition, account = arn.split(":")[1], arn.split(":")[4]
    base = Facts(partition, settings.region, account)
    describe = snapshot_document.get("describe") or {}
    request = snapshot_document.get("create_request") or {}
    problems: list[str] = []
    original_secrets = repository_secrets(
        _repositories(describe, "DefaultCodeRepository", "AdditionalCodeRepositories"), reads
    )
    candidates = [s["subnet_id"] for s in subnets or []]
    original = Facts(
        partition,
        settings.region,
        account,
        notebook=document.get("notebook_name"),
        role_arn=describe.get("RoleArn"),
        kms_key_arn=key_arn or describe.get("KmsKeyId"),
        subnet_id=describe.get("SubnetId"),
        security_group_ids=tuple(describe.get("SecurityGroups") or ()),
        network_interface_id=describe.get("NetworkInterfaceId"),
        secret_arns=original_secrets,
    )
    planned = Facts(
        partition,
        settings.region,
        account,
        notebook=request.get("NotebookInstanceName"),
        role_arn=request.get("RoleArn"),
        kms_key_arn=original.kms_key_arn if request.get("KmsKeyId") else None,
        subnet_id=candidates[0] if candidates else request.get("SubnetId"),
        security_group_ids=tuple(request.get("SecurityGroupIds") or ()),
        tags=bool(request.get("Tags")),
        secret_arns=original_secrets,
    )
    snapshot = document.get("snapshot") or {}
    checks = planned_checks(steps, base, original, planned, snapshot, settings)
    if "Create" in checks:  # a capacity retry creates the notebook's network interface in the next subnets too
        checks["Create"] += [
            check
            for subnet_id in candidates[1:]
            for check in checks_for("sagemaker:CreateNotebookInstance", replace(planned, subnet_id=subnet_id))
            if check.resource.endswith(f":subnet/{subnet_id}")
        ]
    for step in steps:
        problems += simulate(step, roles[step], checks[step], settings.region)
    return problems
