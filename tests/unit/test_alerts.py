"""Alert messages: readable by a person, parseable by a machine."""

import json

from notebook_guard.domain.alerts import SCHEMA, SCHEMA_VERSION, Alert, AlertKind, parse_alert_body


def alert(**overrides):
    values = {
        "kind": AlertKind.VIOLATION,
        "account": "123456789012",
        "region": "eu-west-1",
        "notebook_name": "ml-feature-exploration",
        "notebook_arn": "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/ml-feature-exploration",
        "violations": [
            {
                "control_id": "SageMaker.2",
                "check": "no-subnet",
                "title": "t",
                "reason": "no SubnetId",
                "remedy": "recreate",
            }
        ],
        "action": "remediate",
        "trigger": "event",
        "execution_id": "arn:aws:states:eu-west-1:123456789012:execution:sm:run-1",
    }
    values.update(overrides)
    return Alert(**values)


def test_subject_is_short_and_names_notebook_and_control():
    subject = alert().subject()
    assert len(subject) < 100
    assert "ml-feature-exploration" in subject and "SageMaker.2" in subject


def test_subject_is_truncated_below_100_characters_for_the_longest_names():
    subject = alert(notebook_name="n" * 63, kind=AlertKind.FAILED).subject()
    assert len(subject) < 100 and subject.isascii() and "\n" not in subject


def test_body_reads_as_text_then_carries_the_versioned_document():
    body = alert().body()
    text, _, _ = body.partition("--- machine-readable ---")
    for expected in ("ml-feature-exploration", "eu-west-1", "123456789012", "SageMaker.2", "Why it matters"):
        assert expected in text
    assert "Console: https://" in text
    document = parse_alert_body(body)
    assert document["schema"] == SCHEMA and document["schema_version"] == SCHEMA_VERSION
    assert document["notebook"]["name"] == "ml-feature-exploration"
    assert document["control_ids"] == ["SageMaker.2"]
    assert document["execution_id"].endswith(":run-1")
    assert document["console_url"].startswith("https://eu-west-1.console.aws.amazon.com/sagemaker/")
    for key in ("account", "region", "violations", "exempt", "action"):
        assert key in document


def test_exempt_alert_says_so():
    body = alert(exempt=True).body()
    assert "EXEMPT" in body and parse_alert_body(body)["exempt"] is True


def test_message_attributes_allow_filtering_by_kind_and_control():
    attributes = alert().message_attributes()
    assert attributes["kind"]["StringValue"] == "violation"
    assert json.loads(attributes["control_ids"]["StringValue"]) == ["SageMaker.2"]
