"""``notebook-guard demo``: the built-in story on the embedded moto server, judged end to end."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from notebook_guard_local.cli import main
from notebook_guard_local.demo import engine

ROLE = "arn:aws:iam::123456789012:role/notebook"

EXPECTED = {
    "legacy-etl": engine.FLAGGED,
    "fraud-model": engine.COMPLIANT,
    "vendor-poc": engine.EXEMPT,
    "payroll-report": engine.REMEDIATED,
    "churn-forecast": engine.REMEDIATED,
    "gpu-research": engine.ROOT_ACCESS_FIXED,
    "nlp-lab": engine.BLOCKED,
}


def test_the_built_in_story_plays_as_expected_and_exits_0(tmp_path, capsys):
    started = time.monotonic()
    snapshots = tmp_path / "snapshots"
    code = main(["demo", "--report", str(tmp_path / "report.json"), "--keep-snapshots", str(snapshots)])
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
    # The sweep an hour later: alerted once a day, not hourly (legacy-etl's violation, nlp-lab's blocked alert).
    assert "violators: 2 already-notified" in text
    assert "VERDICT: all 7 notebooks as expected" in text
    # A notebook that needs the internet is blocked before anything is changed, and the demo says how to fix it.
    assert "nlp-lab: needs the internet; fix with a NAT, a CodeCommit mirror or a CodeArtifact index" in text
    # The prevention scene: denied at the API by the policy, then the net for a principal outside its scope.
    assert "what the data scientist sees: AccessDeniedException" in text
    assert "PREVENTION: denied by the policy" in text
    # Then the team opts the sweep into remediate: the notebook used for months is recreated with its files.
    assert "sweep_action=remediate, next sweep: SUCCEEDED in" in text
    assert "  alert: Its storage volume was preserved: 5 files, 512.1 KiB" in text
    assert "NOTHING LOST: legacy-etl recreated in subnet-" in text
    assert text.index("Before and after") < text.index("NOTHING LOST") < text.index("VERDICT")
    # A Security Hub finding triggers it; an existing notebook waits for a person, who approves; the finding follows.
    assert "intake: payroll-report violates SageMaker.1, .2, .3 -> workflow-started (finding: remediate)" in text
    assert "Ask a person to approve" in text
    assert "  Approved the remediation of notebook payroll-report (remediate)" in text
    assert "  Security Hub finding SageMaker.2: NEW -> NOTIFIED -> RESOLVED" in text
    assert "\033[" not in text  # no colour when the output is not a terminal
    # Short enough to read: each alert's human text once, no JSON (that is -v), 150 lines at most.
    lines = text.splitlines()
    story = lines[: next(i for i, line in enumerate(lines) if "of real time for" in line) + 1]
    # 150 lines before the restart and prevention scenes joined the story (each adds a trigger and alerts);
    # with them, the notebook blocked for the internet and the approval of a finding's notebook, 255 (each alert's
    # sections already read are one line); 224 once runs of steps shown before fold into one line; with data
    # preservation 235: payroll-report's timeline has a row for its backup and one for its restore (each phase
    # folded: -v shows its states), and the nothing-lost scene 6 lines. The lines after the verdict name the files
    # the options asked for.
    assert len(story) <= 240, len(story)
    # The backup and restore of payroll-report, one row each.
    assert "Back up the storage volume (10 steps" in text and "Restore the storage volume (9 steps" in text
    assert "the same steps as above" in text  # nightly-batch's remediation, timed as churn-forecast's
    assert "machine-readable" not in text and '"schema"' not in text
    # 100 columns, apart from the alert texts (quoted as sent) and the paths under the test's tmp_path.
    too_long = [line for line in lines if len(line) > 100 and not line.startswith("  | ") and str(tmp_path) not in line]
    assert too_long == []
    # The alerts, exactly as published: one subject line each, then the human text.
    subjects = [line for line in lines if line.startswith("  >>> Alert (SNS): ")]
    assert subjects == [
        "  >>> Alert (SNS): [notebook-guard] churn-forecast: caught, remediation started",
        "  >>> Alert (SNS): [notebook-guard] churn-forecast: remediated, now in the private subnet",
        "  >>> Alert (SNS): [notebook-guard] gpu-research: caught, remediation started",
        "  >>> Alert (SNS): [notebook-guard] gpu-research: root access disabled",
        "  >>> Alert (SNS): [notebook-guard] nlp-lab: caught, remediation started",
        "  >>> Alert (SNS): [notebook-guard] nlp-lab: remediation blocked, nothing changed",
        # Its owner restarts legacy-etl: flagged, not deleted.
        "  >>> Alert (SNS): [notebook-guard] legacy-etl: violates SageMaker.1, SageMaker.2, SageMaker.3",
        # A Security Hub finding about an existing notebook: it waits for a person, who approves.
        "  >>> Alert (SNS): [notebook-guard] payroll-report: caught, remediation started",
        "  >>> Alert (SNS): [notebook-guard] payroll-report: remediation waits for your approval",
        "  >>> Alert (SNS): [notebook-guard] payroll-report: remediated, now in the private subnet",
        # The prevention scene: a principal outside the policy's scope, caught by notebook-guard.
        "  >>> Alert (SNS): [notebook-guard] nightly-batch: caught, remediation started",
        "  >>> Alert (SNS): [notebook-guard] nightly-batch: remediated, now in the private subnet",
        "  >>> Alert (SNS): [notebook-guard] vendor-poc: exempt, left alone",
    ]
    # The remediated (three) and root-access-fixed alerts say what was wrong: the violations each notebook's
    # remediation-started alert listed just before, so the section is named as already read.
    assert text.count("  | (as above: What was wrong") == 4
    # The alert's first line repeats its subject, printed just above it: shown once.
    assert "  | notebook-guard: SageMaker notebook instance" not in text
    assert "destroys its ML storage volume (/home/ec2-user/SageMaker)" in text

    assert report["passed"] is True
    assert report["tool"]["name"] == "notebook-guard" and report["time"].endswith("Z")
    assert report["account"] == "123456789012" and report["regions"] == ["us-east-1"]
    assert report["prevention"]["passed"] is True
    assert report["preservation"]["passed"] is True and report["preservation"]["files"] == 5
    assert "DenyCreateNotebookWithoutVpcSubnets" in report["prevention"]["denied_by"]
    assert report["prevention"]["message"].endswith("with an explicit deny in an identity-based policy")
    by_name = {n["name"]: n for n in report["notebooks"]}
    assert by_name["fraud-model"]["alerts"] == []
    # An exemption is announced once, the first time it is honoured.
    assert [a["document"]["kind"] for a in by_name["vendor-poc"]["alerts"]] == ["exempt"]
    assert [a["document"]["kind"] for a in by_name["legacy-etl"]["alerts"]] == ["violation"]
    blocked = by_name["nlp-lab"]["alerts"][1]["document"]
    assert blocked["kind"] == "blocked"
    sources = [e["source"] for e in blocked["details"]["internet"]["evidence"]]
    assert sources == ["lifecycle configuration 'install-nlp-libs' OnStart, line 5", "DefaultCodeRepository"]
    assert "pip install transformers datasets" in blocked["details"]["preflight_problems"][0]
    assert all(a["document"]["time"].endswith("Z") for n in report["notebooks"] for a in n["alerts"])
    legacy = by_name["legacy-etl"]
    assert legacy["after"]["describe"]["CreationTime"] == legacy["before"]["describe"]["CreationTime"]

    # --keep-snapshots: the snapshots the workflow wrote, with their checksums, ready for restore --dry-run.
    kept = sorted(p.relative_to(snapshots).parts[1] for p in snapshots.rglob("*.json"))
    assert kept == ["churn-forecast", "gpu-research", "legacy-etl", "nightly-batch", "nlp-lab", "payroll-report"]
    assert len(list(snapshots.rglob("*.json.sha256"))) == 6
    hint = next(line for line in lines if "notebook-guard restore --dry-run --offline" in line)
    assert main(hint.split()[1:]) == 0
    assert "Would create notebook" in capsys.readouterr().out


def test_a_forced_notify_action_only_flags_and_the_verdict_follows_the_actions(capsys):
    assert main(["demo", "--action", "notify", "--output", "csv"]) == 0
    out = capsys.readouterr().out  # the CSV alone: the story is not printed with a machine-readable output
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    assert out.splitlines()[0].startswith("name,expected_outcome,outcome,as_expected")
    assert rows["churn-forecast"]["outcome"] == engine.FLAGGED and rows["gpu-research"]["outcome"] == engine.FLAGGED
    assert rows["nlp-lab"]["outcome"] == engine.FLAGGED
    assert rows["payroll-report"]["outcome"] == engine.FLAGGED  # the finding trigger gets the forced action too
    assert {r["as_expected"] for r in rows.values()} == {"yes"}
    assert rows["legacy-etl"]["alerts"] == "violation"


def test_alert_json_is_printed_only_with_verbose():
    from notebook_guard.domain.alerts import Alert, AlertKind
    from notebook_guard_local.demo.render import Printer

    alert = Alert(AlertKind.VIOLATION, "123456789012", "us-east-1", "nb", "arn:aws:sagemaker:us-east-1:1:x/nb")
    message = {"subject": alert.subject(), "message": alert.body()}
    quiet, verbose = io.StringIO(), io.StringIO()
    Printer(quiet).alerts([message])
    Printer(verbose, verbose=True).alerts([message])
    assert "machine-readable" not in quiet.getvalue() and "Where:" not in quiet.getvalue()
    assert quiet.getvalue().count("nb: violates policy") == 1  # the subject; the body's first line repeats it
    assert verbose.getvalue().count("SageMaker notebook instance 'nb' violates policy") == 1
    assert "  | --- machine-readable ---" in verbose.getvalue() and '  |   "schema": "notebook-guard/alert",' in (
        verbose.getvalue()
    )


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"NotebookInstanceName": "x", "InstanceTyp": "ml.t3.medium"}, 'Unknown parameter in input: "InstanceTyp"'),
        ({"NotebookInstanceName": "x", "InstanceType": "ml.t3.huge", "RoleArn": ROLE}, "'ml.t3.huge' is not one of"),
        ({"NotebookInstanceName": "x_y", "InstanceType": "ml.t3.medium", "RoleArn": ROLE}, "does not match"),
        ({"NotebookInstanceName": "x", "InstanceType": "ml.t3.medium", "RoleArn": ROLE, "VolumeSizeInGB": "5"},
         "Invalid type for parameter VolumeSizeInGB"),
        ({"NotebookInstanceName": "ok", "InstanceType": "ml.t3.medium", "RoleArn": ROLE}, "already used by #1"),
    ],
)
def test_an_unusable_scenario_is_refused_in_one_line_naming_the_entry_before_any_set_up(
    entry, words, tmp_path, capsys, monkeypatch
):
    from notebook_guard_local.demo import simulation

    def never(*args, **kwargs):
        raise AssertionError("the simulated account was set up for an unusable scenario")

    monkeypatch.setattr(simulation, "simulated_account", never)
    bad = tmp_path / "bad.json"
    first = {"NotebookInstanceName": "ok", "InstanceType": "ml.t3.medium", "RoleArn": ROLE}
    bad.write_text(json.dumps([first, entry]))
    started = time.monotonic()
    assert main(["demo", "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err
    assert time.monotonic() - started < 5
    name = entry["NotebookInstanceName"]
    assert err.startswith(f"notebook-guard: error: scenario {bad}, notebook #2 ({name}): "), err
    assert words in err and len(err.strip().splitlines()) == 1
