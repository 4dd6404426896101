"""The demo's prevention scene passes only when the creation was denied BY THE POLICY: a policy that does not deny
makes it fail, and so does a refusal for another reason (a role that lacks iam:PassRole)."""

from __future__ import annotations

import json

from notebook_guard.permissions.policy import Names, render
from notebook_guard_local.demo import engine
from notebook_guard_local.demo.prevention import NOTEBOOK_USER, play_prevention_scene
from notebook_guard_local.demo.simulation import ACCOUNT


def play(simulation, **overrides):
    lines: list[str] = []
    result = play_prevention_scene(simulation, lines.append, **overrides)
    return result, "\n".join(lines)


def test_the_scene_passes_when_the_policy_denies_and_shows_what_the_data_scientist_sees(simulation):
    result, text = play(simulation)
    assert result.passed, text
    assert result.error_code == "AccessDeniedException"
    assert result.message.startswith("User: arn:aws:sts::123456789012:assumed-role/data-scientist/")
    assert result.message.endswith("with an explicit deny in an identity-based policy")
    assert "DenyCreateNotebookWithoutVpcSubnets" in result.denied_by
    assert set(result.denied_by) <= set(result.policy.sids)
    assert result.compliant_created
    assert result.outside.outcome == engine.REMEDIATED and result.outside.after["SubnetId"]
    assert "PREVENTION: denied by the policy" in text
    assert [line for line in text.splitlines() if len(line) > 100] == []
    assert json.dumps(result.summary())  # the demo's report carries it


def test_a_policy_that_does_not_deny_fails_the_scene(simulation):
    permissive = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyNothingRelevant", "Effect": "Deny", "Action": "sagemaker:DeleteApp",
                       "Resource": "*"}],
    }
    result, text = play(simulation, document=permissive)
    assert not result.passed
    assert result.problems[0] == "ad-hoc-analysis was created: the policy did not deny it"
    assert "PREVENTION: NOT as expected" in text


def test_a_refusal_by_chance_is_not_taken_for_the_policys(simulation):
    names = Names("aws", simulation.region, ACCOUNT)
    document = render(NOTEBOOK_USER, names).document
    without_pass_role = {
        **document,
        "Statement": [s for s in document["Statement"] if s["Action"] != "iam:PassRole"],
    }
    assert len(without_pass_role["Statement"]) == len(document["Statement"]) - 1
    # Without the preventive policy's Denies, the only refusal left is the missing PassRole.
    result, text = play(simulation, document={"Version": "2012-10-17", "Statement": [
        {"Sid": "Unrelated", "Effect": "Deny", "Action": "sagemaker:DeleteApp", "Resource": "*"}]},
        identity=without_pass_role)
    assert not result.passed
    assert result.error_code == "AccessDeniedException"
    assert any("denied by chance, not by the policy: implicitDeny of iam:PassRole" in p for p in result.problems), text


def test_the_demo_exits_1_when_its_prevention_scene_fails(monkeypatch, capsys):
    import argparse
    import functools

    from notebook_guard_local.demo import prevention
    from notebook_guard_local.demo.run import run_demo

    permissive = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Unrelated", "Effect": "Deny", "Action": "sagemaker:DeleteApp", "Resource": "*"}]}
    monkeypatch.setattr(
        prevention, "play_prevention_scene", functools.partial(prevention.play_prevention_scene, document=permissive)
    )
    args = argparse.Namespace(scenario=None, report=None, action=None, region=None, no_alerts=True)
    assert run_demo(args) == 1
    out = capsys.readouterr().out
    assert "VERDICT: all 7 notebooks as expected" in out  # the story itself went well...
    assert "PREVENTION: NOT as expected" in out  # ...the scene did not, and the exit code says so
