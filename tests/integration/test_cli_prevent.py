"""``notebook-guard prevent``: valid JSON policy the linter accepts, within AWS's size limits, from the stack's
settings; the table output carries the proof; bad settings are one line and exit 2. No AWS call is made."""

from __future__ import annotations

import json

import parliament
import pytest

from notebook_guard.permissions.prevention import KINDS, LIMITS, PreventionInputs, generate
from notebook_guard_local.cli import main
from tests.conftest import ROOT

SUBNET_A = "subnet-0123456789abcdef0"
SUBNET_B = "subnet-0123456789abcdef1"
GROUP = "sg-0123456789abcdef0"


def settings_file(tmp_path, **context) -> str:
    path = tmp_path / "cdk.json"
    path.write_text(json.dumps({"app": "python3 app.py", "context": context}))
    return str(path)


@pytest.mark.parametrize("kind", KINDS)
def test_json_output_is_the_policy_the_linter_accepts_within_the_size_limit(kind, capsys):
    assert main(["prevent", "--kind", kind, "--settings", str(ROOT / "cdk.json"), "--output", "json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    # The test environment's AWS_REGION scopes the Denies to that region's notebooks.
    assert document == generate(kind, PreventionInputs(region="us-east-1")).document
    assert {s["Resource"] for s in document["Statement"] if s["Effect"] == "Deny"} == {
        "arn:aws:sagemaker:us-east-1:*:notebook-instance/*"
    }
    text = out.strip()
    assert len(text.encode()) <= LIMITS[kind]  # what is printed is what is measured: compact JSON, one line
    assert parliament.analyze_policy_string(text, include_community_auditors=False).findings == []


def test_the_settings_decide_the_statements(tmp_path, capsys):
    path = settings_file(
        tmp_path,
        approved_subnet_ids=[SUBNET_A, SUBNET_B],
        target_subnet_ids=[SUBNET_A],
        target_security_group_ids=[GROUP],
        root_access="allowed",
        prevention_exempt_principal_tag="",
        prevention_exempt_role_arns=["arn:aws:iam::123456789012:role/BreakGlass"],
    )
    assert main(["prevent", "--kind", "scp", "--settings", path, "--output", "json"]) == 0
    statements = json.loads(capsys.readouterr().out)["Statement"]
    assert [s["Sid"] for s in statements] == [
        "DenyCreateNotebookWithoutVpcSubnets",
        "DenyCreateNotebookOutsideApprovedVpcSubnets",
        "DenyCreateNotebookUnlessDirectInternetAccessDisabled",
    ]
    assert statements[1]["Condition"]["ForAnyValue:StringNotEquals"]["sagemaker:VpcSubnets"] == [SUBNET_A, SUBNET_B]
    assert all(s["Condition"]["ArnNotLike"] == {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/BreakGlass"}
               for s in statements)
    assert all("aws:PrincipalTag" not in json.dumps(s) for s in statements)

    assert main(["prevent", "--kind", "scp", "--settings", path, "--output", "json", "--restrict-security-groups"]) == 0
    sids = [s["Sid"] for s in json.loads(capsys.readouterr().out)["Statement"]]
    assert sids[-1] == "DenyCreateNotebookOutsideApprovedVpcSecurityGroupIds"


def test_table_output_shows_the_statements_what_it_cannot_see_and_the_proof(capsys):
    assert main(["prevent", "--kind", "managed-policy"]) == 0
    out = capsys.readouterr().out
    assert "DenyCreateNotebookWithoutVpcSubnets" in out and "key sagemaker:VpcSubnets" in out
    assert "notebooks created before the policy applies" in out
    assert "DENIED   denied     ok" in out
    assert "Proof: all 13 requests as they should be" in out
    assert [line for line in out.splitlines() if len(line) > 100] == []


def test_the_stacks_own_subnets_are_needed_with_an_approved_list_and_a_created_vpc(tmp_path, capsys):
    path = settings_file(tmp_path, approved_subnet_ids=[SUBNET_A])
    assert main(["prevent", "--kind", "scp", "--settings", path]) == 2
    err = capsys.readouterr().err.strip()
    assert "TargetSubnetIds" in err and len(err.splitlines()) == 1
    code = main(["prevent", "--kind", "scp", "--settings", path, "--stack-subnet-ids", SUBNET_B, "--output", "json"])
    assert code == 0
    statement = json.loads(capsys.readouterr().out)["Statement"][1]
    assert statement["Condition"]["ForAnyValue:StringNotEquals"]["sagemaker:VpcSubnets"] == [SUBNET_A, SUBNET_B]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"approved_subnet_ids": "subnet-nope", "target_subnet_ids": SUBNET_A}, "invalid setting approved_subnet_ids"),
        ({"root_access": "maybe"}, "invalid setting root_access"),
        ({"target_subnet_ids": [SUBNET_A], "approved_subnet_ids": [f"subnet-{i:017x}" for i in range(200)]},
         "over AWS's limit of 5120"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(tmp_path, capsys, context, message):
    assert main(["prevent", "--kind", "scp", "--settings", settings_file(tmp_path, **context)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_approved_subnets_need_a_region(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    path = settings_file(tmp_path, approved_subnet_ids=[SUBNET_A], target_subnet_ids=[SUBNET_A],
                         target_security_group_ids=[GROUP])
    assert main(["prevent", "--kind", "scp", "--settings", path]) == 2
    assert "approved subnets are regional" in capsys.readouterr().err
    assert main(["prevent", "--kind", "scp", "--settings", path, "--region", "eu-west-1", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["Statement"][0]["Resource"].startswith("arn:aws:sagemaker:eu-west-1:")
    assert main(["prevent", "--kind", "scp", "--output", "json"]) == 0  # no list: a policy for every region
    assert json.loads(capsys.readouterr().out)["Statement"][0]["Resource"] == "*"


def test_an_unreadable_settings_file_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["prevent", "--kind", "scp", "--settings", str(tmp_path / "missing.json")]) == 2
    assert "cannot read the settings file" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{nope")
    assert main(["prevent", "--kind", "scp", "--settings", str(tmp_path / "bad.json")]) == 2
    assert "is not JSON" in capsys.readouterr().err
