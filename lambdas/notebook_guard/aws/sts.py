"""STS: who is calling (the approver's identity). GetCallerIdentity needs no permission (STS API Reference)."""

from __future__ import annotations

from notebook_guard.aws.clients import client


def caller_arn(region: str | None = None) -> str:
    return client("sts", region).get_caller_identity()["Arn"]
