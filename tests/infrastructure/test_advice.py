"""Synth warns when a deployment would send its alerts nowhere; `python app.py` says what it made."""

from __future__ import annotations

from aws_cdk.assertions import Annotations, Match

from infra.advice import NO_SUBSCRIBER


def test_a_default_deploy_warns_that_no_one_receives_the_alerts(default_stack):
    Annotations.from_stack(default_stack.stack).has_warning(
        "*", Match.string_like_regexp("No alert subscriber: alert_emails and alert_topic_arn are both unset")
    )


def test_no_warning_when_alerts_go_to_a_topic_or_emails(existing_stack):
    warnings = Annotations.from_stack(existing_stack.stack).find_warning("*", Match.any_value())
    assert not [w for w in warnings if NO_SUBSCRIBER in str(w) or "No alert subscriber" in str(w)]


def test_synth_prints_the_template_path_the_settings_and_the_warning(default_stack, capsys):
    import app

    app.report(default_stack.app.synth(), default_stack.stack)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Template: ") and lines[0].endswith("NotebookGuard.template.json")
    assert "  event_action               remediate" in lines
    assert "  create_endpoints           false" in lines and "  alert_emails               (none)" in lines
    assert lines[-1].startswith("WARNING: No alert subscriber")
