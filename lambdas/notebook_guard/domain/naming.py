"""Names: notebook instance names as AWS allows them, execution names unique per attempt."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

# Step Functions execution names: 1-80 characters of [A-Za-z0-9-_].
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
NOTEBOOK_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def is_valid_notebook_name(name: object) -> bool:
    return isinstance(name, str) and bool(NOTEBOOK_NAME_PATTERN.fullmatch(name))


def execution_name(trigger: str, notebook_name: str, now: datetime | None = None, token: str | None = None) -> str:
    """A Step Functions execution name unique to one attempt: trigger, notebook, time and a random token.

    A name is neither a lock nor a retry policy: Step Functions refuses a closed execution's name for 90 days
    whatever its outcome, so a name derived from the notebook would block every later attempt. One workflow per
    notebook is the lease's job (``domain.lease``); the name is only unique and readable.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    readable = _UNSAFE.sub("-", notebook_name)[:40]
    return f"{trigger[:8]}-{readable}-{stamp}-{token or secrets.token_hex(4)}"[:80]


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN an execution of ``name`` gets: known before StartExecution, so the lease can name its holder."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def execution_name_of(execution_arn_or_name: str | None) -> str:
    """The name part of an execution ARN (or the name itself)."""
    return (execution_arn_or_name or "").rsplit(":", 1)[-1]
