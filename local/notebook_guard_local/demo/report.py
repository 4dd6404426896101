"""``--report FILE``: per notebook, its Describe output and tags before and after, the actions, the alerts."""

from __future__ import annotations

import json
from pathlib import Path

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
    Path(path).write_text(json.dumps(report, indent=2, sort_keys=False, default=_default) + "\n")


def _default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")
