"""The data backup across the recreate: prepare it, follow its markers, verify it, put things back, clean up.

What an execution prepares is named after it (``domain.preservation``) and recorded on the notebook's lease before
it exists, so every later step (and a retry, or the cleanup after a failure) finds it from the lease alone:
- two lifecycle configurations of ours: ``ng-backup-<hash>`` (OnStart: copy the volume to S3) and
  ``ng-restore-<hash>`` (OnCreate: copy it back; OnStart: the original's OnStart), rendered from the package's
  fixed templates (``lifecycle.templates``);
- a KMS grant on the backup key to the notebook's execution role (GenerateDataKey, Decrypt), whose retiring
  principal is the Backup step's own role (KMS lets the retiring principal retire it without kms:RetireGrant);
- two statements in the backup bucket's policy letting that role put, get and list under the execution's prefix
  only (changed under a short lock in the coordination table: S3 has no conditional PutBucketPolicy).
The notebook's own lifecycle configuration is never edited: the workflow swaps which one is attached (Update, while
Stopped) and swaps it back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from notebook_guard.aws import kms, s3, sagemaker
from notebook_guard.domain import preservation, waits
from notebook_guard.domain.errors import BackupAccessBusy, BackupNotReady, LeaseLost, NotebookNotReady
from notebook_guard.domain.naming import execution_name_of
from notebook_guard.lifecycle import templates
from notebook_guard.services import audit
from notebook_guard.services.coordination import Coordinator
from notebook_guard.services.incarnation import ensure_ours
from notebook_guard.settings import Settings

LOCK_SECONDS = 60
IN_PROGRESS = ("Pending", "InService")


@dataclass(frozen=True)
class Plan:
    """What one execution's backup is called and where it lives (recorded on the lease as ``backup``)."""

    execution: str
    notebook: str
    bucket: str
    prefix: str
    key_arn: str
    role_arn: str  # the notebook's execution role: the scripts run as it
    backup_config: str
    restore_config: str
    original_config: str | None  # the configuration the notebook had, put back afterwards (None: none)
    sid: str
    bound_seconds: int
    grant_id: str | None = None

    @property
    def uri(self) -> str:
        return s3.s3_uri(self.bucket, self.prefix)

    def to_dict(self) -> dict:
        return {**asdict(self), "uri": self.uri}

    @classmethod
    def from_dict(cls, raw: dict) -> Plan:
        fields = {k: raw.get(k) for k in cls.__dataclass_fields__}
        return cls(**fields)


def decision_of(document: dict, settings: Settings) -> preservation.Decision:
    """Whether this execution preserves the data: the same answer in every step (measured from the execution's start,
    with the mode the execution started with)."""
    chosen = (document.get("preservation") or {}).get("mode") or settings.data_preservation
    evaluation = document.get("evaluation") or {}
    return preservation.decide(
        chosen, evaluation.get("creation_time"), document.get("started_at"), settings.restart_window_seconds
    )


def _lease_plan(document: dict, settings: Settings) -> tuple[Coordinator, Plan | None, dict | None]:
    coordinator = Coordinator(settings)
    lease = coordinator.record(document["notebook_arn"])
    me = document.get("execution_id") or ""
    if not (lease.held and lease.holder == me):
        raise LeaseLost(f"execution {me} does not hold the lease of {document['notebook_name']}")
    plan = Plan.from_dict(lease.backup) if lease.backup else None
    return coordinator, plan, lease.backup_verified


def _require_configuration(settings: Settings) -> tuple[str, str, str]:
    missing = [
        name
        for name, value in (
            ("NG_BACKUP_BUCKET", settings.backup_bucket),
            ("NG_BACKUP_KEY_ARN", settings.backup_key_arn),
            ("the Backup step's role (NG_STEP_ROLE_ARNS)", settings.step_roles.get("Backup")),
        )
        if not value
    ]
    if missing:
        raise BackupNotReady(f"data preservation needs {', '.join(missing)}: nothing was changed")
    return settings.backup_bucket, settings.backup_key_arn, settings.step_roles["Backup"]


def plan_for(document: dict, describe: dict, settings: Settings) -> Plan:
    bucket, key_arn, _ = _require_configuration(settings)
    execution = execution_name_of(document.get("execution_id"))
    name = document["notebook_name"]
    return Plan(
        execution=execution,
        notebook=name,
        bucket=bucket,
        prefix=preservation.backup_prefix(settings.backup_prefix, name, execution),
        key_arn=key_arn,
        role_arn=describe["RoleArn"],
        backup_config=preservation.backup_config_name(execution),
        restore_config=preservation.restore_config_name(execution),
        original_config=describe.get("NotebookInstanceLifecycleConfigName"),
        sid=preservation.statement_sid(execution),
        bound_seconds=settings.backup_bound_seconds(describe.get("VolumeSizeInGB")),
    )


def _values(plan: Plan, settings: Settings) -> templates.Values:
    return templates.Values(plan.bucket, plan.prefix, settings.region, plan.execution)


def _statements(plan: Plan) -> list[dict]:
    partition = plan.role_arn.split(":")[1] if plan.role_arn.count(":") >= 5 else "aws"
    return preservation.access_statements(plan.sid, plan.role_arn, f"arn:{partition}:s3:::{plan.bucket}", plan.prefix)


def grant_access(plan: Plan, settings: Settings, coordinator: Coordinator, holder: str) -> None:
    """The bucket policy statements of this execution, added under the lock (other statements kept)."""
    statements = _statements(plan)
    _change_policy(plan, settings, coordinator, holder, lambda text: preservation.with_statements(text, plan.sid,
                                                                                                   statements))


def revoke_access(plan: Plan, settings: Settings, coordinator: Coordinator, holder: str) -> None:
    _change_policy(plan, settings, coordinator, holder, lambda text: preservation.without_statements(text, plan.sid))


def _change_policy(plan: Plan, settings: Settings, coordinator: Coordinator, holder: str, change) -> None:
    lock = f"bucket-policy#{plan.bucket}"
    if not coordinator.lock(lock, holder, LOCK_SECONDS):
        raise BackupAccessBusy(f"another execution is changing the policy of bucket {plan.bucket}")
    try:
        current = s3.get_bucket_policy(plan.bucket, settings.region)
        changed = change(current)
        if changed is not None and changed != current:
            s3.put_bucket_policy(plan.bucket, changed, settings.region)
    finally:
        coordinator.unlock(lock, holder)


def access_granted(plan: Plan, settings: Settings) -> bool:
    return preservation.has_statements(s3.get_bucket_policy(plan.bucket, settings.region), _statements(plan))


def prepare(document: dict, settings: Settings) -> dict:
    """Create the configurations, the grant and the bucket access, then attach the backup configuration to the Stopped
    notebook. Safe to retry: every part is named after the execution and found again on the lease."""
    _, _, backup_role = _require_configuration(settings)
    coordinator, plan, _ = _lease_plan(document, settings)
    me = document["execution_id"]
    name = document["notebook_name"]
    describe = sagemaker.describe_notebook(name, settings.region)
    if describe is None:
        raise NotebookNotReady(f"notebook {name} disappeared before its data could be backed up")
    if describe["NotebookInstanceStatus"] != "Stopped":
        status = describe["NotebookInstanceStatus"]
        raise NotebookNotReady(f"notebook {name} is {status}: the backup is prepared while it is Stopped")
    if plan is None:
        plan = plan_for(document, describe, settings)
        if preservation.is_ours(plan.original_config):
            raise BackupNotReady(
                f"notebook {name} already carries notebook-guard's configuration {plan.original_config}"
            )
        coordinator.mark(document["notebook_arn"], me, {"backup": plan.to_dict()})
    original = (
        sagemaker.describe_lifecycle_config(plan.original_config, settings.region) if plan.original_config else None
    )
    if plan.original_config and original is None:
        raise BackupNotReady(f"lifecycle configuration {plan.original_config} no longer exists")
    values = _values(plan, settings)
    for configuration in (
        templates.backup_configuration(plan.backup_config, values),
        templates.restore_configuration(plan.restore_config, values, original),
    ):
        sagemaker.create_lifecycle_config(configuration.request(), settings.region)
    if plan.grant_id is None:
        grant_id = kms.create_grant(
            plan.key_arn, plan.role_arn, preservation.GRANT_OPERATIONS, backup_role, plan.execution, settings.region
        )
        plan = Plan(**{**asdict(plan), "grant_id": grant_id})
        coordinator.mark(document["notebook_arn"], me, {"backup": plan.to_dict()})
    grant_access(plan, settings, coordinator, me)
    if describe.get("NotebookInstanceLifecycleConfigName") != plan.backup_config:
        sagemaker.set_lifecycle_config(name, plan.backup_config, settings.region)
    audit.write(settings, document, "backup-prepared", {"outcome": "backup-prepared", "backup": plan.to_dict()})
    return {**plan.to_dict(), "prepared": True}


def _marker(plan: Plan, name: str, settings: Settings) -> tuple[dict, str | None] | None:
    found = s3.get_latest(plan.bucket, plan.prefix + name, settings.region)
    if found is None:
        return None
    try:
        return json.loads(found[0]), found[1]
    except ValueError:
        return {"state": "unreadable", "reason": f"{name} is not JSON"}, found[1]


def _schedule(document: dict, settings: Settings) -> waits.WaitSchedule:
    return waits.WaitSchedule.from_dict(document.get("waits"), settings.wait_schedule)


def _running(describe: dict | None, doing: str) -> str | None:
    """Why the work can no longer finish on this notebook (None: it may)."""
    if describe is None:
        return f"the notebook no longer exists: the {doing} cannot finish"
    status = describe["NotebookInstanceStatus"]
    if status not in IN_PROGRESS:
        reason = describe.get("FailureReason")
        return f"the notebook is {status}{f' ({reason})' if reason else ''}: the {doing} cannot finish"
    return None


def check_backup(document: dict, settings: Settings) -> dict:
    """One poll of the backup: its markers, and when it is complete, its verification against the manifest."""
    coordinator, plan, _ = _lease_plan(document, settings)
    if plan is None:
        raise BackupNotReady("no backup was prepared by this execution")
    poll = lambda state, reason=None, data=None: waits.judge_marker(  # noqa: E731
        waits.BACKED_UP, state, document.get("loop"), _schedule(document, settings), plan.bound_seconds, reason, data
    ).to_dict()
    describe = sagemaker.describe_notebook(document["notebook_name"], settings.region)
    complete = _marker(plan, preservation.COMPLETE, settings)
    if complete is not None:
        return poll(*verify(plan, complete, document, settings, coordinator))
    failed = _marker(plan, preservation.FAILED, settings)
    if failed is not None:
        return poll("failed", f"the backup script reported: {failed[0].get('reason') or 'no reason given'}")
    stopped = _running(describe, "backup")
    if stopped:
        return poll("failed", stopped)
    if not access_granted(plan, settings):  # e.g. a stack update rewrote the bucket policy meanwhile
        grant_access(plan, settings, coordinator, document["execution_id"])
    started = _marker(plan, preservation.STARTED, settings)
    progress = {k: started[0].get(k) for k in ("files", "bytes")} if started else None
    return poll("started" if started else "missing", data=progress)


def verify(plan: Plan, complete: tuple[dict, str | None], document: dict, settings: Settings, coordinator) -> tuple:
    """(state, reason, data) of a completed backup: verified against its manifest and the objects, or failed."""
    marker, version = complete
    manifest = s3.get_latest(plan.bucket, plan.prefix + preservation.MANIFEST, settings.region)
    if manifest is None:
        return "failed", "the completion marker is there but the manifest is not", None
    listing = s3.object_sizes(plan.bucket, plan.prefix + preservation.DATA, settings.region)
    verified, problems = preservation.verify_backup(marker, manifest[0], listing, plan.prefix + preservation.DATA)
    if problems:
        shown = "; ".join(problems[:10]) + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else "")
        return "failed", f"the backup does not match its manifest: {shown}", None
    record = {
        **verified.to_dict(),
        "uri": plan.uri,
        "manifest_version_id": manifest[1],
        "complete_version_id": version,
        "checksum_algorithm": marker.get("checksum_algorithm"),
        "aws_cli": marker.get("aws_cli"),
    }
    coordinator.mark(document["notebook_arn"], document["execution_id"], {"backup_verified": record})
    audit.write(settings, document, "backup-verified", {"outcome": "backup-verified", "backup": record})
    return "done", None, record


def reread_verified(plan: Plan, verified: dict, settings: Settings) -> list[str]:
    """Right before a delete: the verified backup's manifest and marker are still the versions that were verified."""
    problems = []
    for name, version_key in ((preservation.MANIFEST, "manifest_version_id"), (preservation.COMPLETE,
                                                                              "complete_version_id")):
        body = s3.get_object(plan.bucket, plan.prefix + name, settings.region, verified.get(version_key))
        if body is None:
            problems.append(f"{name} of the backup ({plan.uri}) is gone")
        elif name == preservation.MANIFEST and hashlib.sha256(body).hexdigest() != verified.get(
            "manifest_sha256"
        ):
            problems.append(f"the manifest of the backup ({plan.uri}) changed since it was verified")
    return problems


def put_back(document: dict, settings: Settings) -> dict:
    """Attach the notebook's own lifecycle configuration again (or none, if it had none). Only while Stopped; a Failed
    notebook cannot be updated (SageMaker updates Stopped notebooks only): reported, not raised."""
    coordinator, plan, verified = _lease_plan(document, settings)
    name = document["notebook_name"]
    if plan is None:
        return {"reattached": False, "why": "no backup was prepared"}
    describe = sagemaker.describe_notebook(name, settings.region)
    if describe is None:
        return {"reattached": False, "why": "the notebook no longer exists"}
    ensure_ours(document, describe, settings.region)
    current = describe.get("NotebookInstanceLifecycleConfigName")
    if current == plan.original_config:
        return {"reattached": True, "changed": False, "configuration": current}
    status = describe["NotebookInstanceStatus"]
    if status == "Failed":
        return {
            "reattached": False,
            "why": f"the notebook is Failed ({describe.get('FailureReason') or 'no reason given'}) and SageMaker "
            f"updates only Stopped notebooks: {current} stays attached",
            "configuration": current,
        }
    if status != "Stopped":
        raise NotebookNotReady(f"notebook {name} is {status}: its configuration is put back while Stopped")
    if verified is not None and not access_granted(plan, settings):
        # The restore comes next: if a stack update rewrote the bucket policy meanwhile, the access is given back.
        grant_access(plan, settings, coordinator, document["execution_id"])
    sagemaker.set_lifecycle_config(name, plan.original_config, settings.region)
    return {"reattached": True, "changed": True, "configuration": plan.original_config, "state": "Updating"}


def cleanup(document: dict, settings: Settings) -> dict:
    """Retire the grant, remove the bucket statements, delete our configurations no notebook carries. Idempotent;
    a configuration still attached (the notebook could not be updated) is kept and named."""
    coordinator, plan, _ = _lease_plan(document, settings)
    if plan is None:
        return {"cleaned": False, "why": "no backup was prepared"}
    me = document["execution_id"]
    if plan.grant_id:
        kms.retire_grant(plan.key_arn, plan.grant_id, settings.region)
    revoke_access(plan, settings, coordinator, me)
    describe = sagemaker.describe_notebook(document["notebook_name"], settings.region)
    attached = (describe or {}).get("NotebookInstanceLifecycleConfigName")
    deleted, kept = [], []
    for config in (plan.backup_config, plan.restore_config):
        if config == attached:
            kept.append(config)
        elif sagemaker.delete_lifecycle_config(config, settings.region):
            deleted.append(config)
    result = {"cleaned": True, "grant_retired": bool(plan.grant_id), "deleted": deleted, "kept": kept}
    audit.write(settings, document, "backup-cleaned", {"outcome": "backup-cleaned", **result})
    return result


def check_restore(document: dict, settings: Settings) -> dict:
    """One poll of the restore on the recreated notebook: restored.json (verified on the notebook, file by file) or
    restore-failed.json."""
    coordinator, plan, verified = _lease_plan(document, settings)
    if plan is None or verified is None:
        raise BackupNotReady("no verified backup of this execution to restore")
    poll = lambda state, reason=None, data=None: waits.judge_marker(  # noqa: E731
        waits.RESTORED, state, document.get("loop"), _schedule(document, settings), plan.bound_seconds, reason, data
    ).to_dict()
    describe = sagemaker.describe_notebook(document["notebook_name"], settings.region)
    restored = _marker(plan, preservation.RESTORED, settings)
    if restored is not None:
        marker = restored[0]
        if marker.get("verified") is True and (marker.get("files"), marker.get("bytes")) == (
            verified["files"],
            verified["bytes"],
        ):
            data = {k: marker.get(k) for k in ("files", "bytes", "directories", "links")}
            audit.write(settings, document, "restored", {"outcome": "restored", "restored": data, "uri": plan.uri})
            return poll("done", data={**data, "uri": plan.uri})
        return poll("failed", f"the restore marker does not confirm the backup's {verified['files']} files: {marker}")
    failed = _marker(plan, preservation.RESTORE_FAILED, settings)
    if failed is not None:
        return poll("failed", f"the restore script reported: {failed[0].get('reason') or 'no reason given'}")
    stopped = _running(describe, "restore")
    if stopped:
        return poll("failed", stopped)
    if not access_granted(plan, settings):  # a stack update rewrote the bucket policy: the script retries its read
        grant_access(plan, settings, coordinator, document["execution_id"])
    return poll("missing")
