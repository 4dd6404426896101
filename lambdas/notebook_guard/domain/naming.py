"""Names derived from a notebook's identity, so that duplicate triggers collapse."""

from __future__ import annotations

import hashlib
import re

# Step Functions execution names: 1-80 characters of [A-Za-z0-9-_].
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
NOTEBOOK_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def is_valid_notebook_name(name: object) -> bool:
    return isinstance(name, str) and bool(NOTEBOOK_NAME_PATTERN.fullmatch(name))


def execution_name(notebook_arn: str, creation_time: str | None, action: str) -> str:
    """A Step Functions execution name unique to one notebook *instance* and one requested action.

    The ARN alone is not enough: a recreated notebook has the same ARN, so the creation time tells the
    incarnations apart. The action is part of it so that a notebook flagged by the sweep (notify) can still
    be remediated later when the team opts in. Step Functions rejects a second execution with the same
    name for 90 days, which is what collapses repeated events and event + sweep into one remediation.
    """
    digest = hashlib.sha256(f"{notebook_arn}|{creation_time or ''}|{action}".encode()).hexdigest()[:20]
    readable = _UNSAFE.sub("-", notebook_arn.rsplit("/", 1)[-1])[:40]
    return f"{action[:10]}-{readable}-{digest}"[:80]
