"""``audit``'s report in each output: a table for people, JSON, CSV and SARIF 2.1.0 for tools.

Every machine-readable form says who and what it judged: the account, the regions, the time (UTC, ``Z``), the
tool's version and the settings used. SARIF has one rule per Security Hub control (SageMaker.1/.2/.3) and one
result per violation; an exempt notebook's results carry a suppression with the exemption's reason.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from typing import TextIO

from notebook_guard_local.auditing import RegionResult, totals
from notebook_guard_local.wording import plural

AUDIT_SCHEMA = "notebook-guard/audit"
AUDIT_SCHEMA_VERSION = "2.0"  # 2.0: account, regions, time, tool, settings; a region per notebook
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
CONTROLS_URI = "https://docs.aws.amazon.com/securityhub/latest/userguide/sagemaker-controls.html"

# The Security Hub controls, as their titles read (aws-facts.md, "Security Hub"); all three are High severity.
CONTROLS = {
    "SageMaker.1": ("NoDirectInternetAccess", "SageMaker notebook instances should not have direct internet access"),
    "SageMaker.2": ("LaunchedInCustomVpc", "SageMaker notebook instances should be launched in a custom VPC"),
    "SageMaker.3": ("NoRootAccess", "Users should not have root access to SageMaker notebook instances"),
}
CSV_COLUMNS = (
    "account",
    "region",
    "name",
    "status",
    "subnet_id",
    "violations",
    "checks",
    "exempt",
    "exemption_reason",
    "exemption_until",
    "note",
    "error",
    "arn",
)


@dataclass
class AuditReport:
    results: list[RegionResult]
    time: str
    version: str
    settings: dict
    account: str | None = None
    violations_only: bool = False

    @property
    def regions(self) -> list[str]:
        return [r.region for r in self.results]

    @property
    def summary(self) -> Counter:
        return totals(self.results)

    def rows(self) -> list[dict]:
        rows = [row for result in self.results for row in result.rows]
        if self.violations_only:
            rows = [row for row in rows if row["violations"] or row["error"]]
        return rows

    # JSON ---------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "schema": AUDIT_SCHEMA,
            "schema_version": AUDIT_SCHEMA_VERSION,
            "tool": {"name": "notebook-guard", "version": self.version},
            "time": self.time,
            "account": self.account,
            "regions": self.regions,
            "settings": self.settings,
            "summary": dict(self.summary),
            "by_region": {r.region: dict(r.counts) | {"error": r.error} for r in self.results},
            "notebooks": self.rows(),
        }

    def write_json(self, out: TextIO) -> None:
        json.dump(self.to_dict(), out, indent=2)
        out.write("\n")

    # CSV ----------------------------------------------------------------------------------------------------
    def write_csv(self, out: TextIO) -> None:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in self.rows():
            exemption = row["exemption"] or {}
            writer.writerow(
                (
                    self.account or "",
                    row["region"],
                    row["name"],
                    row["status"] or "",
                    row["subnet_id"] or "",
                    ";".join(row["violations"]),
                    ";".join(row["checks"]),
                    "yes" if row["exempt"] else "no",
                    exemption.get("reason") or "",
                    exemption.get("until") or "",
                    row["exemption_problem"] or "",
                    row["error"] or "",
                    row["arn"] or "",
                )
            )

    # SARIF 2.1.0 --------------------------------------------------------------------------------------------
    def to_sarif(self) -> dict:
        rule_ids = list(CONTROLS)
        rules = [
            {
                "id": control,
                "name": name,
                "shortDescription": {"text": title},
                "fullDescription": {"text": f"Security Hub control {control}: {title}."},
                "helpUri": f"{CONTROLS_URI}#{control.lower().replace('.', '-')}",
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["security", "aws", "sagemaker"], "security-severity": "8.0"},
            }
            for control, (name, title) in CONTROLS.items()
        ]
        results = []
        for row in self.rows():
            for finding in row["findings"]:
                results.append(self._sarif_result(row, finding, rule_ids))
        complete = not any(r.error for r in self.results) and not self.summary["errors"]
        driver = {"name": "notebook-guard", "version": self.version, "informationUri": CONTROLS_URI, "rules": rules}
        if self.version[:1].isdigit():
            driver["semanticVersion"] = self.version
        return {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": driver},
                    "invocations": [
                        {
                            "executionSuccessful": complete,
                            "endTimeUtc": self.time,
                            "toolExecutionNotifications": [
                                {"level": "error", "message": {"text": f"{r.region}: {r.error}"}}
                                for r in self.results
                                if r.error
                            ],
                        }
                    ],
                    "properties": {"account": self.account, "regions": self.regions, "settings": self.settings},
                    "results": results,
                }
            ],
        }

    def _sarif_result(self, row: dict, finding: dict, rule_ids: list[str]) -> dict:
        arn = row["arn"] or f"notebook-instance/{row['name']}"
        result = {
            "ruleId": finding["control_id"],
            "ruleIndex": rule_ids.index(finding["control_id"]),
            "level": "error",
            "message": {"text": f"Notebook instance {row['name']} ({row['region']}): {finding['reason']}"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": arn}},
                    "logicalLocations": [{"name": row["name"], "fullyQualifiedName": arn, "kind": "resource"}],
                }
            ],
            "partialFingerprints": {"notebookCheck/v1": f"{arn}#{finding['check']}"},
            "properties": {
                "account": self.account,
                "region": row["region"],
                "check": finding["check"],
                "status": row["status"],
                "subnet_id": row["subnet_id"],
            },
        }
        if row["exempt"]:
            reason = (row["exemption"] or {}).get("reason") or "exempt"
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": reason}]
        return result

    def write_sarif(self, out: TextIO) -> None:
        json.dump(self.to_sarif(), out, indent=2)
        out.write("\n")

    # Table --------------------------------------------------------------------------------------------------
    def write_table(self, out: TextIO) -> None:
        several = len(self.results) > 1
        headers = (("REGION",) if several else ()) + ("NAME", "STATUS", "SUBNET", "VIOLATIONS", "EXEMPT", "NOTE")
        table = [
            ((row["region"],) if several else ())
            + (
                row["name"],
                row["status"] or "?",
                row["subnet_id"] or "-",
                ",".join(row["violations"]) or "-",
                "yes" if row["exempt"] else ("no" if row["violations"] else "-"),
                row["error"] or row["exemption_problem"] or ((row["exemption"] or {}).get("reason") or ""),
            )
            for row in self.rows()
        ]
        widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(headers)]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        if table:
            print(line.format(*headers).rstrip(), file=out)
            for cells in table:
                print(line.format(*cells).rstrip(), file=out)
            print(file=out)
        for result in self.results:
            if result.error:
                print(f"{result.region}: not audited: {result.error}", file=out)
            else:
                print(f"{result.region}: {summary_line(result.counts)}", file=out)
        if several:
            print(f"{plural(len(self.results), 'region')}: {summary_line(self.summary)}", file=out)


def summary_line(counts: Counter) -> str:
    return (
        f"{plural(counts['notebooks'], 'notebook')}, {counts['violating']} in violation, {counts['exempt']} exempt, "
        f"{counts['compliant']} compliant, {counts['errors']} not evaluated"
    )


def envelope(schema: str, *, regions: list[str], settings: dict, account: str | None) -> dict:
    """What every JSON document of the command line starts with: what made it, when, for whom, with what."""
    from notebook_guard.domain.timestamps import utc_timestamp
    from notebook_guard_local.version import package_version

    return {
        "schema": schema,
        "schema_version": "1.0",
        "tool": {"name": "notebook-guard", "version": package_version()},
        "time": utc_timestamp(),
        "account": account,
        "regions": regions,
        "settings": settings,
    }


def write_sections_csv(out: TextIO, rows: list[tuple[str, str, str]]) -> None:
    """A document that is not a table (a plan, a restore) as CSV: one ``section,item,value`` row per fact."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "item", "value"))
    for section, item, value in rows:
        writer.writerow((section, item, value))


def request_rows(request: dict | None) -> list[tuple[str, str, str]]:
    """A CreateNotebookInstance (or Update) request, one row per parameter; lists and objects as JSON."""
    return [
        ("request", key, value if isinstance(value, str) else json.dumps(value, default=str))
        for key, value in (request or {}).items()
    ]
