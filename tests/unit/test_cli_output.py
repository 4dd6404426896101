"""The command line's pure pieces: region names, error lines, report formats (CSV, SARIF 2.1.0), timestamps,
shell completion."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import jsonschema
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError

from notebook_guard.domain.timestamps import utc_timestamp
from notebook_guard_local.auditing import RegionResult
from notebook_guard_local.aws_access import CommandError, describe_aws_error, validate_region
from notebook_guard_local.cli import build_parser
from notebook_guard_local.completion import script
from notebook_guard_local.reports import AuditReport

ARN = "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/{}"


def row(name: str, findings: list[tuple[str, str]], exempt: str | None = None, region: str = "eu-west-1") -> dict:
    return {
        "region": region,
        "name": name,
        "arn": ARN.format(name),
        "status": "InService",
        "subnet_id": None,
        "violations": sorted({c for c, _ in findings}),
        "checks": [k for _, k in findings],
        "findings": [{"control_id": c, "check": k, "reason": f"{k} reason"} for c, k in findings],
        "exempt": exempt is not None,
        "exemption": {"reason": exempt, "until": None} if exempt else None,
        "exemption_problem": None,
        "error": None,
    }


def report(**overrides) -> AuditReport:
    rows = [
        row("outside", [("SageMaker.2", "no-subnet"), ("SageMaker.1", "direct-internet")]),
        row("rooted", [("SageMaker.3", "root-access")]),
        row("vendor, box", [("SageMaker.2", "no-subnet")], exempt='approved, "SEC-1"'),
        row("fine", []),
    ]
    counts = Counter(notebooks=4, violating=2, exempt=1, compliant=1, errors=0, gone=0)
    values = {
        "results": [RegionResult("eu-west-1", rows=rows, counts=counts)],
        "time": "2026-11-27T06:12:53Z",
        "version": "0.1.0",
        "settings": {"source": "cdk.json", "approved_subnet_ids": [], "exempt_tag": "notebook-guard:exempt"},
        "account": "123456789012",
    }
    return AuditReport(**(values | overrides))


# SARIF 2.1.0's required structure for what the audit writes (OASIS SARIF v2.1.0, sarif-schema-2.1.0.json:
# sarifLog, run, tool, toolComponent, reportingDescriptor, result, message, location, suppression, invocation).
SARIF_SHAPE = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "format": "uri"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "informationUri": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "uniqueItems": True,
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "shortDescription": {"$ref": "#/$defs/message"},
                                                "fullDescription": {"$ref": "#/$defs/message"},
                                                "helpUri": {"type": "string"},
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {"level": {"$ref": "#/$defs/level"}},
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "invocations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["executionSuccessful"],
                            "properties": {"executionSuccessful": {"type": "boolean"}},
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": -1},
                                "level": {"$ref": "#/$defs/level"},
                                "message": {"$ref": "#/$defs/message"},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "properties": {"uri": {"type": "string"}},
                                                    }
                                                },
                                            },
                                            "logicalLocations": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "properties": {
                                                        "name": {"type": "string"},
                                                        "fullyQualifiedName": {"type": "string"},
                                                        "kind": {"type": "string"},
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                                "suppressions": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["kind"],
                                        "properties": {
                                            "kind": {"enum": ["inSource", "external"]},
                                            "status": {"enum": ["accepted", "underReview", "rejected"]},
                                            "justification": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "$defs": {
        "level": {"enum": ["none", "note", "warning", "error"]},
        "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}]},
    },
}


def test_sarif_has_a_rule_per_control_and_a_result_per_violation():
    sarif = report().to_sarif()
    jsonschema.validate(sarif, SARIF_SHAPE)
    driver = sarif["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == ["SageMaker.1", "SageMaker.2", "SageMaker.3"]
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]) for r in results] == [
        ("SageMaker.2", "outside"),
        ("SageMaker.1", "outside"),
        ("SageMaker.3", "rooted"),
        ("SageMaker.2", "vendor, box"),
    ]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("arn:aws:sagemaker:")
    assert results[-1]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": 'approved, "SEC-1"'}
    ]
    assert sarif["runs"][0]["properties"]["account"] == "123456789012"
    assert sarif["runs"][0]["invocations"][0]["endTimeUtc"] == "2026-11-27T06:12:53Z"


def test_sarif_marks_an_incomplete_audit():
    failed = RegionResult("us-east-1", error="ListNotebookInstances failed: AccessDeniedException: no")
    sarif = report(results=[*report().results, failed]).to_sarif()
    jsonschema.validate(sarif, SARIF_SHAPE)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"].startswith("us-east-1: ListNotebookInstances")


def test_csv_has_a_header_and_quotes_what_needs_quoting():
    out = io.StringIO()
    report().write_csv(out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][:6] == ["account", "region", "name", "status", "subnet_id", "violations"]
    by_name = {r[2]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_name["vendor, box"]["exemption_reason"] == 'approved, "SEC-1"'
    assert by_name["outside"]["violations"] == "SageMaker.1;SageMaker.2" and by_name["fine"]["violations"] == ""


def test_json_names_the_account_regions_time_tool_and_settings():
    document = report().to_dict()
    assert document["account"] == "123456789012" and document["regions"] == ["eu-west-1"]
    assert document["time"] == "2026-11-27T06:12:53Z" and document["tool"]["version"] == "0.1.0"
    assert document["settings"]["source"] == "cdk.json"
    assert json.loads(json.dumps(document)) == document


def test_table_says_1_notebook_not_1_notebooks():
    out = io.StringIO()
    one = RegionResult("eu-west-1", rows=[row("fine", [])], counts=Counter(notebooks=1, compliant=1))
    report(results=[one]).write_table(out)
    assert (
        out.getvalue().splitlines()[-1]
        == "eu-west-1: 1 notebook, 0 in violation, 0 exempt, 1 compliant, 0 not evaluated"
    )


@pytest.mark.parametrize("name", ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "eu-isoe-west-1"])
def test_known_regions_of_every_partition_are_accepted(name):
    assert validate_region(name) == name


@pytest.mark.parametrize("name", ["mars-north-9", "eu-west-9", "us-east1", "EU-WEST-1", ""])
def test_other_names_are_refused_in_one_line(name, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(CommandError) as caught:
        validate_region(name)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(f"unknown region {name!r}")


def test_with_a_custom_endpoint_a_name_of_a_partitions_pattern_is_allowed(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert validate_region("eu-west-9") == "eu-west-9"
    with pytest.raises(CommandError):
        validate_region("mars-north-9")


def test_error_lines_name_the_cause_without_the_page():
    html = ClientError(
        {
            "Error": {"Code": "500", "Message": "<html><body>oops</body></html>"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        },
        "ListNotebookInstances",
    )
    assert describe_aws_error(html) == (
        "ListNotebookInstances failed: the endpoint answered HTTP 500 with no AWS error (is the endpoint right?)"
    )
    timeout = ConnectTimeoutError(endpoint_url="https://api.sagemaker.eu-west-1.amazonaws.com/")
    assert describe_aws_error(timeout) == (
        "cannot reach the AWS endpoint https://api.sagemaker.eu-west-1.amazonaws.com (timed out after 2 attempts)"
    )
    denied = ClientError({"Error": {"Code": "UnrecognizedClientException", "Message": "bad\ntoken"}}, "ListTags")
    assert describe_aws_error(denied) == (
        "ListTags failed: UnrecognizedClientException: bad token "
        "(are the credentials valid, and is the region enabled for the account?)"
    )


def test_one_timestamp_format():
    moment = datetime(2026, 11, 27, 7, 12, 53, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert utc_timestamp(moment) == "2026-11-27T06:12:53Z"
    assert utc_timestamp("2026-11-27T06:12:53+00:00") == "2026-11-27T06:12:53Z"
    assert utc_timestamp(datetime(2026, 11, 27, 6, 12, 53)) == "2026-11-27T06:12:53Z"  # naive: UTC
    assert utc_timestamp().endswith("Z") and utc_timestamp()[:4] == str(datetime.now(UTC).year)


def complete(bash_script: str, words: list[str]) -> list[str]:
    """What the bash completion offers after ``words`` (the last one is the word being completed)."""
    program = (
        f"{bash_script}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_notebook_guard; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True, timeout=30,
        env={"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completion_offers_commands_options_and_values():
    bash = script("bash", build_parser())
    assert complete(bash, ["notebook-guard", ""])[:8] == [
        "audit", "plan", "restore", "approve", "reject", "demo", "prevent", "completion"
    ]
    assert "--all-regions" in complete(bash, ["notebook-guard", "audit", "--a"])
    assert complete(bash, ["notebook-guard", "audit", "--output", ""]) == ["table", "json", "csv", "sarif"]
    assert complete(bash, ["notebook-guard", "restore", "x", "--output", ""]) == ["table", "json", "csv"]
    assert complete(bash, ["notebook-guard", "--region", "eu-west-"]) == ["eu-west-1", "eu-west-2", "eu-west-3"]
    assert complete(bash, ["notebook-guard", "demo", "--action", "q"]) == ["quarantine"]


def test_zsh_and_fish_scripts():
    zsh = script("zsh", build_parser())
    assert "bashcompinit" in zsh and "complete -o default -F _notebook_guard notebook-guard" in zsh
    fish = script("fish", build_parser())
    assert (
        "complete -c notebook-guard -n 'not __fish_seen_subcommand_from audit plan restore approve reject demo "
        "prevent completion' "
        "-a audit"
        in fish
    )
    assert (
        "complete -c notebook-guard -n '__fish_seen_subcommand_from audit' -l output -x -a 'table json csv sarif'"
        in fish
    )
    for shell in ("zsh", "fish"):  # syntax, where the shell is installed
        binary = subprocess.run(["which", shell], capture_output=True, text=True).stdout.strip()
        if binary:
            assert subprocess.run([binary, "-n"], input=script(shell, build_parser()), text=True).returncode == 0
