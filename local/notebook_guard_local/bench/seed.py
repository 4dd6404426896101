"""A synthetic account of N notebook instances of mixed compliance, written straight into moto's backend.

Seeding goes through the backend of the moto server's own process (no API calls), so thousands of notebooks
take seconds and nothing of it shows in the measured call counts. The mix is deterministic by index:

* two thirds out of VPC (no subnet, direct internet access on): SageMaker.2 and SageMaker.1;
* of those, every tenth is exempt (``notebook-guard:exempt`` = a reason) and every twentieth carries an
  exemption that expired (not honoured);
* the rest sit in a private subnet; every ninth of all notebooks among them has root access on (SageMaker.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ACCOUNT = "123456789012"  # moto's default account
INSTANCE_TYPE = "ml.t3.medium"  # moto accepts only a short list of instance types
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/notebook-execution"
SUBNET_ID = "subnet-0123456789abcdef0"
SECURITY_GROUP_ID = "sg-0123456789abcdef0"
EXEMPT_TAG = "notebook-guard:exempt"
PAGE_SIZE = 100  # ListNotebookInstances' maximum page


@dataclass(frozen=True)
class SeededNotebook:
    name: str
    in_vpc: bool
    root_access: bool
    exempt: bool  # an exemption that is honoured today
    expired_exemption: bool

    @property
    def in_violation(self) -> bool:
        """Violates at least one control under the default policy (root access disabled)."""
        return not self.in_vpc or self.root_access

    @property
    def actionable(self) -> bool:
        return self.in_violation and not self.exempt


def plan_account(count: int, prefix: str = "nb") -> list[SeededNotebook]:
    notebooks = []
    for index in range(count):
        in_vpc = index % 3 == 0
        notebooks.append(
            SeededNotebook(
                name=f"{prefix}-{index:05d}",
                in_vpc=in_vpc,
                root_access=in_vpc and index % 9 == 3,
                exempt=not in_vpc and index % 10 == 1,
                expired_exemption=not in_vpc and index % 20 == 2,
            )
        )
    return notebooks


def tags_of(notebook: SeededNotebook) -> list[dict[str, str]]:
    tags = [{"Key": "team", "Value": "data-science"}, {"Key": "cost-center", "Value": "cc-1234"}]
    if notebook.exempt:
        tags.append({"Key": EXEMPT_TAG, "Value": "vendor appliance, reviewed by security"})
    if notebook.expired_exemption:
        tags.append({"Key": EXEMPT_TAG, "Value": "temporary, for a workshop"})
        tags.append({"Key": f"{EXEMPT_TAG}-until", "Value": "2020-01-31"})
    return tags


def seed_backend(notebooks: list[SeededNotebook], region: str, account: str = ACCOUNT) -> None:
    """Create the notebooks in moto's in-memory backend (must run in the moto server's process)."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account][region]
    for notebook in notebooks:
        backend.create_notebook_instance(
            notebook_instance_name=notebook.name,
            instance_type=INSTANCE_TYPE,
            role_arn=ROLE_ARN,
            subnet_id=SUBNET_ID if notebook.in_vpc else None,
            security_group_ids=[SECURITY_GROUP_ID] if notebook.in_vpc else None,
            tags=tags_of(notebook),
            direct_internet_access="Disabled" if notebook.in_vpc else "Enabled",
            root_access="Enabled" if notebook.root_access else "Disabled",
        )


def minimum_calls(notebooks: list[SeededNotebook]) -> dict[str, int]:
    """The fewest SageMaker calls that judge every notebook: list pages, one Describe each, tags of violators.

    No call returns the subnet of many notebooks at once, so one Describe per notebook is the floor; tags are
    needed only where an exemption can change the verdict, i.e. for notebooks in violation.
    """
    return {
        "ListNotebookInstances": max(1, math.ceil(len(notebooks) / PAGE_SIZE)),
        "DescribeNotebookInstance": len(notebooks),
        "ListTags": sum(1 for n in notebooks if n.in_violation),
    }
