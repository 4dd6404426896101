"""``--report FILE``: per notebook, its Describe output and tags before and after, the actions, the alerts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from notebook_guard.domain.timestamps import utc_timestamp
from notebook_guard_local.demo.engine import NotebookRecord, Trigger

REPORT_SCHEMA = "notebook-guard/demo-report"
REPORT_SCHEMA_VERSION = "1.0"


def build_report(records: list[NotebookRecord], triggers: list[Trigger], settings: dict, passed: bool) -> dict:
    return {
        "schema": REPORT_SCHEMA,
        "schema_version": REPORT_SCHEMA_VERSION,
        "passed": passed,
        "settings": settings,
        "notebooks": [
            {
                "name": r.name,
                "expected_outcome": r.expected,
                "outcome": r.outcome,
                "as_expected": r.as_expected,
                "problems": r.problems,
                "before": {"describe": r.before, "tags": r.tags_before},
                "after": {"describe": r.after, "tags": r.tags_after},
                "actions": r.actions,
                "alerts": [
                    {"subject": a["subject"], "message": a["message"], "document": a["document"]} for a in r.alerts
                ],
            }
            for r in records
        ],
        "triggers": [
            {
                "simulated_seconds": t.at,
                "title": t.title,
                "result": t.result,
                "executions": [
                    {
                        "arn": e.arn,
                        "status": e.status,
                        "error": e.error,
                        "timeline": [
                            {
                                "simulated_seconds": row.at,
                                "step": row.step,
                                "notebook_state": row.state,
                                "checks": row.checks,
                            }
                            for row in rows
                        ],
                    }
                    for e, rows in t.executions
                ],
            }
            for t in triggers
        ],
    }


def write_report(path: str | Path, report: dict) -> None:
    with Path(path).open("w") as out:
        dump_report(report, out)


def _default(value):
    if isinstance(value, datetime):
        return utc_timestamp(value)  # the one format (UTC, Z), whatever zone boto3 parsed it in
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def dump_report(report: dict, out) -> None:
    out.write(json.dumps(report, indent=2, sort_keys=False, default=_default) + "\n")


OUTCOME_COLUMNS = (
    "name",
    "expected_outcome",
    "outcome",
    "as_expected",
    "status_before",
    "status_after",
    "subnet_before",
    "subnet_after",
    "internet_after",
    "root_after",
    "alerts",
    "problems",
)


def write_outcomes_csv(records: list[NotebookRecord], out) -> None:
    """One row per notebook: what was expected, what happened, the after-state, the alerts it caused."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTCOME_COLUMNS)
    for r in records:
        before, after = r.before or {}, r.after or {}
        writer.writerow(
            (
                r.name,
                r.expected or "",
                r.outcome or "",
                "yes" if r.as_expected else "no",
                before.get("NotebookInstanceStatus", ""),
                after.get("NotebookInstanceStatus", "gone" if r.after is None else ""),
                before.get("SubnetId", ""),
                after.get("SubnetId", ""),
                after.get("DirectInternetAccess", ""),
                after.get("RootAccess", ""),
                ";".join(a["document"]["kind"] for a in r.alerts),
                "; ".join(r.problems),
            )
        )
