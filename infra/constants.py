"""Names and fixed values of the stack, in one place."""

from __future__ import annotations

from pathlib import Path

from notebook_guard import METRICS_NAMESPACE, PRODUCT, workflow_steps

REPO_ROOT = Path(__file__).resolve().parents[1]
LAMBDA_SOURCE_DIR = REPO_ROOT / "lambdas"
LAMBDA_PACKAGE = "notebook_guard"

STACK_NAME = "NotebookGuard"
SERVICE_NAME = PRODUCT
METRICS = METRICS_NAMESPACE

INTAKE_HANDLER = "notebook_guard.handlers.intake.handler"
APPROVAL_ACTION_HANDLER = "notebook_guard.handlers.approval_action.handler"
SWEEP_HANDLER = "notebook_guard.handlers.sweep.handler"
RESUME_HANDLER = "notebook_guard.handlers.resume.handler"

# The Lambda runtime and the Powertools layer are chosen together: the layer is built per Python version
# (pydantic-core is a compiled wheel), so bumping one means bumping the other.
PYTHON_VERSION = "3.12"
POWERTOOLS_LAYER_ACCOUNT = "017000801446"  # AWS's publishing account for Powertools for AWS Lambda (Python)
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python312-arm64"
# AWS publishes the layer's ARN in a public SSM parameter per architecture and runtime (Powertools for AWS Lambda
# (Python) docs, Installation > Lambda Layer > "Using SSM Parameter Store":
# /aws/service/powertools/python/${Architecture}/${PythonVersion}/latest). The stack resolves it at deploy time
# unless the setting powertools_layer_version pins a layer version.
POWERTOOLS_SSM_PARAMETER = f"/aws/service/powertools/python/arm64/python{PYTHON_VERSION}/latest"

# Audit table: generic single-table keys; records that expire carry an epoch-seconds TTL attribute.
# Key names are the runtime's (the code that writes the records owns them).
AUDIT_PARTITION_KEY = workflow_steps.AUDIT_PARTITION_KEY
AUDIT_SORT_KEY = workflow_steps.AUDIT_SORT_KEY
AUDIT_TTL_ATTRIBUTE = "expires_at"
# Coordination table (leases; later wait tokens and approvals): generic string keys and a TTL attribute.
COORDINATION_PARTITION_KEY = workflow_steps.COORDINATION_PARTITION_KEY
COORDINATION_SORT_KEY = workflow_steps.COORDINATION_SORT_KEY
COORDINATION_TTL_ATTRIBUTE = workflow_steps.COORDINATION_TTL_ATTRIBUTE

# Non-current snapshot versions (a snapshot rewritten by a retried step) are kept this long.
SNAPSHOT_NONCURRENT_VERSION_DAYS = 90
ACCESS_LOG_RETENTION_DAYS = 365

# `iam:PassRole` is allowed only towards this service (condition iam:PassedToService).
SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"

# EventBridge
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
STATE_CHANGE_DETAIL_TYPE = "SageMaker Notebook Instance State Change"
# Native state-change events worth an invocation: a notebook being created or (re)started (Pending) and one
# that has come up (InService). Stopping/Stopped/Deleting/Updating/Failed cannot introduce a new violation
# (network fields are fixed at creation, root access only changes through Update, which ends Stopped and is
# followed by Pending on the next start), so filtering them out saves most invocations, including the ones
# our own workflow causes while it stops and deletes a notebook.
STATE_CHANGE_STATUSES = ("Pending", "InService")

# Security Hub (EventBridge detail types; the custom actions' ids: up to 20 alphanumeric characters, unique in
# the account and region, so one deployment per account and region).
SECURITY_HUB_IMPORTED_DETAIL_TYPE = "Security Hub Findings - Imported"
SECURITY_HUB_CUSTOM_ACTION_DETAIL_TYPE = "Security Hub Findings - Custom Action"
APPROVE_ACTION_ID = "NotebookGuardApprove"
REJECT_ACTION_ID = "NotebookGuardReject"

# Asynchronous invocations (EventBridge -> Lambda): how long and how often to retry before the DLQ.
EVENT_MAX_AGE_HOURS = 2
EVENT_RETRY_ATTEMPTS = 4

# Wait loops of the workflow: each poll interval is this much longer than the one before (up to
# wait_max_seconds); a loop ends at wait_timeout_seconds (the poll cap is derived from it, never shorter).
WAIT_GROWTH = 2.0
# Key prefix of the snapshots in the snapshot bucket.
SNAPSHOT_PREFIX = "snapshots"
# Key prefix of the storage volumes' backups in the backup bucket (backups/<notebook>/<execution>/...).
BACKUP_PREFIX = "backups"
# The fixed part of a backup's (or a restore's) bound, on top of the volume's size at the assumed throughput: the
# script's start, the scan and the markers.
BACKUP_FIXED_SECONDS = 900
