"""The finding follows the remediation: write the workflow's moments on the notebook's Security Hub findings, and
(optionally) import notebook-guard's own finding for each remediation.

Nothing here may fail a remediation, or outlast a step. The client retries throttling and 5xx (three attempts,
short timeouts: ``aws.clients.SERVICE_CONFIGS``) and a step spends at most ``BUDGET_SECONDS`` here; what still
fails, every finding Security Hub did not process after the bounded retries here, and Security Hub not being
enabled at all, is returned as a report that the step records in the audit table and the alert carries. Security
Hub not enabled is said once per account and region (the coordination table remembers it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from notebook_guard.aws import dynamodb, securityhub
from notebook_guard.aws.errors import error_code, error_message
from notebook_guard.domain import findings
from notebook_guard.services.audit import now_iso
from notebook_guard.settings import Settings
from notebook_guard.workflow_steps import COORDINATION_PARTITION_KEY, COORDINATION_SORT_KEY

# UnprocessedFindings with a retryable error code are sent again this many times, after these pauses.
RETRY_PAUSES = (0.5, 1.0, 2.0)
# The most one step spends on Security Hub (its client gives up after 3 attempts of at most 5 s each, too): the
# steps that write findings have 30 s in all.
BUDGET_SECONDS = 12.0
NOT_ENABLED_ITEM = "securityhub-not-enabled"


@dataclass
class FindingReport:
    moment: str
    findings: int = 0  # open control findings about the notebook
    updated: int = 0
    status: str | None = None  # the Workflow.Status written, if any
    unprocessed: list[dict] = field(default_factory=list)  # {"id", "error_code", "error_message"}
    error: str | None = None  # a call that failed after the client's retries
    not_enabled: bool = False  # Security Hub is not enabled in this account and region
    skipped: str | None = None  # why nothing was attempted

    @property
    def problem(self) -> bool:
        return bool(self.error or self.unprocessed)

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], False) or k in ("findings", "updated")}


def _describe(error: BaseException) -> str:
    return f"{error_code(error) or type(error).__name__}: {error_message(error)}"


def follow(
    moment: str,
    document: dict,
    settings: Settings,
    summary: str = "",
    sleep: Callable[[float], None] = time.sleep,
) -> FindingReport:
    """Write ``moment`` on the notebook's open control findings; never raises."""
    report = FindingReport(moment)
    if not settings.finding_updates:
        report.skipped = "finding updates are off (NG_FINDING_UPDATES)"
        return report
    arn = document.get("notebook_arn")
    update = findings.update_for(moment, document, summary, settings.suppress_exempt_findings)
    if not arn or update is None:
        report.skipped = "nothing to write at this moment"
        return report
    deadline = time.monotonic() + BUDGET_SECONDS
    try:
        found = findings.open_findings(securityhub.control_findings(arn, settings.region))
        report.findings = len(found)
        report.status = update.status.value if update.status else None
        for batch in findings.batches([findings.identifier(f) for f in found]):
            if time.monotonic() > deadline:
                report.error = f"time budget of {BUDGET_SECONDS:g} s spent: {report.findings - report.updated} left"
                break
            _update_batch(update, batch, report, settings.region, sleep, deadline)
    except (ClientError, BotoCoreError) as error:
        report.not_enabled = securityhub.is_not_enabled(error)
        report.error = _describe(error)
    return report


def _update_batch(
    update: findings.FindingUpdate, batch: list[dict], report: FindingReport, region: str, sleep, deadline: float
) -> None:
    pending = batch
    for attempt in range(len(RETRY_PAUSES) + 1):
        processed, unprocessed = securityhub.update_findings(update.request(pending), region)
        report.updated += len(processed)
        retry = [u for u in unprocessed if u.get("ErrorCode") in findings.RETRYABLE_ERRORS]
        final = [u for u in unprocessed if u not in retry]
        report.unprocessed += [_unprocessed(u) for u in final]
        if not retry:
            return
        if attempt == len(RETRY_PAUSES) or time.monotonic() + RETRY_PAUSES[attempt] > deadline:
            report.unprocessed += [_unprocessed(u) for u in retry]
            return
        sleep(RETRY_PAUSES[attempt])
        pending = [u["FindingIdentifier"] for u in retry]


def _unprocessed(entry: dict) -> dict:
    return {
        "id": (entry.get("FindingIdentifier") or {}).get("Id"),
        "error_code": entry.get("ErrorCode"),
        "error_message": entry.get("ErrorMessage"),
    }


def import_own(outcome: str, document: dict, settings: Settings, summary: str) -> dict:
    """Import notebook-guard's own finding for this execution's outcome (own_findings on); never raises."""
    if not settings.own_findings:
        return {}
    arn = document.get("notebook_arn") or ""
    parts = arn.split(":")
    if len(parts) < 5:
        return {}
    context = findings.OwnFindingContext(account=parts[4], region=settings.region, partition=parts[1], now=now_iso())
    finding = findings.own_finding(outcome, document, summary, context)
    if finding is None:
        return {}
    try:
        failed = securityhub.import_findings([finding], settings.region)
    except (ClientError, BotoCoreError) as error:
        return {"id": finding["Id"], "error": _describe(error)}
    if failed:
        return {"id": finding["Id"], "failed": failed}
    return {"id": finding["Id"], "imported": True}


def first_time_not_enabled(account: str, settings: Settings) -> bool:
    """Remember that Security Hub is not enabled here; True the first time (so the alert says it once)."""
    if not settings.coordination_table:
        return True
    key = {COORDINATION_PARTITION_KEY: f"account#{account}#{settings.region}", COORDINATION_SORT_KEY: NOT_ENABLED_ITEM}
    try:
        return dynamodb.update_item(
            settings.coordination_table,
            key,
            set_values={"noticed_at": int(time.time())},
            condition="attribute_not_exists(#pk)",
            region=settings.region,
        )
    except (ClientError, BotoCoreError):  # saying it twice is better than not at all
        return True
