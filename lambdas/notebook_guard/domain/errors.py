"""Exceptions named after the condition. The same names appear in the state machine's Retry and Catch.

A step Lambda raises one of these; Step Functions sees the class name as the error (``errorType``).
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base class: a condition a step refuses to go past."""


class NotebookNotReady(WorkflowError):
    """The notebook is in a state where the requested call is illegal (e.g. Stop while Pending)."""


class NotebookChanged(WorkflowError):
    """The notebook is not the one that was snapshotted (recreated or replaced meanwhile)."""


class PreflightFailed(WorkflowError):
    """The target network, role or key is not fit to receive the notebook."""


class SnapshotMissing(WorkflowError):
    """The snapshot object a destructive step relies on is absent or unreadable."""


class SnapshotMismatch(WorkflowError):
    """The snapshot object does not match the notebook or its recorded checksum."""


class VerificationFailed(WorkflowError):
    """The recreated notebook still fails evaluation."""


class TransientAwsError(WorkflowError):
    """Throttling or a 5xx that outlived the client's own retries: the state machine retries the step."""


class AwsRequestFailed(WorkflowError):
    """A permanent AWS error (access denied, validation...): retrying will not help."""


class LeaseLost(WorkflowError):
    """This execution does not hold the notebook's lease (any more): it must not change the notebook."""


class InvalidExecutionInput(WorkflowError):
    """The execution input does not name a notebook or asks for an unknown action."""


class ApprovalRejected(WorkflowError):
    """A person refused the remediation (SendTaskFailure's error name; the state machine catches it)."""


class NoPendingApproval(WorkflowError):
    """No approval is waiting for that execution or notebook (never requested, or already decided and gone)."""


class ApprovalClosed(WorkflowError):
    """The approval's task is closed: decided already, timed out, or its execution ended (AWS: TaskTimedOut)."""
