"""The Preflight's checks of the path: will the recreated notebook come up and work, in which target subnets?

Shared by the workflow's Preflight step (with the verified snapshot's Describe output and lifecycle configuration)
and ``notebook-guard plan`` (with what it reads itself). For each configured target subnet, in order: it exists,
is approved, private, in the security groups' VPC, the VPC has the required endpoints with private DNS, the S3
gateway endpoint is on the subnet's route table, TCP 443 passes from the notebook's groups to each interface
endpoint and to S3, the subnet has a free address, IPv6 for a dualstack notebook, and a way to the internet when
the notebook needs one (``internet_dependency``). A subnet that fails is skipped with its reasons; the remediation
is blocked only if none passes (or a check of the notebook itself fails: its role, key, lifecycle configuration,
code repositories). The passing subnets are ordered: IPv6 first for a dualstack notebook, a way out first for one
that needs the internet, endpoint zones covered first.

Every read goes through ``PreflightReads``: at most one Describe per resource per invocation (subnets read together,
route tables, endpoints and NAT gateways once per VPC, security groups once each), counted in ``reads``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from notebook_guard.aws import ec2, iam, kms, sagemaker
from notebook_guard.aws.errors import error_code, error_message, is_transient
from notebook_guard.domain import internet, keys, network, workflow
from notebook_guard.domain.recreate import address_type_in
from notebook_guard.settings import Settings

CODECOMMIT_ENDPOINT = "git-codecommit"
NEEDS_INTERNET = "which the notebook needs"
# The KMS actions each acting step's calls need on the notebook's key (permissions table: CreateNotebookInstance,
# StartNotebookInstance, DeleteNotebookInstance with a KmsKeyId).
KEY_ACTIONS = {
    "Create": ("kms:DescribeKey", "kms:CreateGrant"),
    "Delete": ("kms:DescribeKey",),
    "Start": ("kms:DescribeKey", "kms:CreateGrant"),
}


class PreflightReads:
    """The Preflight's AWS reads, each made at most once per resource (a memo for one invocation)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.calls: Counter[str] = Counter()
        self._memo: dict[tuple, object] = {}

    def _once(self, key: tuple, call: str, fetch: Callable[[], object]):
        if key not in self._memo:
            self.calls[call] += 1
            self._memo[key] = fetch()
        return self._memo[key]

    def subnets(self, subnet_ids) -> dict[str, dict]:
        """The subnets among ``subnet_ids`` that exist; those not yet read are read in one call."""
        wanted = [s for s in dict.fromkeys(subnet_ids) if s]
        missing = tuple(s for s in wanted if ("subnet", s) not in self._memo)
        if missing:
            self.calls["ec2:DescribeSubnets"] += 1
            found = {s["SubnetId"]: s for s in ec2.subnets(missing, self.region)}
            for subnet_id in missing:
                self._memo[("subnet", subnet_id)] = found.get(subnet_id)
        return {s: self._memo[("subnet", s)] for s in wanted if self._memo[("subnet", s)] is not None}

    def security_groups(self, group_ids) -> dict[str, dict]:
        wanted = [g for g in dict.fromkeys(group_ids) if g]
        missing = tuple(g for g in wanted if ("group", g) not in self._memo)
        if missing:
            self.calls["ec2:DescribeSecurityGroups"] += 1
            found = {g["GroupId"]: g for g in ec2.security_groups(missing, self.region)}
            for group_id in missing:
                self._memo[("group", group_id)] = found.get(group_id)
        return {g: self._memo[("group", g)] for g in wanted if self._memo[("group", g)] is not None}

    def route_tables(self, vpc_id: str) -> list[dict]:
        return self._once(
            ("routes", vpc_id), "ec2:DescribeRouteTables", lambda: ec2.route_tables_of_vpc(vpc_id, self.region)
        )

    def endpoints(self, vpc_id: str) -> list[dict]:
        return self._once(
            ("endpoints", vpc_id), "ec2:DescribeVpcEndpoints", lambda: ec2.vpc_endpoints(vpc_id, self.region)
        )

    def dns_attributes(self, vpc_id: str) -> dict[str, bool]:
        # Two DescribeVpcAttribute requests (one per attribute), made once per VPC.
        return self._once(
            ("dns", vpc_id), "ec2:DescribeVpcAttribute", lambda: ec2.vpc_dns_attributes(vpc_id, self.region)
        )

    def nat_gateways(self, vpc_id: str) -> list[dict]:
        return self._once(
            ("nat", vpc_id), "ec2:DescribeNatGateways", lambda: ec2.nat_gateways_of_vpc(vpc_id, self.region)
        )

    def role_exists(self, role_arn: str) -> bool:
        return self._once(("role", role_arn), "iam:GetRole", lambda: iam.role_exists(role_arn, self.region))

    def key_metadata(self, key_id: str) -> dict | None:
        return self._once(("key", key_id), "kms:DescribeKey", lambda: kms.key_metadata(key_id, self.region))

    def key_policy(self, key_arn: str) -> str:
        return self._once(("key-policy", key_arn), "kms:GetKeyPolicy", lambda: kms.key_policy(key_arn, self.region))

    def code_repository(self, name: str) -> dict | None:
        return self._once(
            ("repository", name),
            "sagemaker:DescribeCodeRepository",
            lambda: sagemaker.describe_code_repository(name, self.region),
        )

    def lifecycle_config(self, name: str) -> dict | None:
        return self._once(
            ("lifecycle", name),
            "sagemaker:DescribeNotebookInstanceLifecycleConfig",
            lambda: sagemaker.describe_lifecycle_config(name, self.region),
        )


@dataclass
class PathReport:
    problems: list[str] = field(default_factory=list)  # any: the remediation is blocked
    warnings: list[str] = field(default_factory=list)  # reported, not blocking
    subnets: list[dict] = field(default_factory=list)  # the subnets that pass, in the order Create tries them
    skipped: list[dict] = field(default_factory=list)  # {"subnet_id", "reasons"}
    vpc_id: str | None = None
    internet: dict = field(default_factory=dict)
    key_arn: str | None = None

    def to_dict(self) -> dict:
        return {
            "problems": self.problems,
            "warnings": self.warnings,
            "subnets": self.subnets,
            "skipped_subnets": self.skipped,
            "vpc_id": self.vpc_id,
            "internet": self.internet,
        }


def is_repository_url(value: str) -> bool:
    return "://" in value or value.startswith("git@") or value.startswith("codecommit:")


def repositories_of(describe: dict, reads: PreflightReads) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(where, Git URL) of every repository the notebook clones, and the problems resolving them: a SageMaker code
    repository that no longer exists makes SageMaker refuse the recreated notebook."""
    found, problems = [], []
    named = [("DefaultCodeRepository", describe.get("DefaultCodeRepository"))]
    named += [("AdditionalCodeRepositories", r) for r in describe.get("AdditionalCodeRepositories") or []]
    for where, value in named:
        if not value:
            continue
        if is_repository_url(value):
            found.append((where, value))
            continue
        repository = reads.code_repository(value)
        if repository is None:
            problems.append(f"code repository {value} does not exist: SageMaker would refuse the recreated notebook")
            continue
        found.append((f"code repository '{value}'", (repository.get("GitConfig") or {}).get("RepositoryUrl")))
    return found, problems


def internet_need(
    describe: dict, lifecycle_config: dict | None, reads: PreflightReads
) -> tuple[internet.InternetNeed, list[str]]:
    """What the notebook fetches from the internet, and the problems of its lifecycle configuration and repositories."""
    problems = []
    lifecycle_name = describe.get("NotebookInstanceLifecycleConfigName")
    if lifecycle_name and lifecycle_config is None:
        problems.append(
            f"lifecycle configuration {lifecycle_name} no longer exists: SageMaker would refuse the recreated notebook"
        )
    repositories, repository_problems = repositories_of(describe, reads)
    need = internet.analyse(lifecycle_name, lifecycle_config, repositories)
    if need.unreadable:
        problems.append(
            f"the {', '.join(need.unreadable)} script of lifecycle configuration {lifecycle_name} is not valid base64"
        )
    return need, problems + repository_problems


def check_subnet(
    subnet_id: str,
    settings: Settings,
    describe: dict,
    need: internet.InternetNeed,
    groups: dict[str, dict],
    reads: PreflightReads,
) -> tuple[dict | None, list[str], list[str]]:
    """(the subnet's entry if it passes, its reasons if not, its warnings)."""
    reasons, warnings = [], []
    if settings.approved_subnet_ids and subnet_id not in settings.approved_subnet_ids:
        reasons.append(f"target subnet {subnet_id} is not in the approved subnets: the result would still violate")
    subnet = reads.subnets(settings.target_subnet_ids).get(subnet_id)
    if subnet is None:
        return None, [*reasons, f"subnet {subnet_id} does not exist"], warnings
    vpc_id, zone, region = subnet["VpcId"], subnet.get("AvailabilityZone", "?"), settings.region
    tables = reads.route_tables(vpc_id)
    table = network.route_table_of(subnet_id, tables)
    reasons += network.subnet_problems(subnet_id, subnet, tables)
    reasons += [
        p
        for p in network.security_group_problems(settings.target_security_group_ids, list(groups.values()), vpc_id)
        if "does not exist" not in p  # a missing group is the notebook's problem, reported once
    ]
    endpoints = reads.endpoints(vpc_id)
    reasons += network.endpoint_problems(settings.required_endpoints, endpoints, region, vpc_id)
    if network.needs_private_dns(settings.required_endpoints):
        reasons += network.dns_problems(reads.dns_attributes(vpc_id), vpc_id)
    problem = network.s3_route_problem(subnet_id, table, settings.required_endpoints, endpoints, region)
    reasons += [problem] if problem else []
    endpoint_groups = {g.get("GroupId") for e in endpoints for g in e.get("Groups") or []}
    endpoint_subnets = {s for e in endpoints for s in e.get("SubnetIds") or []}
    by_id = reads.security_groups([*settings.target_security_group_ids, *sorted(endpoint_groups)])
    by_subnet = reads.subnets([*settings.target_subnet_ids, *sorted(endpoint_subnets)])
    cidrs = {
        e.get("VpcEndpointId"): [by_subnet[s]["CidrBlock"] for s in e.get("SubnetIds") or [] if s in by_subnet]
        for e in endpoints
    }
    notebook_groups = [groups[g] for g in settings.target_security_group_ids if g in groups]
    if notebook_groups and not any(g.get("VpcId") != vpc_id for g in notebook_groups):
        reasons += network.security_path_problems(
            subnet, table, notebook_groups, settings.required_endpoints, endpoints, by_id, cidrs, region
        )
    problem = network.free_ip_problem(subnet)
    reasons += [problem] if problem else []
    choice = address_type_in(
        describe.get("IpAddressType"), subnet_id, network.has_ipv6(subnet), settings.ip_address_type_fallback
    )
    reasons += [choice.problem] if choice.problem else []
    gaps = network.endpoint_zone_gaps(
        zone,
        settings.required_endpoints,
        endpoints,
        {s: v.get("AvailabilityZone") for s, v in by_subnet.items()},
        region,
    )
    egress = _egress(table, vpc_id, reads)
    if need.needed and not egress.exists:
        why = f"subnet {subnet_id} has no way to the internet ({egress.why})"
        if settings.internet_dependency == "block":
            reasons.append(f"{why}, {NEEDS_INTERNET}")
        elif settings.internet_dependency == "warn":
            warnings.append(f"{why}: the recreated notebook may end Failed (internet_dependency=warn)")
    codecommit_endpoint_missing = network.endpoint_problems((CODECOMMIT_ENDPOINT,), endpoints, region, vpc_id)
    if need.codecommit and not egress.exists and codecommit_endpoint_missing:
        why = (
            f"the notebook clones from AWS CodeCommit and VPC {vpc_id} has neither the {CODECOMMIT_ENDPOINT} "
            f"interface endpoint nor a way to the internet from subnet {subnet_id}"
        )
        if settings.internet_dependency == "block":
            reasons.append(why)
        elif settings.internet_dependency == "warn":
            warnings.append(f"{why}: the recreated notebook may end Failed (internet_dependency=warn)")
    if reasons:
        return None, reasons, warnings
    warnings += [f"subnet {subnet_id}: {gap}" for gap in gaps]
    entry = {
        "subnet_id": subnet_id,
        "availability_zone": zone,
        "vpc_id": vpc_id,
        "ip_address_type": choice.ip_address_type,
        "address_note": choice.dropped,
        "egress": egress.to_dict() if egress.exists else None,
        "zone_gaps": len(gaps),
        "ipv6": network.has_ipv6(subnet),
    }
    return entry, [], warnings


def _egress(table: dict | None, vpc_id: str, reads: PreflightReads) -> network.Egress:
    # NAT gateways are read only when the default route names one.
    routes = (table or {}).get("Routes", [])
    needs_nat = any(r.get("NatGatewayId") and r.get("DestinationCidrBlock") == network.ANYWHERE for r in routes)
    return network.egress_of(table, reads.nat_gateways(vpc_id) if needs_nat else [])


def order_subnets(entries: list[dict], describe: dict, need: internet.InternetNeed) -> list[dict]:
    """Configured order, except: IPv6 first for a dualstack notebook, a way out first for one that needs the
    internet, then zones where every required endpoint has an interface."""
    dualstack = describe.get("IpAddressType") == "dualstack"
    return sorted(
        entries,
        key=lambda e: (
            dualstack and e["ip_address_type"] != "dualstack",
            need.needed and e["egress"] is None,
            e["zone_gaps"] > 0,
        ),
    )


def check_path(settings: Settings, describe: dict, lifecycle_config: dict | None, reads: PreflightReads) -> PathReport:
    """Will the recreated notebook come up and work in the target, and in which subnets?"""
    report = PathReport()
    need, report.problems = internet_need(describe, lifecycle_config, reads)
    if not settings.target_subnet_ids:
        report.problems.append("no target subnet is configured (NG_TARGET_SUBNET_IDS)")
        return report
    if not settings.target_security_group_ids:
        report.problems.append("no target security group is configured")
    groups = reads.security_groups(settings.target_security_group_ids)
    report.problems += [
        f"security group {g} does not exist" for g in settings.target_security_group_ids if g not in groups
    ]
    passing = []
    for subnet_id in settings.target_subnet_ids:
        entry, reasons, warnings = check_subnet(subnet_id, settings, describe, need, groups, reads)
        report.warnings += warnings
        if entry:
            passing.append(entry)
        else:
            report.skipped.append({"subnet_id": subnet_id, "reasons": reasons})
    report.subnets = order_subnets(passing, describe, need)
    report.vpc_id = report.subnets[0]["vpc_id"] if report.subnets else None
    report.internet = {
        **need.to_dict(),
        "policy": settings.internet_dependency,
        "fixes": internet.fixes(need) if need.needed else [],
        "fix_labels": internet.fix_labels(need) if need.needed else [],
    }
    if not report.subnets:
        report.problems += _no_subnet_problems(report.skipped, need)
    else:
        report.warnings += [f"subnet {s['subnet_id']} skipped: " + "; ".join(s["reasons"]) for s in report.skipped]
    first = report.subnets[0] if report.subnets else {}
    if need.needed and (first.get("egress") or {}).get("assumed"):
        egress = first["egress"]
        report.warnings.append(
            f"the recreated notebook needs the internet; subnet {first['subnet_id']} sends 0.0.0.0/0 to a "
            f"{egress['kind']} ({egress['target']}): {egress['why']}, which notebook-guard cannot verify"
        )
    return report


def _no_subnet_problems(skipped: list[dict], need: internet.InternetNeed) -> list[str]:
    """Why no subnet is fit: the internet first (with the evidence and the fixes), then each subnet's reasons."""
    problems = []
    internet_blocked = any(NEEDS_INTERNET in r for s in skipped for r in s["reasons"])
    if internet_blocked:
        problems.append(
            "the recreated notebook needs the internet and no target subnet has a way out: "
            + internet.summary(need)
            + ". Fixes: "
            + " | ".join(internet.fixes(need))
        )
    if len(skipped) == 1:
        return problems + [
            r for r in skipped[0]["reasons"] if not (internet_blocked and NEEDS_INTERNET in r)
        ]
    return problems + [f"subnet {s['subnet_id']}: " + "; ".join(s["reasons"]) for s in skipped]


def check_key(
    settings: Settings,
    key_id: str,
    account: str,
    roles: dict[str, str],
    reads: PreflightReads,
    read_policy: bool = True,
) -> tuple[list[str], list[str], str | None]:
    """(problems, warnings, the key's ARN): the key's metadata, and (``read_policy``) its policy for the roles that
    will use it."""
    metadata = reads.key_metadata(key_id)
    problems = keys.metadata_problems(key_id, metadata)
    if metadata is None or not read_policy:
        return problems, [], metadata.get("Arn") if metadata else None
    key_arn = metadata.get("Arn") or key_id
    key_account = key_arn.split(":")[4] if key_arn.count(":") >= 5 else account
    if key_account != account:
        return (
            problems,
            [f"KMS key {key_id} is in account {key_account}: its key policy cannot be read from here"],
            key_arn,
        )
    try:
        policy = reads.key_policy(key_arn)
    except ClientError as error:
        if is_transient(error):
            raise
        problems.append(
            f"the key policy of KMS key {key_id} could not be read ({error_code(error)}: {error_message(error)}): "
            "a key policy that does not let this account's IAM policies read it most likely does not let the "
            "workflow's roles use the key either"
        )
        return problems, [], key_arn
    needs = {arn: KEY_ACTIONS[step] for step, arn in roles.items() if step in KEY_ACTIONS}
    if not needs:  # no roles known (notebook-guard plan): does the policy at least enable IAM policies?
        needs = {f"arn:aws:iam::{account}:role/<notebook-guard Create step role>": KEY_ACTIONS["Create"]}
    more_problems, warnings = keys.policy_findings(key_id, policy, needs, account)
    return problems + more_problems, warnings, key_arn


def check_notebook(
    settings: Settings,
    path: str,
    describe: dict,
    lifecycle_config: dict | None,
    account: str,
    reads: PreflightReads,
    roles: dict[str, str] | None = None,
    read_key_policy: bool = True,
) -> PathReport:
    """Everything but the permissions: the path (recreate only), the execution role, the KMS key (its policy too,
    unless ``read_key_policy`` is off: a restore by a person, whose own rights on the key are not the workflow's)."""
    report = check_path(settings, describe, lifecycle_config, reads) if path == workflow.RECREATE else PathReport()
    role_arn = describe.get("RoleArn")
    if role_arn and not reads.role_exists(role_arn):
        report.problems.append(f"execution role {role_arn} no longer exists")
    key_id = describe.get("KmsKeyId")
    if key_id:
        problems, warnings, report.key_arn = check_key(
            settings, key_id, account, roles or {}, reads, read_key_policy
        )
        report.problems += problems
        report.warnings += warnings
    return report
