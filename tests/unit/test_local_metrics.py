"""Local runs never print Powertools' EMF lines, however many handler invocations they make (the demo's flake)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from notebook_guard.handlers.observability import metrics
from notebook_guard_local.observability import discarded_metrics


@metrics.log_metrics
def _invocation(event, context):
    metrics.add_metric(name="WorkflowSteps", unit=MetricUnit.Count, value=1)
    return event


def test_many_invocations_print_no_metrics_line(capsys, monkeypatch):
    # The demo sets POWERTOOLS_METRICS_DISABLED; Powertools still prints once 100 values accumulate unless
    # each flush empties the set.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    with discarded_metrics():
        for number in range(250):
            assert _invocation({"n": number}, None) == {"n": number}
    assert "_aws" not in capsys.readouterr().out
    assert metrics.metric_set == {}


def test_values_left_by_earlier_code_are_dropped_before_the_run(capsys):
    for _ in range(99):  # one short of Powertools' own flush
        metrics.add_metric(name="WorkflowSteps", unit=MetricUnit.Count, value=1)
    with discarded_metrics():
        _invocation({}, None)
    assert "_aws" not in capsys.readouterr().out


def test_without_the_sink_powertools_prints_at_100_values(capsys, monkeypatch):
    """Pins the Powertools behaviour the sink exists for: values kept while disabled, printed at 100."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    metrics.clear_metrics()
    for _ in range(100):
        metrics.add_metric(name="WorkflowSteps", unit=MetricUnit.Count, value=1)
    assert "_aws" in capsys.readouterr().out
    metrics.clear_metrics()
