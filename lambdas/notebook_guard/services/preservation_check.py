"""The Preflight's checks of data preservation: can this notebook's storage volume be backed up and restored?

Before anything is stopped: the backup bucket and key are configured; the notebook does not already carry one of
notebook-guard's configurations; the backup and the restore fit in an execution's lifetime at the assumed throughput;
and the notebook's execution role, which the scripts run as, is not prevented from using its backup.

That last check has a limit AWS sets: ``iam:SimulatePrincipalPolicy`` cannot evaluate a resource policy for a role
(with a ResourcePolicy it needs a CallerArn, which can only be an IAM user), so the bucket policy statements the
workflow will add cannot be simulated. What can be, is: the role's identity policies denying the S3 or KMS actions
on the backup (an explicit deny beats the bucket policy and the grant), its permissions boundary not allowing them (a
boundary limits what a resource policy grants to the role's ARN: IAM User Guide, "Permissions boundaries for IAM
entities"), and an SCP (OrganizationsDecisionDetail). An implicit deny by the identity policies is expected: the
bucket policy and the grant are what allow it.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from notebook_guard.aws import iam
from notebook_guard.aws.errors import error_code, error_message, is_transient
from notebook_guard.domain import preservation
from notebook_guard.domain.naming import execution_name_of
from notebook_guard.settings import Settings
from notebook_guard.workflow_steps import REMEDIATION_SECONDS

# Room an execution keeps for everything but the two copies (the other waits, retries, a capacity retry).
OTHER_WAITS_SECONDS = 6 * 3600


def role_checks(role_arn: str, bucket_arn: str, prefix: str, key_arn: str, region: str) -> list[tuple]:
    """(actions, resources, context) the scripts' requests meet, per distinct context."""
    objects = [f"{bucket_arn}/{prefix}{preservation.MANIFEST}", f"{bucket_arn}/{prefix}{preservation.DATA}file"]
    return [
        (list(preservation.OBJECT_ACTIONS), objects, {}),
        ([preservation.LIST_ACTION], [bucket_arn], {"s3:prefix": (prefix,)}),
        (["kms:GenerateDataKey", "kms:Decrypt"], [key_arn], {"kms:ViaService": (f"s3.{region}.amazonaws.com",)}),
    ]


def _refusals(results: list[dict]) -> list[tuple[str, str, str]]:
    """(action, resource, why) of every result something other than the bucket policy and the grant refuses."""
    found = []
    for result in results:
        entries = [result, *(result.get("ResourceSpecificResults") or [])]
        for entry in entries:
            action = result.get("EvalActionName")
            resource = entry.get("EvalResourceName")
            decision = entry.get("EvalDecision") or entry.get("EvalResourceDecision")
            if decision == "explicitDeny":
                found.append((action, resource, "an explicit deny in its policies"))
            boundary = entry.get("PermissionsBoundaryDecisionDetail") or result.get("PermissionsBoundaryDecisionDetail")
            if boundary and boundary.get("AllowedByPermissionsBoundary") is False:
                found.append((action, resource, "its permissions boundary does not allow it"))
            organizations = entry.get("OrganizationsDecisionDetail") or result.get("OrganizationsDecisionDetail")
            if organizations and organizations.get("AllowedByOrganizations") is False:
                found.append((action, resource, "a service control policy does not allow it"))
    return list(dict.fromkeys(found))


def role_problems(role_arn: str, bucket: str, prefix: str, key_arn: str, settings: Settings) -> list[str]:
    partition = role_arn.split(":")[1] if role_arn.count(":") >= 5 else "aws"
    problems = []
    for actions, resources, context in role_checks(role_arn, f"arn:{partition}:s3:::{bucket}", prefix, key_arn,
                                                   settings.region):
        try:
            results = iam.simulate_principal_policy(role_arn, actions, resources, context, settings.region)
        except (ClientError, BotoCoreError) as error:
            if isinstance(error, ClientError) and is_transient(error):
                raise
            reason = f"{error_code(error)}: {error_message(error)}" if isinstance(error, ClientError) else str(error)
            return [
                f"the notebook's execution role {role_arn} could not be simulated (iam:SimulatePrincipalPolicy "
                f"failed: {reason}): whether it may use its backup is unknown, so nothing will be changed"
            ]
        problems += [
            f"the notebook's execution role {role_arn} may not {action} on {resource} ({why}): the backup script "
            "runs as that role, and the bucket policy and KMS grant notebook-guard adds cannot override that"
            for action, resource, why in _refusals(results)
        ]
    return problems


def preservation_problems(document: dict, describe: dict, settings: Settings) -> tuple[list[str], dict]:
    """(problems, summary) of the data preservation this execution will do (nothing when it will not)."""
    chosen = document.get("preservation") or {}
    if not chosen.get("wanted"):
        return [], {"wanted": False, "why": chosen.get("why")}
    volume_gb = describe.get("VolumeSizeInGB") or chosen.get("volume_gb")
    bound = settings.backup_bound_seconds(volume_gb)
    execution = execution_name_of(document.get("execution_id"))
    prefix = preservation.backup_prefix(settings.backup_prefix, document.get("notebook_name") or "", execution)
    summary = {
        "wanted": True,
        "why": chosen.get("why"),
        "volume_gb": volume_gb,
        "bound_seconds": bound,
        "backup": f"s3://{settings.backup_bucket}/{prefix}" if settings.backup_bucket else None,
    }
    problems = []
    missing = [
        name
        for name, value in (
            ("a backup bucket (NG_BACKUP_BUCKET)", settings.backup_bucket),
            ("its KMS key (NG_BACKUP_KEY_ARN)", settings.backup_key_arn),
            ("the Backup step's role (NG_STEP_ROLE_ARNS)", settings.step_roles.get("Backup")),
        )
        if not value
    ]
    if missing:
        problems.append(f"data preservation needs {', '.join(missing)}: the storage volume cannot be backed up")
    config = describe.get("NotebookInstanceLifecycleConfigName")
    if preservation.is_ours(config):
        problems.append(
            f"the notebook carries notebook-guard's lifecycle configuration {config} (an earlier backup or restore "
            "that did not finish): put its own back before it is remediated"
        )
    # What an execution may spend after an approval wait (the rest of its timeout is kept for that wait).
    if 2 * bound > REMEDIATION_SECONDS - OTHER_WAITS_SECONDS:
        problems.append(
            f"backing up and restoring a {volume_gb} GB volume may take up to {2 * bound / 3600:.1f} h at "
            f"{settings.backup_throughput_mb_per_second} MB/s, more than an execution may run: raise "
            "backup_throughput_mb_per_second if the notebooks copy faster, or remediate this notebook by hand"
        )
    role_arn = describe.get("RoleArn")
    if role_arn and not missing:
        problems += role_problems(role_arn, settings.backup_bucket, prefix, settings.backup_key_arn, settings)
    return problems, summary
