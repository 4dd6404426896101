"""The sweep makes exactly the minimum SageMaker calls: list pages, one Describe each, ListTags per violator.

Counted per HTTP request at the bench's proxy in front of a moto server, so retries would show up too.
"""

from __future__ import annotations

from notebook_guard_local.bench.seed import minimum_calls, plan_account
from notebook_guard_local.bench.server import SeededAccount
from tests.integration.bench_helpers import use_endpoint


def test_sweep_calls_equal_the_minimum_for_a_small_account(monkeypatch):
    from notebook_guard.handlers.sweep import run_sweep
    from notebook_guard.settings import Settings

    notebooks = plan_account(250)  # three list pages
    with SeededAccount(notebooks) as account:
        use_endpoint(monkeypatch, account.url)
        summary = run_sweep(Settings(region="us-east-1"))
        counts = dict(account.proxy.counts())

    violators = sum(n.in_violation for n in notebooks)
    assert counts == {
        "sagemaker:ListNotebookInstances": 3,
        "sagemaker:DescribeNotebookInstance": 250,
        "sagemaker:ListTags": violators,
    }
    assert counts == {f"sagemaker:{op}": n for op, n in minimum_calls(notebooks).items()}
    assert summary["counts"]["violating"] == sum(n.actionable for n in notebooks)
    assert summary["counts"]["exempt"] == sum(n.exempt for n in notebooks)
    assert summary["counts"].get("errors", 0) == 0
