"""One bench run: seeded accounts of each size, each tool with and without the simulated latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from notebook_guard_local.bench import custodian
from notebook_guard_local.bench.seed import SeededNotebook, minimum_calls
from notebook_guard_local.bench.server import RemoteAccount
from notebook_guard_local.offline import REAL_AWS_VARIABLES

REGION = "us-east-1"
SAGEMAKER_OPERATIONS = ("ListNotebookInstances", "DescribeNotebookInstance", "ListTags")

# Variables that could point a run at a real account; the bench removes them from every environment it uses.
_REAL_AWS_VARIABLES = (*REAL_AWS_VARIABLES, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def offline_environment(base: dict[str, str], endpoint: str | None = None) -> dict[str, str]:
    """``base`` with fake credentials, no shared AWS files, and (if given) every client sent to ``endpoint``."""
    env = {k: v for k, v in base.items() if k not in _REAL_AWS_VARIABLES}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106  (fake: the bench never reaches AWS)
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
        POWERTOOLS_METRICS_NAMESPACE="NotebookGuard",
        POWERTOOLS_SERVICE_NAME="notebook-guard",
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


@dataclass
class Measurement:
    tool: str  # "sweep" | "audit" | "custodian"
    notebooks: int
    latency_ms: float
    seconds: float | None = None
    calls: Counter = field(default_factory=Counter)
    minimum: dict[str, int] = field(default_factory=dict)
    found: int | None = None
    expected: int | None = None
    note: str = ""

    @property
    def rate(self) -> float | None:
        return self.notebooks / self.seconds if self.seconds else None

    @property
    def sagemaker_calls(self) -> dict[str, int]:
        named = {op: self.calls.get(f"sagemaker:{op}", 0) for op in SAGEMAKER_OPERATIONS}
        named["other"] = sum(self.calls.values()) - sum(named.values())
        return named

    @property
    def correct(self) -> bool:
        return self.found is not None and self.found == self.expected

    def to_dict(self) -> dict:
        return {
            "tool": self.tool,
            "notebooks": self.notebooks,
            "latency_ms": self.latency_ms,
            "seconds": self.seconds,
            "notebooks_per_second": self.rate,
            "calls": dict(self.calls),
            "minimum": self.minimum,
            "found": self.found,
            "expected": self.expected,
            "note": self.note,
        }


def measure_sweep(account: RemoteAccount, latency_ms: float) -> Measurement:
    """``run_sweep`` in this process (a warm Lambda), sweep action notify, no workflow or topic: hand-on logs only."""
    from notebook_guard.aws import clients
    from notebook_guard.handlers.observability import logger, metrics
    from notebook_guard.handlers.sweep import run_sweep
    from notebook_guard.settings import Settings

    os.environ.update(offline_environment({}, account.url))
    level = logger.log_level
    logger.setLevel("WARNING")
    clients.reset()
    settings = Settings(region=account.region)
    account.reset_counts()
    try:
        started = time.perf_counter()
        summary = run_sweep(settings)
        seconds = time.perf_counter() - started
    finally:  # the process goes on (the bench's other rows, or a test): leave the logger as it was
        logger.setLevel(level)
        metrics.clear_metrics()
        clients.reset()
    counts = summary["counts"]
    return Measurement(
        "sweep", len(account.notebooks), latency_ms, seconds, account.counts(), minimum_calls(account.notebooks),
        found=counts.get("violating", 0), expected=sum(n.actionable for n in account.notebooks),
        note=f"{counts.get('errors', 0)} errors" if counts.get("errors") else "",
    )


def measure_audit(account: RemoteAccount, latency_ms: float) -> Measurement:
    """``notebook-guard audit --format json`` as a subprocess, interpreter start-up included."""
    env = offline_environment(dict(os.environ), account.url)
    command = [sys.executable, "-m", "notebook_guard_local.cli", "audit", "--format", "json", "--region", REGION]
    account.reset_counts()
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    seconds = time.perf_counter() - started
    measurement = Measurement(
        "audit", len(account.notebooks), latency_ms, seconds, account.counts(), minimum_calls(account.notebooks),
        expected=sum(n.actionable for n in account.notebooks),
    )
    if result.returncode not in (0, 3):
        measurement.note = f"exit {result.returncode}: {result.stderr.strip()[-200:]}"
        return measurement
    measurement.found = json.loads(result.stdout)["summary"]["violating"]
    return measurement


def measure_custodian(account: RemoteAccount, latency_ms: float, executable: Path) -> Measurement:
    env = offline_environment(dict(os.environ), account.url)
    # c7n's own interpreter must not see this project's packages.
    env.pop("PYTHONPATH", None)
    measurement = Measurement(
        "custodian", len(account.notebooks), latency_ms, minimum=minimum_calls(account.notebooks),
        expected=sum(not n.in_vpc for n in account.notebooks),
    )
    account.reset_counts()
    try:
        measurement.seconds, measurement.found = custodian.run_policy(executable, REGION, env)
    except custodian.CustodianUnavailable as error:
        measurement.note = str(error)
    measurement.calls = account.counts()
    if measurement.found is not None and not measurement.calls:
        measurement.note = "c7n did not go through AWS_ENDPOINT_URL"
    return measurement


def expected_of(notebooks: list[SeededNotebook]) -> dict[str, int]:
    return {
        "notebooks": len(notebooks),
        "out_of_vpc": sum(not n.in_vpc for n in notebooks),
        "exempt": sum(n.exempt for n in notebooks),
        "actionable": sum(n.actionable for n in notebooks),
    }
