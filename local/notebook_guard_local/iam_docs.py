"""The README's IAM tables, generated from the permission table (``notebook_guard.permissions``).

``python -m notebook_guard_local.iam_docs`` rewrites the section of README.md between the markers below; a
test fails when the README and the table drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from notebook_guard.permissions import principals, table
from notebook_guard.permissions.policy import Names, render

BEGIN = "<!-- BEGIN GENERATED IAM: python -m notebook_guard_local.iam_docs -->"
END = "<!-- END GENERATED IAM -->"
README = Path(__file__).resolve().parents[2] / "README.md"

PLACEHOLDERS = Names(
    partition="aws",
    region="REGION",
    account="ACCOUNT",
    snapshot_bucket_arn="arn:aws:s3:::SNAPSHOT_BUCKET",
    audit_table_arn="arn:aws:dynamodb:REGION:ACCOUNT:table/AUDIT_TABLE",
    coordination_table_arn="arn:aws:dynamodb:REGION:ACCOUNT:table/COORDINATION_TABLE",
    alert_dead_letter_queue_arn="arn:aws:sqs:REGION:ACCOUNT:ALERT_DEAD_LETTER_QUEUE",
    remediation_executions_arn="arn:aws:states:REGION:ACCOUNT:execution:STACK-remediation:*",
    alert_topic_arn="arn:aws:sns:REGION:ACCOUNT:ALERT_TOPIC",
    alert_key_arn="arn:aws:kms:REGION:ACCOUNT:key/ALERT_TOPIC_KEY",
    state_machine_arn="arn:aws:states:REGION:ACCOUNT:stateMachine:REMEDIATION",
    target_subnet_ids=("TARGET_SUBNET",),
    target_security_group_ids=("TARGET_SECURITY_GROUP",),
    passrole_role_pattern="PASSROLE_PATTERN",
    step_role_arns=tuple(f"arn:aws:iam::ACCOUNT:role/{s.upper()}_STEP_ROLE" for s in principals.SIMULATED_STEPS),
    # As deployed with suppress_exempt_findings and own_findings on (each adds what its row shows).
    finding_statuses=("NOTIFIED", "RESOLVED", "SUPPRESSED"),
    own_findings=True,
)
CLI_NAMES = Names(
    partition="aws",
    region="REGION",
    account="ACCOUNT",
    snapshot_bucket_arn="arn:aws:s3:::SNAPSHOT_BUCKET",
    coordination_table_arn="arn:aws:dynamodb:REGION:ACCOUNT:table/COORDINATION_TABLE",
    state_machine_arn="arn:aws:states:REGION:ACCOUNT:stateMachine:REMEDIATION",
)


def _code(items) -> str:
    return ", ".join(f"`{i}`" for i in items)


def api_table() -> list[str]:
    lines = [
        "| AWS call | IAM actions always | IAM actions when | AWS's page |",
        "|---|---|---|---|",
    ]
    for api in sorted(table.APIS, key=lambda a: a.call):
        always = list(dict.fromkeys(n.action for n in api.needs if n.when is None))
        conditional: dict[str, list[str]] = {}
        for need in api.needs:
            if need.when is not None:
                conditional.setdefault(need.when, [])
                if need.action not in conditional[need.when]:
                    conditional[need.when].append(need.action)
        when = "; ".join(f"{table.FEATURES[f]}: {_code(actions)}" for f, actions in conditional.items())
        lines.append(f"| `{api.call}` | {_code(always)} | {when or '-'} | [{api.source.title}]({api.source.url}) |")
    return lines


def _resource(resource) -> str:
    return "<br>".join(f"`{r}`" for r in (resource if isinstance(resource, list) else [resource]))


def principal_table(items, names: Names) -> list[str]:
    lines = ["| Function | Calls | Actions | Resource | Condition |", "|---|---|---|---|---|"]
    for principal in items:
        statements = render(principal, names).statements
        for index, statement in enumerate(statements):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            condition = json.dumps(statement.get("Condition"), sort_keys=True) if statement.get("Condition") else ""
            who = f"**{principal.name}**" if index == 0 else ""
            calls = _code(principal.calls) if index == 0 else ""
            lines.append(
                f"| {who} | {calls} | {_code(actions)} | {_resource(statement['Resource'])} | "
                f"{f'`{condition}`' if condition else ''} |"
            )
    return lines


def generated() -> str:
    lines = [
        BEGIN,
        "",
        "#### What each AWS call needs",
        "",
        "From `lambdas/notebook_guard/permissions/table.py`, one row per AWS API operation the package or the CLI "
        "calls (dependent actions included), with the AWS page that says so.",
        "",
        *api_table(),
        "",
        "#### What each function's role holds",
        "",
        "Rendered by `notebook_guard.permissions.policy.render`, the function the stack builds every grant from "
        "(placeholders in capitals), as deployed with `suppress_exempt_findings` and `own_findings` on: without "
        "them `SUPPRESSED` is not among the statuses and `securityhub:BatchImportFindings` is not granted. "
        "`ApprovalAction` exists only when the stack creates the Security Hub custom actions; `ActionTargets` is "
        "the deployment-time custom resource that creates them. Besides these, each function may write its own "
        "log group and send X-Ray traces; the state machine may invoke exactly the step functions.",
        "",
        *principal_table((*principals.step_principals(), *principals.DETECTION, *principals.STACK), PLACEHOLDERS),
        "",
        "#### What a CLI operator needs",
        "",
        "The policy for a person or role running the `notebook-guard` commands (`SNAPSHOT_BUCKET`: the bucket "
        "`restore` reads; `COORDINATION_TABLE` and `REMEDIATION`: the stack's, for `approve` and `reject`):",
        "",
        *principal_table(principals.CLI, CLI_NAMES),
        "",
        END,
    ]
    return "\n".join(lines)


def section_of(text: str) -> str | None:
    if BEGIN not in text or END not in text:
        return None
    return BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END


def rewrite(path: Path = README) -> bool:
    """Replace the README's generated section; returns whether it changed."""
    text = path.read_text(encoding="utf-8")
    current = section_of(text)
    if current is None:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} section")
    fresh = generated()
    if current == fresh:
        return False
    path.write_text(text.replace(current, fresh), encoding="utf-8")
    return True


if __name__ == "__main__":
    changed = rewrite(Path(sys.argv[1]) if len(sys.argv) > 1 else README)
    print("README IAM section " + ("rewritten" if changed else "up to date"))
