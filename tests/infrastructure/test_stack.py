"""The synthesized stack, pinned with aws_cdk.assertions: detection, workflow, encryption, IAM, network, cdk-nag.

One file, so each configuration is synthesized once per test process (pytest-xdist --dist loadfile)."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import Validations
from aws_cdk.assertions import Match
from cdk_nag import AwsSolutionsChecks

from infra.constructs.workflow import PLACEHOLDER, asl_path
from infra.settings import StackSettings
from notebook_guard import workflow_steps
from notebook_guard.settings import ENVIRONMENT

CLOUDTRAIL_PATTERN = {
    "source": ["aws.sagemaker"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["sagemaker.amazonaws.com"],
        "eventName": ["CreateNotebookInstance"],
        "requestParameters": {"subnetId": [{"exists": False}]},
        "errorCode": [{"exists": False}],
    },
}


def _rules(synth) -> list[dict]:
    return [r["Properties"] for r in synth.resources("AWS::Events::Rule").values()]


# --- detection ---------------------------------------------------------------------------------------------------


def test_cloudtrail_rule_has_the_exact_pattern(default_stack):
    patterns = [r["EventPattern"] for r in _rules(default_stack) if "EventPattern" in r]
    assert CLOUDTRAIL_PATTERN in patterns


def test_native_state_change_rule_needs_no_trail(default_stack):
    patterns = [r["EventPattern"] for r in _rules(default_stack) if "EventPattern" in r]
    assert {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Notebook Instance State Change"],
        "detail": {"NotebookInstanceStatus": ["Pending", "InService"]},
    } in patterns


def _rules_of(synth, guard) -> list[dict]:
    arn = {"Fn::GetAtt": [synth.logical_id(guard.function), "Arn"]}
    return [r for r in _rules(synth) if any(t["Arn"] == arn for t in r["Targets"])]


def test_the_event_rules_target_the_intake_with_retries_and_a_dead_letter_queue(default_stack):
    intake = default_stack.logical_id(default_stack.stack.detection.intake.function)
    dlq = default_stack.logical_id(default_stack.stack.detection.intake_dlq)
    event_rules = [r for r in _rules_of(default_stack, default_stack.stack.detection.intake) if "EventPattern" in r]
    assert len(event_rules) == 3  # CloudTrail, native state change, Security Hub control finding
    for rule in event_rules:
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [intake, "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1


def test_sweep_runs_hourly_by_default(default_stack):
    sweep = default_stack.logical_id(default_stack.stack.detection.sweep.function)
    scheduled = [r for r in _rules_of(default_stack, default_stack.stack.detection.sweep) if "ScheduleExpression" in r]
    assert [r["ScheduleExpression"] for r in scheduled] == ["rate(1 hour)"]
    assert scheduled[0]["Targets"][0]["Arn"] == {"Fn::GetAtt": [sweep, "Arn"]}


def test_sweep_schedule_is_configurable(existing_stack):
    sweep = existing_stack.stack.detection.sweep
    assert [r["ScheduleExpression"] for r in _rules_of(existing_stack, sweep) if "ScheduleExpression" in r] == [
        "cron(0 6 * * ? *)"
    ]


# --- the waits: resume function, its rules and permissions ----------------------------------------------------------


def test_every_state_change_and_a_five_minute_schedule_feed_the_resume_function(default_stack):
    resumption = default_stack.stack.resumption
    rules = _rules_of(default_stack, resumption.function)
    patterns = [r["EventPattern"] for r in rules if "EventPattern" in r]
    # Every status: no filter on NotebookInstanceStatus (the intake's rule keeps its Pending/InService filter).
    assert patterns == [{"source": ["aws.sagemaker"], "detail-type": ["SageMaker Notebook Instance State Change"]}]
    assert [r["ScheduleExpression"] for r in rules if "ScheduleExpression" in r] == ["rate(5 minutes)"]
    dlq = default_stack.logical_id(resumption.dead_letters)
    for rule in rules:
        (target,) = rule["Targets"]
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    props = default_stack.json["Resources"][default_stack.logical_id(resumption.function.function)]["Properties"]
    assert props["Handler"] == "notebook_guard.handlers.resume.handler" and "DeadLetterConfig" in props


def test_only_the_waits_and_the_approval_may_answer_a_task_and_only_on_the_state_machine(default_stack):
    """states:SendTask* is granted on the remediation state machine only (AWS authorizes a token against its state
    machine): the waits (Await step, resume function) send successes only; SendTaskHeartbeat is granted to no one."""
    stack = default_stack.stack
    functions = {**_functions(default_stack), "resume": stack.resumption.function}
    machine = default_stack.logical_id(stack.workflow.state_machine)
    holders = []
    for key, guard in functions.items():
        for statement in _statements_of_role(default_stack, default_stack.logical_id(guard.role)):
            actions = _as_list(statement["Action"])
            assert not {"states:SendTaskFailure", "states:SendTaskHeartbeat", "states:*"} & set(actions)
            if "states:SendTaskSuccess" in actions:
                assert actions == ["states:SendTaskSuccess"], statement
                resource = json.dumps(statement["Resource"])
                # The resume function names the machine; the Await step (which the machine's definition references)
                # its ARN built from the machine's fixed name, avoiding a dependency cycle.
                assert statement["Resource"] == {"Ref": machine} or f":stateMachine:{stack.stack_name}-remediation" in (
                    resource
                ), statement
                holders.append(key)
    assert sorted(holders) == ["Await", "resume"]


def test_wait_records_live_in_the_coordination_table_only(default_stack):
    table = {"Fn::GetAtt": [default_stack.logical_id(default_stack.stack.storage.coordination_table), "Arn"]}
    resume = default_stack.stack.resumption.function
    statements = _statements_of_role(default_stack, default_stack.logical_id(resume.role))
    dynamo = [s for s in statements if any(a.startswith("dynamodb:") for a in _as_list(s["Action"]))]
    assert dynamo and all(s["Resource"] == table for s in dynamo)
    actions = {a for s in dynamo for a in _as_list(s["Action"])}
    assert actions == {"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:DeleteItem"}


def test_the_waits_listen_for_the_deployed_heartbeats(default_stack):
    step = default_stack.stack.workflow.steps["Await"]
    env = default_stack.json["Resources"][default_stack.logical_id(step.function)]["Properties"]["Environment"]
    assert env["Variables"]["NG_EVENT_WAIT_SECONDS"] == (
        "stable=600,stopped=180,gone=180,in-service=600,updated=180,running=600"
    )


def test_async_functions_have_a_dead_letter_queue(default_stack):  # the resume function: see the waits below
    for name in ("intake", "sweep"):
        guard = getattr(default_stack.stack.detection, name)
        props = default_stack.json["Resources"][default_stack.logical_id(guard.function)]["Properties"]
        assert "DeadLetterConfig" in props, name


# --- workflow ----------------------------------------------------------------------------------------------------


def _machine(synth) -> dict:
    (machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    return machine["Properties"]


def test_state_machine_runs_the_asl_file_with_every_substitution_resolved(default_stack):
    props = _machine(default_stack)
    text = asl_path().read_text()
    assert props["DefinitionString"] == text
    substitutions = props["DefinitionSubstitutions"]
    assert set(substitutions) == set(PLACEHOLDER.findall(text))
    for step in workflow_steps.STEPS:
        key = workflow_steps.substitution_key(step)
        if key in substitutions:
            function = default_stack.logical_id(default_stack.stack.workflow.steps[step.key].function)
            assert substitutions[key] == {"Fn::GetAtt": [function, "Arn"]}
    resolved = PLACEHOLDER.sub(lambda m: "arn:aws:lambda:us-east-1:123456789012:function:x", text)
    assert "${" not in resolved
    json.loads(resolved)


def test_state_machine_is_standard_logged_and_traced(default_stack):
    props = _machine(default_stack)
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"


def test_every_step_has_its_own_function_and_role(default_stack):
    steps = default_stack.stack.workflow.steps
    assert set(steps) == {s.key for s in workflow_steps.STEPS}
    roles = {default_stack.logical_id(g.role) for g in steps.values()}
    assert len(roles) == len(steps)
    for step in workflow_steps.STEPS:
        props = default_stack.json["Resources"][default_stack.logical_id(steps[step.key].function)]["Properties"]
        assert props["Handler"] == step.handler
        assert props["Timeout"] == step.timeout_seconds
        assert props["Role"] == {"Fn::GetAtt": [default_stack.logical_id(steps[step.key].role), "Arn"]}


def test_the_state_machine_may_invoke_exactly_the_steps(default_stack):
    role = default_stack.logical_id(default_stack.stack.workflow.state_machine.role)
    statements = _statements_of_role(default_stack, role)
    invoke = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    arns = [r for s in invoke for r in _as_list(s["Resource"])]
    expected = [
        {"Fn::GetAtt": [default_stack.logical_id(g.function), "Arn"]}
        for g in default_stack.stack.workflow.steps.values()
    ]
    assert sorted(map(json.dumps, arns)) == sorted(map(json.dumps, expected))


def test_functions_are_python_arm64_json_logs_with_the_powertools_layer(default_stack):
    functions = default_stack.resources("AWS::Lambda::Function")
    ours = {k: v for k, v in functions.items() if v["Properties"].get("Handler", "").startswith("notebook_guard.")}
    assert len(ours) == len(workflow_steps.STEPS) + 3  # and the intake, the sweep, the resume function
    for props in (v["Properties"] for v in ours.values()):
        assert re.fullmatch(r"python3\.(1[2-9])", props["Runtime"])
        assert props["Architectures"] == ["arm64"]
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["TracingConfig"] == {"Mode": "Active"}
        (layer,) = props["Layers"]
        # Resolved at deploy time from AWS's public SSM parameter for the runtime and architecture.
        (parameter,) = [
            name
            for name, p in default_stack.json["Parameters"].items()
            if p.get("Default") == "/aws/service/powertools/python/arm64/python3.12/latest"
        ]
        assert layer == {"Ref": parameter}
        assert default_stack.json["Parameters"][parameter]["Type"] == "AWS::SSM::Parameter::Value<String>"
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == "notebook-guard"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "NotebookGuard"


def test_the_runtime_contract_is_met(default_stack):
    """Every variable of notebook_guard.settings.ENVIRONMENT is set (AWS_REGION comes from Lambda)."""
    intake = default_stack.json["Resources"][default_stack.logical_id(default_stack.stack.detection.intake.function)]
    env = intake["Properties"]["Environment"]["Variables"]
    # An empty approved list means "any subnet": left out rather than sent as "".
    # NG_WAIT_MAX_POLLS is for zero-second test schedules only: the deployed poll cap follows the wait bound.
    # The custom actions' ARNs: only when the stack creates them (approval other than never).
    contract = set(ENVIRONMENT) - {
        "AWS_REGION",
        "NG_APPROVED_SUBNET_IDS",
        "NG_STEP_ROLE_ARNS",
        "NG_WAIT_MAX_POLLS",
        "NG_APPROVE_ACTION_ARN",
        "NG_REJECT_ACTION_ARN",
    }
    assert contract <= set(env)
    step = next(iter(default_stack.stack.workflow.steps.values()))
    step_env = default_stack.json["Resources"][default_stack.logical_id(step.function)]["Properties"]
    assert contract - {"NG_STATE_MACHINE_ARN"} <= set(step_env["Environment"]["Variables"])
    # The Preflight names the roles whose policies it simulates (and the Backup step its own, for its grants).
    preflight = default_stack.stack.workflow.steps["Preflight"]
    variables = default_stack.json["Resources"][default_stack.logical_id(preflight.function)]["Properties"]
    roles = variables["Environment"]["Variables"]["NG_STEP_ROLE_ARNS"]
    rendered = json.dumps(roles)
    for key in ("Stop", "Delete", "Create", "Update", "Start", "Backup"):
        role = default_stack.logical_id(default_stack.stack.workflow.steps[key].role)
        assert f'{key}=' in rendered and role in rendered
    assert env["NG_RESTART_ACTION"] == env["NG_SWEEP_ACTION"] == "notify" and env["NG_RESTART_WINDOW_SECONDS"] == "600"
    bounds = (env["NG_MAX_ATTEMPTS"], env["NG_ATTEMPT_WINDOW_SECONDS"], env["NG_REALERT_SECONDS"])
    assert bounds == ("3", "86400", "86400")


def test_the_lambda_asset_holds_only_the_package(default_stack):
    """Plain files, no Docker bundling; nothing the runtime (boto3) or the layer (Powertools) already has."""
    from pathlib import Path

    function = default_stack.stack.workflow.steps["Evaluate"].function
    key = default_stack.json["Resources"][default_stack.logical_id(function)]["Properties"]["Code"]["S3Key"]
    staged = Path(default_stack.app.outdir) / f"asset.{key.removesuffix('.zip')}"
    files = [p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()]
    # Python, and the lifecycle scripts' fixed templates (rendered by notebook_guard/lifecycle/templates.py).
    templates = {f for f in files if f.startswith("notebook_guard/lifecycle/") and f.endswith(".sh")}
    assert templates == {"notebook_guard/lifecycle/backup_on_start.sh", "notebook_guard/lifecycle/restore_on_create.sh"}
    assert files and all(f.startswith("notebook_guard/") and f.endswith(".py") for f in set(files) - templates), files
    assert "notebook_guard/settings.py" in files
    assert not any("__pycache__" in f or "/tests/" in f for f in files)


# --- storage and alerting ----------------------------------------------------------------------------------------


def test_topic_is_encrypted_with_a_rotating_cmk(default_stack):
    default_stack.template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    default_stack.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_snapshot_bucket_is_versioned_encrypted_private_tls_only_and_retained(default_stack):
    bucket_id = default_stack.logical_id(default_stack.stack.storage.snapshot_bucket)
    bucket = default_stack.json["Resources"][bucket_id]
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert any("NoncurrentVersionExpiration" in rule for rule in props["LifecycleConfiguration"]["Rules"])
    policies = [
        p["Properties"]
        for p in default_stack.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    denies = [s for p in policies for s in p["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_audit_and_coordination_tables_have_pitr_encryption_and_ttl(default_stack):
    tables = default_stack.resources("AWS::DynamoDB::GlobalTable")
    assert len(tables) == 2
    for table in tables.values():
        props = table["Properties"]
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        (replica,) = props["Replicas"]
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_the_coordination_table_has_generic_string_keys(default_stack):
    table = default_stack.json["Resources"][default_stack.logical_id(default_stack.stack.storage.coordination_table)]
    assert table["Properties"]["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]


def test_nobody_may_delete_a_snapshot_but_the_break_glass_role(default_stack, tmp_path):
    from tests.infrastructure.conftest import Synthesized

    def deny_of(synth):
        bucket = {"Ref": synth.logical_id(synth.stack.storage.snapshot_bucket)}
        policies = [p["Properties"] for p in synth.resources("AWS::S3::BucketPolicy").values()]
        (policy,) = [p for p in policies if p["Bucket"] == bucket]
        (deny,) = [s for s in policy["PolicyDocument"]["Statement"] if s.get("Sid") == "SnapshotsAreNeverDeleted"]
        return deny

    deny = deny_of(default_stack)
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"} and "Condition" not in deny
    assert sorted(deny["Action"]) == ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    assert json.dumps(deny["Resource"]).endswith('/snapshots/*"]]}')
    role = "arn:aws:iam::123456789012:role/SnapshotBreakGlass"
    with_role = deny_of(Synthesized({"snapshot_break_glass_role_arn": role}, str(tmp_path)))
    assert with_role["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": role}}


def test_dead_letter_queues_are_encrypted(default_stack):
    for queue in default_stack.resources("AWS::SQS::Queue").values():
        assert queue["Properties"].get("SqsManagedSseEnabled") or queue["Properties"].get("KmsMasterKeyId")


def _functions(synth) -> dict:
    detection = synth.stack.detection
    return {**synth.stack.workflow.steps, "intake": detection.intake, "sweep": detection.sweep}


def _parked_alarm(synth) -> dict:
    queue = synth.logical_id(synth.stack.alerting.dead_letters)
    (alarm,) = [
        a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    ]
    return alarm


def test_alarms_publish_to_the_topic(default_stack):
    alarms = default_stack.resources("AWS::CloudWatch::Alarm")
    topic = default_stack.logical_id(default_stack.stack.alerting.topic)
    assert alarms
    for alarm in alarms.values():
        assert {"Ref": topic} in alarm["Properties"]["AlarmActions"]
    metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
    assert {"ExecutionsFailed", "Errors", "ApproximateNumberOfMessagesVisible"} <= metrics


def test_sns_denied_alarm_on_the_alert_dead_letter_queue_does_not_depend_on_the_alert_topic(default_stack):
    """Acceptance (SNS denied -> audit record, dead-letter queue, alarm): the alarm's own way to people."""
    alerting = default_stack.stack.alerting
    alarm = _parked_alarm(default_stack)
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["Threshold"] == 1
    fallback = {"Ref": default_stack.logical_id(alerting.fallback_topic)}
    assert fallback in alarm["AlarmActions"]
    # The fallback topic shares no key with the alert topic: a broken key policy cannot silence both.
    assert "KmsMasterKeyId" not in default_stack.json["Resources"][fallback["Ref"]]["Properties"]
    # Notify, Approval (its approval-requested alert), the intake and the sweep may park alerts there, and only there.
    queue = {"Fn::GetAtt": [default_stack.logical_id(alerting.dead_letters), "Arn"]}
    senders = []
    for key, guard in _functions(default_stack).items():
        statements = _statements_of_role(default_stack, default_stack.logical_id(guard.role))
        if any(s["Action"] == "sqs:SendMessage" and s["Resource"] == queue for s in statements):
            senders.append(key)
    assert sorted(senders) == ["Approval", "Notify", "intake", "sweep"]


def test_an_existing_topic_is_used_and_only_the_fallback_topic_created(existing_stack):
    (topic,) = existing_stack.resources("AWS::SNS::Topic")
    assert topic == existing_stack.logical_id(existing_stack.stack.alerting.fallback_topic)
    for alarm in existing_stack.resources("AWS::CloudWatch::Alarm").values():
        assert "arn:aws:sns:eu-west-1:123456789012:security-alerts" in alarm["Properties"]["AlarmActions"]


def test_fallback_emails_subscribe_to_the_fallback_topic(tmp_path):
    from tests.infrastructure.conftest import Synthesized

    synth = Synthesized({"fallback_alert_emails": "oncall@example.com"}, str(tmp_path))
    topic = synth.logical_id(synth.stack.alerting.fallback_topic)
    subscriptions = [s["Properties"] for s in synth.resources("AWS::SNS::Subscription").values()]
    assert {"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": {"Ref": topic}} in subscriptions


# --- IAM ---------------------------------------------------------------------------------------------------------


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _all_statements(synth):
    for policy in synth.resources("AWS::IAM::Policy").values():
        yield from policy["Properties"]["PolicyDocument"]["Statement"]


def _statements_of_role(synth, role_id):
    return [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


DESTRUCTIVE = re.compile(r"^(sagemaker:(Delete|Stop|Create|Update|Start|AddTags)|ec2:(Create|Delete)|iam:PassRole)")


@pytest.mark.parametrize("stack_name", ["default_stack", "existing_stack"])
def test_no_destructive_action_has_a_wildcard_resource(stack_name, request):
    synth = request.getfixturevalue(stack_name)
    for statement in _all_statements(synth):
        actions = _as_list(statement["Action"])
        if any(DESTRUCTIVE.match(a) for a in actions):
            assert "*" not in _as_list(statement["Resource"]), statement


def test_destructive_sagemaker_actions_are_scoped_to_notebook_instances_of_this_account_and_region(default_stack):
    scoped = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":sagemaker:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":notebook-instance/*",
            ],
        ]
    }
    found = set()
    for statement in _all_statements(default_stack):
        for action in _as_list(statement["Action"]):
            on_notebooks = action.startswith("sagemaker:") and not action.endswith(
                ("ListNotebookInstances", "LifecycleConfig", "CodeRepository")
            )
            if on_notebooks:
                assert statement["Resource"] == scoped, statement
                found.add(action)
    assert {
        "sagemaker:StopNotebookInstance",
        "sagemaker:DeleteNotebookInstance",
        "sagemaker:CreateNotebookInstance",
    } <= found


def test_pass_role_only_to_sagemaker(default_stack, existing_stack):
    for synth, pattern in ((default_stack, "*"), (existing_stack, "service-role/SageMaker-*")):
        passes = [s for s in _all_statements(synth) if "iam:PassRole" in _as_list(s["Action"])]
        assert passes
        for statement in passes:
            assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
            assert json.dumps(statement["Resource"]).endswith(f':role/{pattern}"]]}}')


def test_only_the_step_that_needs_it_may_delete(default_stack):
    holders = []
    for key, guard in default_stack.stack.workflow.steps.items():
        statements = _statements_of_role(default_stack, default_stack.logical_id(guard.role))
        if any("sagemaker:DeleteNotebookInstance" in _as_list(s["Action"]) for s in statements):
            holders.append(key)
    assert holders == [s.key for s in workflow_steps.STEPS if "sagemaker:DeleteNotebookInstance" in s.calls]


def test_lease_holders_may_read_the_status_of_remediation_executions_only(default_stack):
    # The machine's name is fixed (so the Lease step's role can name its executions without a dependency cycle).
    machine = default_stack.json["Resources"][default_stack.logical_id(default_stack.stack.workflow.state_machine)]
    machine_name = machine["Properties"]["StateMachineName"]
    assert machine_name == "NotebookGuard-remediation"
    holders = []
    for key, guard in _functions(default_stack).items():
        for statement in _statements_of_role(default_stack, default_stack.logical_id(guard.role)):
            if statement["Action"] == "states:DescribeExecution":
                assert json.dumps(statement["Resource"]).endswith(f':execution:{machine_name}:*"]]}}')
                holders.append(key)
    assert sorted(holders) == ["Lease", "intake", "sweep"]


def test_intake_may_start_the_workflow_and_sweep_may_list(default_stack):
    machine = {"Ref": default_stack.logical_id(default_stack.stack.workflow.state_machine)}
    for name in ("intake", "sweep"):
        role = default_stack.logical_id(getattr(default_stack.stack.detection, name).role)
        statements = _statements_of_role(default_stack, role)
        assert any(s["Action"] == "states:StartExecution" and s["Resource"] == machine for s in statements)
    sweep = _statements_of_role(default_stack, default_stack.logical_id(default_stack.stack.detection.sweep.role))
    assert any(s["Action"] == "sagemaker:ListNotebookInstances" and s["Resource"] == "*" for s in sweep)


# --- network -----------------------------------------------------------------------------------------------------


def test_default_network_is_a_private_isolated_vpc_with_endpoints(default_stack):
    template = default_stack.template
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.has_resource_properties("AWS::EC2::VPC", {"EnableDnsSupport": True, "EnableDnsHostnames": True})
    template.resource_count_is("AWS::EC2::InternetGateway", 0)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::Subnet", 2)
    for subnet in default_stack.resources("AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
    endpoints = [e["Properties"] for e in default_stack.resources("AWS::EC2::VPCEndpoint").values()]
    services = {json.dumps(e["ServiceName"]): e for e in endpoints}
    assert len(endpoints) == 5
    interface = [e for e in endpoints if e.get("VpcEndpointType") == "Interface"]
    assert len(interface) == 4 and all(e["PrivateDnsEnabled"] for e in interface)
    names = " ".join(services)
    for name in ("sagemaker.api", "sagemaker.runtime", ".sts", ".logs", ".s3"):
        assert name in names


def test_endpoints_accept_https_from_the_notebook_security_group(default_stack):
    network = default_stack.stack.network
    notebook_sg = default_stack.logical_id(network.notebook_security_group)
    ingress = [r["Properties"] for r in default_stack.resources("AWS::EC2::SecurityGroupIngress").values()]
    assert any(
        r["FromPort"] == 443
        and r["ToPort"] == 443
        and r["SourceSecurityGroupId"] == {"Fn::GetAtt": [notebook_sg, "GroupId"]}
        for r in ingress
    )
    egress = default_stack.json["Resources"][notebook_sg]["Properties"]["SecurityGroupEgress"]
    # HTTPS out only; the subnets have no internet route, so it reaches only the endpoints.
    assert [(r["FromPort"], r["ToPort"], r["IpProtocol"]) for r in egress] == [(443, 443, "tcp")]


def test_lambdas_are_told_the_created_network(default_stack):
    env = default_stack.json["Resources"][default_stack.logical_id(default_stack.stack.detection.intake.function)]
    variables = env["Properties"]["Environment"]["Variables"]
    assert "Fn::Join" in variables["NG_TARGET_SUBNET_IDS"]
    assert variables["NG_REQUIRED_ENDPOINTS"] == "sagemaker.api,sagemaker.runtime,sts,logs,s3"


def test_existing_network_is_used_as_given_and_endpoints_added_on_request(existing_stack):
    existing_stack.template.resource_count_is("AWS::EC2::VPC", 0)
    env = existing_stack.json["Resources"][existing_stack.logical_id(existing_stack.stack.detection.intake.function)]
    variables = env["Properties"]["Environment"]["Variables"]
    assert variables["NG_TARGET_SUBNET_IDS"] == "subnet-0123456789abcdef0,subnet-0fedcba9876543210"
    assert variables["NG_TARGET_SECURITY_GROUP_IDS"] == "sg-0123456789abcdef0"
    endpoints = [e["Properties"] for e in existing_stack.resources("AWS::EC2::VPCEndpoint").values()]
    assert len(endpoints) == 5 and all(e["VpcId"] == "vpc-0123456789abcdef0" for e in endpoints)
    (gateway,) = [e for e in endpoints if e["VpcEndpointType"] == "Gateway"]
    assert gateway["RouteTableIds"] == ["rtb-0123456789abcdef0"]
    existing_stack.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": "sg-0123456789abcdef0"},
    )


def test_trail_is_off_by_default_and_on_when_asked(default_stack, existing_stack):
    default_stack.template.resource_count_is("AWS::CloudTrail::Trail", 0)
    existing_stack.template.has_resource_properties(
        "AWS::CloudTrail::Trail", {"IsLogging": True, "EnableLogFileValidation": True, "KMSKeyId": Match.any_value()}
    )


def test_settings_of_the_fixture_are_valid():
    from tests.infrastructure.conftest import EXISTING_NETWORK

    assert StackSettings.from_context(EXISTING_NETWORK).uses_existing_network


# --- cdk-nag -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack_name", ["default_stack", "existing_stack"])
def test_no_unacknowledged_findings(stack_name, request):
    synth = request.getfixturevalue(stack_name)
    report = AwsSolutionsChecks(synth.app).validate_scope(synth.app)
    findings = [
        f"{v.severity} {v.rule_name}: {[r.construct_path for r in v.violating_resources]}" for v in report.violations
    ]
    assert findings == []


def _acknowledgements(construct):
    for entry in construct.node.metadata:
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
            yield from (entry.data or {}).items()
    for child in construct.node.children:
        yield from _acknowledgements(child)


def test_every_acknowledgement_names_its_finding_and_reason(default_stack):
    acknowledgements = list(_acknowledgements(default_stack.app))
    assert acknowledgements
    for rule, reason in acknowledgements:
        assert isinstance(reason, str) and len(reason) >= 30, (rule, reason)
        if "IAM5" in rule:
            assert "[" in rule, f"IAM5 must be acknowledged per finding, not wholesale: {rule}"


def test_no_destructive_action_is_acknowledged_as_a_wildcard(default_stack):
    for rule, _ in _acknowledgements(default_stack.app):
        assert "Action::sagemaker" not in rule and "Action::ec2" not in rule, rule


# --- Powertools layer and the trail's key -------------------------------------------------------------------------


def test_a_pinned_powertools_layer_version_is_used_as_given(tmp_path):
    from tests.infrastructure.conftest import Synthesized

    pinned = Synthesized({"powertools_layer_version": "37"}, str(tmp_path))
    function = pinned.stack.workflow.steps["Evaluate"].function
    (layer,) = pinned.json["Resources"][pinned.logical_id(function)]["Properties"]["Layers"]
    assert layer == {
        "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:"
        "AWSLambdaPowertoolsPythonV3-python312-arm64:37"
    }
    assert not any("powertools" in str(p.get("Default", "")) for p in pinned.json["Parameters"].values())


def test_the_trail_key_lets_cloudtrail_describe_it_in_a_statement_of_its_own(existing_stack):
    (key,) = [
        k for k in existing_stack.resources("AWS::KMS::Key").values() if "CloudTrail" in k["Properties"]["Description"]
    ]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    (describe,) = [s for s in statements if "kms:DescribeKey" in _as_list(s["Action"]) and "Service" in s["Principal"]]
    assert describe["Action"] == "kms:DescribeKey"
    assert describe["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert list(describe["Condition"]) == ["StringEquals"] and "aws:SourceArn" in describe["Condition"]["StringEquals"]
    encrypt = [s for s in statements if "kms:GenerateDataKey*" in _as_list(s["Action"])]
    assert encrypt and all("kms:DescribeKey" not in _as_list(s["Action"]) for s in encrypt)
