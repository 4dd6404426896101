"""What AWS does to a notebook being created where the fake is asked to create it: refusals and later failures.

Read from moto's backends (no API call from inside a request). Deliberately written apart from the Preflight's
own analysis (``notebook_guard.domain``), with simpler rules, so that a gap in one is not hidden by the same gap in
the other: the fake decides from the request, the account and the network as moto holds them.

Synchronous refusals (``ValidationException`` from CreateNotebookInstance):
- the execution role does not exist: "Could not assume role ARN. Please ensure that the role exists and allows
  principal 'sagemaker.amazonaws.com' to assume the role." (SageMaker's text for a missing role, seen on
  CreateTransformJob in github.com/awslabs/predictive-maintenance-using-machine-learning/issues/3; for
  CreateNotebookInstance UNCONFIRMED);
- the lifecycle configuration does not exist: moto's text for DescribeNotebookInstanceLifecycleConfig of a missing
  one (UNCONFIRMED for CreateNotebookInstance);
- the KMS key is disabled, pending deletion or missing (UNCONFIRMED text; that a disabled key fails the launch is
  documented for EBS: EC2 API Reference, ModifyEbsDefaultKmsKeyId);
- ``dualstack`` in a subnet without an IPv6 CIDR block (the API reference says the subnet "must support IPv6 CIDR
  blocks"; the refusal's text is UNCONFIRMED).

Asynchronous failures (Pending, then ``Failed`` with a FailureReason):
- no free address in the subnet: SageMaker cannot create the notebook's network interface (EC2's documented error
  code ``InsufficientFreeAddressesInSubnet``; how SageMaker words the FailureReason is UNCONFIRMED, modelled on the
  network-interface failure reported in github.com/aws/aws-sdk-go/issues/4071);
- no capacity for the instance type in the subnet's zone (injected): "Insufficient notebook instance capacity.
  Retry later or with a different instance type." (github.com/aws/amazon-sagemaker-examples/issues/207);
- a Git repository that is not CodeCommit, in a subnet with no way to the internet: git's own error, which SageMaker
  passes on as the FailureReason (as with "fatal: could not read Username for 'https://github.com/...'" in
  github.com/aws-samples/amazon-sagemaker-predictive-maintenance-deployed-at-edge/issues/1); the "Failed to connect
  to github.com port 443" wording is git's, UNCONFIRMED as SageMaker shows it;
- a lifecycle script whose foreground command fetches from the internet, same subnet: after 5 minutes,
  "Notebook Instance Lifecycle Config 'ARN' for Notebook Instance 'ARN' took longer than 5 minutes. Please check
  your CloudWatch logs for more details if your Notebook Instance has Internet access." (confirmed:
  github.com/aws-samples/amazon-sagemaker-optuna-hpo-blog/issues/4).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

LIFECYCLE_LIMIT_SECONDS = 300  # "Lifecycle configuration scripts cannot run for longer than 5 minutes"
CAPACITY_REASON = "Insufficient notebook instance capacity. Retry later or with a different instance type."
# Commands that reach a server; the fake's own list (compare notebook_guard.domain.internet's).
_NETWORK_TOOLS = re.compile(r"(^|[\s;&|(/])(pip3?|conda|mamba|npm|yarn|curl|wget|git|yum|dnf|apt-get|apt)\s")
_QUIET = re.compile(r"\b(aws\s+s3|--no-index|--offline)\b")


class Refused(Exception):
    """CreateNotebookInstance refuses the request (a ValidationException with this message)."""


@dataclass(frozen=True)
class SubnetView:
    zone: str
    free_addresses: int
    ipv6: bool
    egress: bool  # a route 0.0.0.0/0 to a NAT gateway, NAT instance, transit gateway, appliance or internet gateway


def subnet_view(account: str, region: str, subnet_id: str) -> SubnetView | None:
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[account][region]
    try:
        subnet = backend.get_subnet(subnet_id)
    except Exception:  # moto raises its own InvalidSubnetIdError
        return None
    tables = list(backend.route_tables.values())
    table = next((t for t in tables if subnet_id in t._associations.values()), None) or next(
        (t for t in tables if t.vpc_id == subnet.vpc_id and t.main_association_id), None
    )
    egress = False
    for route in table.routes if table else []:
        if route.destination_cidr_block != "0.0.0.0/0":
            continue
        gateway = str(route.gateway_id or "")
        egress = egress or bool(
            route.nat_gateway or route.instance or route.transit_gateway or gateway.startswith(("igw-", "vpce-"))
        )
    ipv6 = any(a.get("ipv6CidrBlock") for a in subnet.ipv6_cidr_block_associations.values())
    return SubnetView(subnet.availability_zone, subnet.available_ip_address_count, ipv6, egress)


def _key_state(account: str, region: str, key_id: str) -> str | None:
    from moto.kms.models import kms_backends

    try:
        return kms_backends[account][region].describe_key(key_id).key_state
    except Exception:  # NotFoundException
        return None


def _role_exists(account: str, role_arn: str) -> bool:
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["global"]
    return any(role.arn == role_arn for role in backend.roles.values())


def refusal(backend, params: dict) -> str | None:
    """Why CreateNotebookInstance refuses this request now (None: it accepts it)."""
    account, region = backend.account_id, backend.region_name
    role_arn = params.get("RoleArn") or ""
    if not _role_exists(account, role_arn):
        return (
            f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
            "'sagemaker.amazonaws.com' to assume the role."
        )
    lifecycle = params.get("LifecycleConfigName")
    if lifecycle and lifecycle not in backend.notebook_instance_lifecycle_configurations:
        arn = f"arn:aws:sagemaker:{region}:{account}:notebook-instance-lifecycle-config/{lifecycle}"
        return (
            f"Unable to describe Notebook Instance Lifecycle Config '{arn}'. (Details: Notebook Instance "
            "Lifecycle Config does not exist.)"
        )
    key_id = params.get("KmsKeyId")
    if key_id:
        state = _key_state(account, region, key_id)
        if state != "Enabled":
            return f"The KMS key {key_id} is {state or 'not found'}: it cannot encrypt the notebook's volume."
    subnet_id = params.get("SubnetId")
    if subnet_id and params.get("IpAddressType") == "dualstack":
        view = subnet_view(account, region, subnet_id)
        if view is not None and not view.ipv6:
            return f"Subnet {subnet_id} does not support IPv6: the dualstack IpAddressType requires an IPv6 CIDR block."
    return None


def later_failure(backend, params: dict, arn: str, repositories: dict, short_zones: set[str]) -> tuple[str, float]:
    """(FailureReason, seconds after creation) when the notebook will end Failed; ("", 0) when it comes up."""
    account, region = backend.account_id, backend.region_name
    subnet_id = params.get("SubnetId")
    view = subnet_view(account, region, subnet_id) if subnet_id else None
    if view is not None and view.free_addresses < 1:
        return (
            "Unable to create or start a notebook instance that can access resources in your VPC. There are not "
            f"enough free addresses in subnet '{subnet_id}' to satisfy the requested number of instances. "
            "(Service: AmazonEC2; Status Code: 400; Error Code: InsufficientFreeAddressesInSubnet)",
            0,
        )
    if view is not None and view.zone in short_zones:
        return CAPACITY_REASON, 0
    offline = view is not None and not view.egress  # without a subnet, SageMaker's own network has the internet
    if not offline:
        return "", 0
    for name in [params.get("DefaultCodeRepository"), *(params.get("AdditionalCodeRepositories") or [])]:
        url = _repository_url(name, repositories)
        if url and "git-codecommit." not in url and not url.startswith("codecommit:"):
            host = urlsplit(url).hostname or url.split("@")[-1].split(":")[0]
            return (
                f"fatal: unable to access '{url}': Failed to connect to {host} port 443 after 130000 ms: "
                "Connection timed out",
                120,
            )
    lifecycle = params.get("LifecycleConfigName")
    config = backend.notebook_instance_lifecycle_configurations.get(lifecycle) if lifecycle else None
    if config is not None and _script_needs_internet(config):
        config_arn = f"arn:aws:sagemaker:{region}:{account}:notebook-instance-lifecycle-config/{lifecycle}"
        return (
            f"Notebook Instance Lifecycle Config '{config_arn}' for Notebook Instance '{arn}' took longer than 5 "
            "minutes. Please check your CloudWatch logs for more details if your Notebook Instance has Internet "
            "access.",
            LIFECYCLE_LIMIT_SECONDS,
        )
    return "", 0


def _repository_url(name: str | None, repositories: dict) -> str | None:
    if not name:
        return None
    if "://" in name or name.startswith("git@"):
        return name
    return ((repositories.get(name) or {}).get("GitConfig") or {}).get("RepositoryUrl")


def _script_needs_internet(config) -> bool:
    """A foreground command of a network tool that is not talking to AWS (backgrounded ones do not hold the start)."""
    for hook in (config.on_create or [], config.on_start or []):
        for item in hook:
            try:
                text = base64.b64decode(item.get("Content", ""), validate=True).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                continue
            for line in text.splitlines():
                line = line.strip()
                if not line or line.startswith("#") or (line.endswith("&") and not line.endswith("&&")):
                    continue
                if "nohup " in line or "amazonaws.com" in line or _QUIET.search(line):
                    continue
                if _NETWORK_TOOLS.search(line):
                    return True
    return False
