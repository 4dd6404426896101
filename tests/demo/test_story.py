"""``notebook-guard demo``: the built-in story on the embedded moto server, judged end to end."""

from __future__ import annotations

import argparse
import io
import json
import time

from notebook_guard_local.demo import engine
from notebook_guard_local.demo.run import play, run_demo

EXPECTED = {
    "legacy-etl": engine.FLAGGED,
    "fraud-model": engine.COMPLIANT,
    "vendor-poc": engine.EXEMPT,
    "payroll-report": engine.REMEDIATED,
    "churn-forecast": engine.REMEDIATED,
    "gpu-research": engine.ROOT_ACCESS_FIXED,
}


def test_the_built_in_story_plays_as_expected_and_exits_0(tmp_path, capsys):
    started = time.monotonic()
    args = argparse.Namespace(scenario=None, report=str(tmp_path / "report.json"), action=None, region=None)
    code = run_demo(args)
    elapsed = time.monotonic() - started
    text = capsys.readouterr().out

    assert code == 0, text
    report = json.loads((tmp_path / "report.json").read_text())
    assert {n["name"]: n["outcome"] for n in report["notebooks"]} == EXPECTED
    assert elapsed < 45, f"the demo took {elapsed:.1f} s"
    # The story, in order: the CloudTrail path, the in-place fix, the sweep.
    positions = [
        text.index("CloudTrail: CreateNotebookInstance churn-forecast"),
        text.index("State change: gpu-research is InService"),
        text.index("State change: legacy-etl started again by its owner"),
        text.index("Security Hub: control finding SageMaker.2 about payroll-report (NEW) -> intake"),
        text.index("Scheduled sweep"),
        text.index("Before and after"),
    ]
    assert positions == sorted(positions)
    assert "Recreate the notebook in the private subnet" in text
    assert "Disable root access" in text
    # Restarting a notebook that predates the stack is a restart: flagged (the sweep's action), never deleted.
    assert "intake: legacy-etl violates SageMaker.1, .2, .3 -> workflow-started (restart: notify)" in text
    assert "violators: 1 already-notified" in text  # the sweep an hour later: alerted once a day, not hourly
    # A Security Hub finding triggers it; an existing notebook waits for a person, who approves; the finding follows.
    assert "intake: payroll-report violates SageMaker.1, .2, .3 -> workflow-started (finding: remediate)" in text
    assert "Ask a person to approve" in text
    assert "  Approved the remediation of notebook payroll-report (remediate)" in text
    assert "  Security Hub finding SageMaker.2: NEW -> NOTIFIED -> RESOLVED" in text
    assert "VERDICT: all 6 notebooks as expected" in text
    assert "\033[" not in text  # no colour when the output is not a terminal
    # 100 columns, apart from the alert bodies (quoted as sent) and the report's path (the test's tmp_path).
    too_long = [line for line in text.splitlines() if len(line) > 100 and not line.startswith(("  | ", "Report "))]
    assert too_long == []
    # The alerts, exactly as published: subject line, then the body (human text, then the JSON block).
    subjects = [line for line in text.splitlines() if line.startswith("  Subject: ")]
    assert subjects == [
        "  Subject: [notebook-guard] churn-forecast: caught, remediation started",
        "  Subject: [notebook-guard] churn-forecast: remediated, now in the private subnet",
        "  Subject: [notebook-guard] gpu-research: caught, remediation started",
        "  Subject: [notebook-guard] gpu-research: root access disabled",
        "  Subject: [notebook-guard] legacy-etl: violates SageMaker.1, SageMaker.2, SageMaker.3",
        "  Subject: [notebook-guard] payroll-report: caught, remediation started",
        "  Subject: [notebook-guard] payroll-report: remediation waits for your approval",
        "  Subject: [notebook-guard] payroll-report: remediated, now in the private subnet",
        "  Subject: [notebook-guard] vendor-poc: exempt, left alone",
    ]
    assert "  | --- machine-readable ---" in text

    assert report["passed"] is True
    by_name = {n["name"]: n for n in report["notebooks"]}
    assert by_name["fraud-model"]["alerts"] == []
    # An exemption is announced once, the first time it is honoured.
    assert [a["document"]["kind"] for a in by_name["vendor-poc"]["alerts"]] == ["exempt"]
    assert [a["document"]["kind"] for a in by_name["legacy-etl"]["alerts"]] == ["violation"]
    legacy = by_name["legacy-etl"]
    assert legacy["after"]["describe"]["CreationTime"] == legacy["before"]["describe"]["CreationTime"]


def test_a_forced_notify_action_only_flags_and_the_verdict_follows_the_actions():
    out = io.StringIO()
    result = play(action="notify", stream=out, show_alerts=False)
    assert result.passed, out.getvalue()
    outcomes = {r.name: r.outcome for r in result.records}
    assert outcomes["churn-forecast"] == engine.FLAGGED and outcomes["gpu-research"] == engine.FLAGGED
    assert outcomes["payroll-report"] == engine.FLAGGED  # the finding's trigger gets the forced action too


def test_run_demo_refuses_an_unusable_scenario_with_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"NotebookInstanceName": "x", "InstanceTyp": "ml.t3.medium"}]))
    assert run_demo(argparse.Namespace(scenario=str(bad), report=None, action=None, region=None)) == 2
    err = capsys.readouterr().err
    assert "notebook #1" in err and "InstanceTyp" in err
    assert len(err.strip().splitlines()) == 1
