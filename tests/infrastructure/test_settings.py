"""Settings: defaults, parsing of -c strings and cdk.json values, and a clear failure for every bad value."""

from __future__ import annotations

import json

import pytest

from infra.settings import SettingsError, StackSettings
from tests.conftest import ROOT

SUBNET_A = "subnet-0123456789abcdef0"
SUBNET_B = "subnet-0fedcba9876543210"
SG = "sg-0123456789abcdef0"


def test_defaults_deploy_with_no_settings():
    settings = StackSettings.from_context({})
    assert settings.event_action == "remediate"
    assert settings.sweep_action == "notify"
    assert settings.sweep_schedule == "rate(1 hour)"
    assert not settings.uses_existing_network
    assert settings.trail_enabled is False
    assert settings.root_access == "disabled"
    assert settings.internet_dependency == "block" and settings.ip_address_type_fallback == "none"


def test_cdk_json_holds_the_defaults():
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert StackSettings.from_context(context) == StackSettings.from_context({})
    assert set(StackSettings.model_fields) <= set(context), "document every setting in cdk.json"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{SUBNET_A},{SUBNET_B}", (SUBNET_A, SUBNET_B)),
        (f" {SUBNET_A} , {SUBNET_B} ", (SUBNET_A, SUBNET_B)),
        (json.dumps([SUBNET_A, SUBNET_B]), (SUBNET_A, SUBNET_B)),
        ([SUBNET_A, SUBNET_B], (SUBNET_A, SUBNET_B)),
        ("", ()),
    ],
)
def test_lists_accept_csv_json_and_native(value, expected):
    assert StackSettings.from_context({"approved_subnet_ids": value}).approved_subnet_ids == expected


def test_strings_from_the_command_line_are_typed():
    settings = StackSettings.from_context(
        {"sweep_concurrency": "16", "trail_enabled": "TRUE", "wait_initial_seconds": "5", "event_action": "Notify"}
    )
    assert settings.sweep_concurrency == 16
    assert settings.trail_enabled is True
    assert settings.wait_initial_seconds == 5
    assert settings.event_action == "notify"


def test_the_restart_action_defaults_to_the_sweeps():
    assert StackSettings.from_context({"sweep_action": "quarantine"}).effective_restart_action == "quarantine"
    settings = StackSettings.from_context({"sweep_action": "quarantine", "restart_action": "notify"})
    assert settings.effective_restart_action == "notify"


def test_a_zero_first_wait_is_refused_with_the_reason():
    with pytest.raises(SettingsError, match=r"wait_initial_seconds=0: .*every Pending notebook would be declared"):
        StackSettings.from_context({"wait_initial_seconds": 0})


def test_the_poll_cap_follows_the_wait_bound():
    # The functions derive their poll cap from the bound: a long bound is never cut short by a hidden count.
    long_bound = {"wait_initial_seconds": 5, "wait_max_seconds": 60, "wait_timeout_seconds": 21600}
    settings = StackSettings.from_context(long_bound)
    schedule = settings.wait_schedule
    assert schedule.poll_cap > 120 and sum(schedule.interval(n) for n in range(1, schedule.poll_cap)) >= 21600
    with pytest.raises(SettingsError, match=r"wait_timeout_seconds=86400: .*within 600 polls per wait"):
        StackSettings.from_context({"wait_initial_seconds": 1, "wait_max_seconds": 60, "wait_timeout_seconds": 86400})


def test_an_existing_network_is_accepted():
    settings = StackSettings.from_context(
        {
            "target_subnet_ids": SUBNET_A,
            "target_security_group_ids": SG,
            "approved_subnet_ids": f"{SUBNET_A},{SUBNET_B}",
        }
    )
    assert settings.uses_existing_network


@pytest.mark.parametrize(
    "schedule",
    ["rate(1 hour)", "rate(15 minutes)", "rate(1 day)", "cron(0 6 * * ? *)", "cron(0/30 8-18 ? * MON-FRI *)"],
)
def test_valid_schedules(schedule):
    assert StackSettings.from_context({"sweep_schedule": schedule}).sweep_schedule == schedule


# One bad value per setting: the message names the setting, echoes the value and says what is expected.
BAD_VALUES = [
    ("data_preservation", "sometimes", "auto (back up the storage volume"),
    ("backup_retention_days", "0", "an integer from 1 to 3650"),
    ("backup_throughput_mb_per_second", "fast", "an integer from 1 to 10000"),
    ("restore_original_lifecycle", "maybe", "true or false"),
    ("event_action", "delete", "one of notify, quarantine, remediate"),
    ("sweep_action", "", "one of notify, quarantine, remediate"),
    ("sweep_schedule", "rate(1 hours)", "rate(N minute"),
    ("sweep_schedule", "rate(0 minutes)", "rate(N minute"),
    ("sweep_schedule", "cron(0 * * * *)", "cron(minutes hours"),
    ("sweep_schedule", "every hour", "EventBridge schedule"),
    ("reconcile_schedule", "every 5 minutes", "EventBridge schedule"),
    ("event_wait_seconds", "stoped=120", "a map of wait -> seconds"),
    ("event_wait_seconds", "gone=30", "an integer from 60 to 86400"),
    ("sweep_concurrency", "0", "an integer from 1 to 32"),
    ("sweep_concurrency", "many", "an integer from 1 to 32"),
    ("target_subnet_ids", "subnet-xyz", "subnet ids like subnet-"),
    ("target_security_group_ids", "sg-1", "security group ids like sg-"),
    ("target_vpc_id", "vpc-nope", "a VPC id like vpc-"),
    ("target_route_table_ids", "rtb-1", "route table ids like rtb-"),
    ("create_endpoints", "yes please", "true or false"),
    ("required_endpoints", "sagemaker.api,ftp", "distinct endpoint names from"),
    ("required_endpoints", "sts,sts", "distinct endpoint names from"),
    ("approved_subnet_ids", f"{SUBNET_A},{SUBNET_A}", "distinct subnet ids"),
    ("exempt_tag", "aws:exempt", "a tag key of 1-120"),
    ("exempt_tag", "x" * 121, "a tag key of 1-120"),
    ("root_access", "enabled", "disabled (root access is a violation) or allowed"),
    ("internet_dependency", "allow", "block (a notebook that needs the internet"),
    ("ip_address_type_fallback", "ipv6", "none (a dualstack notebook needs a subnet with IPv6) or ipv4"),
    ("alert_emails", "ops@example.com,not-an-email", "email addresses like"),
    ("alert_topic_arn", "arn:aws:sqs:us-east-1:123456789012:q", "an SNS topic ARN"),
    ("wait_initial_seconds", "-1", "an integer from 1 to 3600"),
    ("wait_initial_seconds", "0", "0 would poll without waiting"),
    ("restart_action", "delete", "one of notify, quarantine, remediate"),
    ("restart_window_minutes", "0", "an integer from 1 to 1440"),
    ("max_attempts", "0", "an integer from 1 to 20"),
    ("attempt_window_hours", "200", "an integer from 1 to 168"),
    ("realert_hours", "0", "an integer from 1 to 720"),
    ("fallback_alert_emails", "oncall", "email addresses like"),
    ("snapshot_break_glass_role_arn", "BreakGlass", "an IAM role ARN like"),
    ("wait_max_seconds", "3601", "an integer from 0 to 3600"),
    ("wait_timeout_seconds", "59", "an integer from 60 to 86400"),
    ("passrole_role_pattern", "role name with spaces", "an IAM role name or path pattern"),
    ("trail_enabled", "maybe", "true or false"),
    ("log_retention_days", "10", "one of CloudWatch Logs' retention periods"),
    ("powertools_layer_version", "latest", "an integer from 1 to 10000"),
    ("finding_action", "delete", "one of notify, quarantine, remediate"),
    ("finding_rule", "sometimes", "true or false"),
    ("finding_updates", "on", "true or false"),
    ("suppress_exempt_findings", "1", "true or false"),
    ("own_findings", "yes", "true or false"),
    ("approval", "existing", "never, existing-notebooks (every trigger but create) or always"),
    ("approval_timeout_hours", "169", "an integer from 1 to 168"),
    ("approval_fallback", "remediate", "notify or quarantine (without an approval nothing is deleted)"),
    ("approval_custom_actions", "maybe", "true or false"),
    ("prevention_policy", "sometimes", "true or false"),
    ("prevention_exempt_principal_tag", "aws:break-glass", "a tag key of 1-128 ASCII"),
    ("prevention_exempt_role_arns", "arn:aws:iam::123456789012:user/admin", "IAM role ARNs"),
]


@pytest.mark.parametrize(("name", "value", "expected"), BAD_VALUES, ids=[f"{n}={v[:20]}" for n, v, _ in BAD_VALUES])
def test_each_bad_value_fails_with_a_clear_message(name, value, expected):
    with pytest.raises(SettingsError) as caught:
        StackSettings.from_context({name: value})
    message = str(caught.value)
    assert message.startswith(f"invalid setting {name}="), message
    assert expected in message
    if value:
        assert value.split(",")[-1][:20] in message


def test_every_setting_has_a_bad_value_test():
    assert {name for name, _, _ in BAD_VALUES} == set(StackSettings.model_fields)


CROSS_FIELD = [
    ({"target_subnet_ids": SUBNET_A}, "target_security_group_ids", "set together with target_subnet_ids"),
    ({"target_security_group_ids": SG}, "target_subnet_ids", "set together with target_security_group_ids"),
    ({"create_endpoints": "true"}, "create_endpoints", "only with target_subnet_ids"),
    ({"target_vpc_id": "vpc-0123456789abcdef0"}, "target_vpc_id", "only with target_subnet_ids"),
    (
        {"target_subnet_ids": SUBNET_A, "target_security_group_ids": SG, "create_endpoints": "true"},
        "target_vpc_id",
        "when create_endpoints is true",
    ),
    (
        {
            "target_subnet_ids": SUBNET_A,
            "target_security_group_ids": SG,
            "create_endpoints": "true",
            "target_vpc_id": "vpc-0123456789abcdef0",
        },
        "target_route_table_ids",
        "s3 gateway endpoint",
    ),
    (
        {"target_subnet_ids": SUBNET_A, "target_security_group_ids": SG, "approved_subnet_ids": SUBNET_B},
        "approved_subnet_ids",
        "including every target subnet",
    ),
    (
        {"alert_emails": "ops@example.com", "alert_topic_arn": "arn:aws:sns:us-east-1:123456789012:t"},
        "alert_emails",
        "empty when alert_topic_arn is set",
    ),
    ({"wait_initial_seconds": "60", "wait_max_seconds": "30"}, "wait_max_seconds", ">= wait_initial_seconds"),
    ({"wait_max_seconds": "600", "wait_timeout_seconds": "300"}, "wait_timeout_seconds", ">= wait_max_seconds"),
]


@pytest.mark.parametrize(("context", "name", "expected"), CROSS_FIELD)
def test_settings_that_only_make_sense_together(context, name, expected):
    with pytest.raises(SettingsError, match=rf"^invalid setting {name}=.*{expected}"):
        StackSettings.from_context(context)


def test_a_misspelt_setting_is_named_with_a_suggestion():
    with pytest.raises(SettingsError, match=r"unknown setting evnt_action \(did you mean event_action\?\)"):
        StackSettings.from_context({"evnt_action": "notify"})


def test_cdk_keys_are_not_taken_for_settings():
    context = {
        "@aws-cdk/core:target-partitions": ["aws"],
        "aws:cdk:enable-path-metadata": True,
        "acknowledged-issue-numbers": [1],
    }
    assert StackSettings.from_context(context) == StackSettings.from_context({})


def test_event_waits_default_per_wait_and_accept_partial_overrides_from_the_command_line_and_cdk_json():
    default = StackSettings.from_context({})
    assert default.event_wait_seconds == {
        "stable": 600, "stopped": 180, "gone": 180, "in-service": 600, "updated": 180, "running": 600
    }
    assert default.reconcile_schedule == "rate(5 minutes)"
    assert StackSettings.from_context({"event_wait_seconds": "stopped=120,in-service=900"}).event_wait_seconds[
        "in-service"
    ] == 900
    tuned = StackSettings.from_context({"event_wait_seconds": {"gone": 240}})
    assert tuned.event_wait_seconds["gone"] == 240 and tuned.wait_schedule.heartbeat("gone") == 240
    assert tuned.wait_schedule.heartbeat("stopped") == 180


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"event_wait_seconds": "stoped=120"}, "event_wait_seconds=stoped=120: expected a map of wait -> seconds"),
        ({"event_wait_seconds": "gone=30"}, "event_wait_seconds=gone=30: expected an integer from 60 to 86400"),
        ({"event_wait_seconds": {"gone": 3600}}, "each shorter than wait_timeout_seconds (3600)"),
        ({"reconcile_schedule": "every 5 minutes"}, "reconcile_schedule=every 5 minutes: expected an EventBridge"),
    ],
)
def test_bad_event_wait_settings_are_refused(context, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        StackSettings.from_context(context)


def test_the_functions_are_told_the_heartbeats():
    from infra.environment import DeployedNames, lambda_environment
    from notebook_guard.settings import Settings

    settings = StackSettings.from_context({"event_wait_seconds": "stopped=120"})
    topic = "arn:aws:sns:us-east-1:123456789012:alerts"
    key = "arn:aws:kms:us-east-1:123456789012:key/backups"
    queue = "https://sqs.local/q"
    names = DeployedNames(topic, "snapshots", "backups", key, "audit", "coordination", queue, [], [], [])
    environment = lambda_environment(settings, names)
    runtime = Settings.from_environ(environment)
    assert runtime.wait_schedule.heartbeat("stopped") == 120
    assert runtime.wait_schedule.heartbeats == settings.wait_schedule.heartbeats
