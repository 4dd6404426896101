"""What the alerts say: tense, the quarantine subject, the storage volume, one timestamp format."""

from __future__ import annotations

from notebook_guard.domain.alerts import AlertKind, parse_alert_body
from tests.unit.test_alerts import alert

ROOT_ONLY = [{"control_id": "SageMaker.3", "check": "root-access", "title": "t", "reason": "RootAccess is Enabled",
              "remedy": "update_in_place"}]  # fmt: skip


def text_of(body: str) -> str:
    return body.partition("--- machine-readable ---")[0]


def test_a_remediated_alert_says_what_was_wrong_not_what_is():
    text = text_of(alert(kind=AlertKind.REMEDIATED).body())
    assert "What was wrong:" in text and "What is wrong:" not in text and "Why it matters" not in text
    fixed = text_of(alert(kind=AlertKind.ROOT_ACCESS_FIXED, violations=ROOT_ONLY).body())
    assert "What was wrong:" in fixed
    assert "What is wrong:" in text_of(alert(kind=AlertKind.BLOCKED).body())  # still wrong


def test_the_quarantine_alert_does_not_say_remediation_started():
    started = alert(kind=AlertKind.REMEDIATION_STARTED, action="quarantine")
    assert started.subject() == "[notebook-guard] ml-feature-exploration: caught, being stopped (quarantine)"
    assert "remediation" not in started.subject()
    assert "is kept" in text_of(started.body())
    remediating = alert(kind=AlertKind.REMEDIATION_STARTED, action="remediate")
    assert remediating.subject().endswith("caught, remediation started")


def test_the_alerts_say_what_happens_to_the_storage_volume():
    volume = "ML storage volume (/home/ec2-user/SageMaker)"
    started = text_of(alert(kind=AlertKind.REMEDIATION_STARTED).body())
    assert f"Deleting the notebook destroys its {volume}" in started and "not its files" in started
    assert "was destroyed" in text_of(alert(kind=AlertKind.REMEDIATED).body())
    assert "Copy what matters" in text_of(alert(kind=AlertKind.VIOLATION, action="notify").body())
    assert "If the notebook was deleted" in text_of(alert(kind=AlertKind.FAILED).body())
    assert f"its {volume} is kept" in text_of(alert(kind=AlertKind.QUARANTINED).body())
    assert "Storage volume" not in text_of(alert(kind=AlertKind.VIOLATION, violations=ROOT_ONLY).body())
    assert "Storage volume" not in text_of(alert(kind=AlertKind.VIOLATION, exempt=True).body())


def test_alert_times_are_utc_with_z_whatever_the_caller_passed():
    assert parse_alert_body(alert(time="2026-11-27T06:12:53+00:00").body())["time"] == "2026-11-27T06:12:53Z"
    assert parse_alert_body(alert(time="2026-11-27T07:12:53+01:00").body())["time"] == "2026-11-27T06:12:53Z"
    assert parse_alert_body(alert(time="2026-11-27T06:12:53Z").body())["time"] == "2026-11-27T06:12:53Z"
