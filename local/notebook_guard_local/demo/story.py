"""The built-in story: six notebooks, each showing one thing notebook-guard does (or deliberately does not do)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notebook_guard_local.demo.engine import (
    BLOCKED,
    COMPLIANT,
    EXEMPT,
    FLAGGED,
    REMEDIATED,
    ROOT_ACCESS_FIXED,
    Actor,
)
from notebook_guard_local.world import World

# What AWS's lifecycle samples do: install packages as ec2-user into a conda environment, in the foreground.
NLP_SETUP = """#!/bin/bash
set -e
sudo -u ec2-user -i <<'EOF'
source /home/ec2-user/anaconda3/bin/activate pytorch_p310
pip install transformers datasets
EOF
"""


def built_in_story(world: World) -> list[Actor]:
    role = world.role_arn
    private = {
        "SubnetId": world.private_subnet_id,
        "SecurityGroupIds": [world.security_group_id],
        "DirectInternetAccess": "Disabled",
    }
    exempt_until = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
    return [
        Actor(
            {
                "NotebookInstanceName": "legacy-etl",
                "InstanceType": "ml.t3.large",
                "RoleArn": role,
                "VolumeSizeInGB": 50,
                "Tags": [{"Key": "team", "Value": "data-engineering"}, {"Key": "owner", "Value": "sam"}],
            },
            arrival="existing",
            expected=FLAGGED,
            note="no VPC, running for months",
            # Its owner restarts it: a restart, not a creation, so it gets the sweep's action (notify), not deleted.
            restarted=True,
        ),
        Actor(
            {
                "NotebookInstanceName": "fraud-model",
                "InstanceType": "ml.m5.xlarge",
                "RoleArn": role,
                "RootAccess": "Disabled",
                "Tags": [{"Key": "team", "Value": "risk"}],
                **private,
            },
            arrival="existing",
            expected=COMPLIANT,
            note="private subnet, no root access",
        ),
        Actor(
            {
                "NotebookInstanceName": "vendor-poc",
                "InstanceType": "ml.t3.medium",
                "RoleArn": role,
                "Tags": [
                    {"Key": "notebook-guard:exempt", "Value": "Vendor proof of concept - approved in SEC-1234"},
                    {"Key": "notebook-guard:exempt-until", "Value": exempt_until},
                ],
            },
            arrival="existing",
            expected=EXEMPT,
            initial_status="Stopped",
            note=f"no VPC, exempt until {exempt_until}",
        ),
        Actor(
            {
                "NotebookInstanceName": "payroll-report",
                "InstanceType": "ml.t3.medium",
                "RoleArn": role,
                "VolumeSizeInGB": 30,
                "Tags": [{"Key": "team", "Value": "finance"}],
            },
            arrival="existing",
            expected=REMEDIATED,
            note="no VPC since last year; Security Hub reports it",
            # The finding's trigger remediates, and an existing notebook waits for a person: approved, recreated,
            # and its finding goes NEW -> NOTIFIED -> RESOLVED.
            finding="SageMaker.2",
        ),
        Actor(
            {
                "NotebookInstanceName": "churn-forecast",
                "InstanceType": "ml.t3.xlarge",
                "RoleArn": role,
                "VolumeSizeInGB": 20,
                "Tags": [{"Key": "team", "Value": "marketing-analytics"}, {"Key": "cost-center", "Value": "cc-4711"}],
            },
            expected=REMEDIATED,
            note="created now by a data scientist, without a subnet",
        ),
        Actor(
            {
                "NotebookInstanceName": "gpu-research",
                "InstanceType": "ml.g4dn.xlarge",
                "RoleArn": role,
                "RootAccess": "Enabled",
                "Tags": [{"Key": "team", "Value": "research"}],
                **private,
            },
            expected=ROOT_ACCESS_FIXED,
            note="created now in the private subnet, but with root access",
        ),
        Actor(
            {
                "NotebookInstanceName": "nlp-lab",
                "InstanceType": "ml.g5.xlarge",
                "RoleArn": role,
                "LifecycleConfigName": "install-nlp-libs",
                "DefaultCodeRepository": "https://github.com/huggingface/notebooks.git",
                "Tags": [{"Key": "team", "Value": "nlp"}],
            },
            expected=BLOCKED,
            # Recreated in the isolated subnet it would end Failed (pip past the 5-minute limit, GitHub unreachable):
            # the preflight blocks it, and the alert says how to fix it (a NAT, a CodeCommit mirror, CodeArtifact).
            note="created now without a subnet; installs from PyPI and clones GitHub",
            scripts={"OnStart": NLP_SETUP},
            needs_internet=True,
        ),
    ]
