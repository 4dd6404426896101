"""Synth warns when a deployment would send its alerts nowhere; `python app.py` says what it made.

On a bare stack (the warning depends on the settings alone): synthesizing the whole stack again here would cost
the worker that runs this file a full synth per configuration.
"""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Annotations, Match

from infra.advice import advise
from infra.settings import StackSettings

NO_SUBSCRIBER = Match.string_like_regexp("No alert subscriber: alert_emails and alert_topic_arn are both unset")


def advised(tmp_path, **context) -> tuple[App, Stack]:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "NotebookGuard")
    stack.settings = StackSettings.from_context(context)
    advise(stack, stack.settings)
    return app, stack


def test_a_default_deploy_warns_that_no_one_receives_the_alerts(tmp_path):
    _, stack = advised(tmp_path)
    Annotations.from_stack(stack).has_warning("*", NO_SUBSCRIBER)


@pytest.mark.parametrize(
    "context",
    [{"alert_emails": "secops@example.com"}, {"alert_topic_arn": "arn:aws:sns:eu-west-1:123456789012:alerts"}],
)
def test_no_warning_when_alerts_go_to_emails_or_a_topic(tmp_path, context):
    _, stack = advised(tmp_path, **context)
    Annotations.from_stack(stack).has_no_warning("*", NO_SUBSCRIBER)


def test_synth_prints_the_template_path_the_settings_and_the_warning(tmp_path, capsys):
    import app as application

    app, stack = advised(tmp_path)
    application.report(app.synth(), stack)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Template: ") and lines[0].endswith("NotebookGuard.template.json")
    settings = {line.split()[0]: line.split(None, 1)[1] for line in lines[2:] if line.startswith("  ")}
    assert settings["event_action"] == "remediate" and settings["create_endpoints"] == "false"
    assert settings["alert_emails"] == "(none)" and settings["sweep_schedule"] == "rate(1 hour)"
    assert lines[-1].startswith("WARNING: No alert subscriber")
