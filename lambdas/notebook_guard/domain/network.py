"""Preflight decisions about the target network: private subnet, security groups, endpoints, and the path from
the recreated notebook to what it needs (the S3 route, TCP 443 through the security groups, a free address, IPv6,
a way to the internet).

Pure functions over the EC2 Describe outputs; the Preflight gathers those and reports every problem.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

GATEWAY_ENDPOINT_SERVICES = frozenset({"s3", "dynamodb"})


def route_table_of(subnet_id: str, route_tables: list[dict]) -> dict | None:
    """The route table governing a subnet: its explicit association, else the VPC's main table."""
    main = None
    for table in route_tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId") == subnet_id:
                return table
            if association.get("Main"):
                main = table
    return main


def internet_routes(table: dict | None) -> list[str]:
    """Destinations routed to an Internet Gateway (``igw-``) in a route table."""
    if table is None:
        return []
    return [
        route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or "?"
        for route in table.get("Routes", [])
        if str(route.get("GatewayId", "")).startswith("igw-")
    ]


def subnet_problems(subnet_id: str, subnet: dict | None, route_tables: list[dict]) -> list[str]:
    if subnet is None:
        return [f"subnet {subnet_id} does not exist"]
    table = route_table_of(subnet_id, route_tables)
    routes = internet_routes(table)
    if routes:
        which = table.get("RouteTableId", "?") if table else "?"
        return [f"subnet {subnet_id} is public: route table {which} sends {', '.join(routes)} to an internet gateway"]
    return []


def security_group_problems(wanted: tuple[str, ...], groups: list[dict], vpc_id: str | None) -> list[str]:
    if not wanted:
        return ["no target security group is configured"]
    found = {g["GroupId"]: g for g in groups}
    problems = [f"security group {g} does not exist" for g in wanted if g not in found]
    problems += [
        f"security group {g} is in {found[g].get('VpcId')}, not in the subnet's VPC {vpc_id}"
        for g in wanted
        if g in found and vpc_id and found[g].get("VpcId") != vpc_id
    ]
    return problems


def endpoint_service_name(short: str, region: str) -> str:
    return short if short.startswith("com.amazonaws.") else f"com.amazonaws.{region}.{short}"


def endpoint_problems(required: tuple[str, ...], endpoints: list[dict], region: str, vpc_id: str) -> list[str]:
    """Required endpoints missing from the VPC. S3 (and DynamoDB) must be Gateway endpoints, others Interface.

    An interface endpoint only serves the notebook's SDK calls with private DNS on (otherwise the service's
    public name resolves to public addresses, unreachable from a private subnet).
    """
    present: dict[str, set[str]] = {}
    private_dns: dict[str, bool] = {}
    for endpoint in endpoints:
        if endpoint.get("State", "available").lower() in ("deleted", "deleting", "failed", "rejected"):
            continue
        name, kind = endpoint.get("ServiceName", ""), endpoint.get("VpcEndpointType", "Interface")
        present.setdefault(name, set()).add(kind)
        if kind == "Interface":
            # Absent means the API's default (on); only an explicit False is a problem.
            private_dns[name] = private_dns.get(name, False) or endpoint.get("PrivateDnsEnabled", True) is not False
    problems = []
    for short in required:
        name = endpoint_service_name(short, region)
        kind = "Gateway" if short in GATEWAY_ENDPOINT_SERVICES else "Interface"
        types = present.get(name, set())
        # An interface endpoint for S3 also serves the notebook; accept either for gateway services.
        if not types or (kind == "Interface" and "Interface" not in types):
            problems.append(f"VPC {vpc_id} has no {kind.lower()} endpoint for {name}")
        elif kind == "Interface" and not private_dns.get(name, True):
            problems.append(f"the interface endpoint for {name} in VPC {vpc_id} has private DNS disabled")
    return problems


def needs_private_dns(required: tuple[str, ...]) -> bool:
    """Whether any required endpoint is an interface endpoint (those resolve through the VPC's private DNS)."""
    return any(short not in GATEWAY_ENDPOINT_SERVICES for short in required)


def dns_problems(attributes: dict[str, bool], vpc_id: str) -> list[str]:
    """Interface endpoints' private DNS names only resolve with both VPC DNS attributes on."""
    return [
        f"VPC {vpc_id} has {name} off: the notebook would not resolve the interface endpoints' private DNS names"
        for name in ("enableDnsSupport", "enableDnsHostnames")
        if not attributes.get(name)
    ]


# --- The path from the recreated notebook to what it needs (issue: a preflight of the path, not of the parts) ---

HTTPS = 443
ANYWHERE = "0.0.0.0/0"
# States of an IPv6 association that no longer gives the subnet addresses.
_GONE_STATES = ("disassociat", "fail")


def has_ipv6(subnet: dict) -> bool:
    """Whether the subnet has an IPv6 CIDR block (what a ``dualstack`` notebook needs)."""
    for association in subnet.get("Ipv6CidrBlockAssociationSet") or []:
        state = str((association.get("Ipv6CidrBlockState") or {}).get("State", "associated")).lower()
        if association.get("Ipv6CidrBlock") and not any(s in state for s in _GONE_STATES):
            return True
    return False


def free_ip_problem(subnet: dict) -> str | None:
    """SageMaker puts one network interface of the notebook in the subnet: it needs a free address."""
    free = subnet.get("AvailableIpAddressCount")
    if free is not None and int(free) < 1:
        return (
            f"subnet {subnet['SubnetId']} has no free IP address (AvailableIpAddressCount 0): SageMaker could not "
            "create the notebook's network interface"
        )
    return None


def _covers(rule_cidr: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).subnet_of(ipaddress.ip_network(rule_cidr, strict=False))
    except (TypeError, ValueError):
        return False


def _https(permission: dict) -> bool:
    """A rule that lets TCP 443 through (all traffic, all TCP, or a port range that holds 443)."""
    protocol = str(permission.get("IpProtocol", ""))
    if protocol == "-1":
        return True
    if protocol not in ("tcp", "6"):
        return False
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return low is None or high is None or (int(low) <= HTTPS <= int(high)) or (low == -1 and high == -1)


def _group_ids(permission: dict) -> set[str]:
    return {pair.get("GroupId") for pair in permission.get("UserIdGroupPairs") or [] if pair.get("GroupId")}


def _cidrs(permission: dict) -> list[str]:
    return [r.get("CidrIp") for r in permission.get("IpRanges") or [] if r.get("CidrIp")]


def admits_https_from(endpoint_groups: list[dict], notebook_group_ids: tuple[str, ...], subnet_cidr: str) -> bool:
    """An interface endpoint's groups admit TCP 443 from the notebook: by group reference or by a CIDR that covers
    the notebook's subnet."""
    for group in endpoint_groups:
        for permission in group.get("IpPermissions") or []:
            if not _https(permission):
                continue
            if _group_ids(permission) & set(notebook_group_ids):
                return True
            if any(_covers(cidr, subnet_cidr) for cidr in _cidrs(permission)):
                return True
    return False


def allows_https_to(
    notebook_groups: list[dict],
    group_ids: set[str] = frozenset(),
    cidrs: list[str] = (),
    prefix_list_ids: set[str] = frozenset(),
) -> bool:
    """The notebook's groups let TCP 443 out to the destination: its groups, CIDRs covering all its addresses
    (``cidrs``), a prefix list (the S3 gateway's), or anywhere."""
    for group in notebook_groups:
        for permission in group.get("IpPermissionsEgress") or []:
            if not _https(permission):
                continue
            if _group_ids(permission) & set(group_ids):
                return True
            rule_cidrs = _cidrs(permission)
            if ANYWHERE in rule_cidrs or (cidrs and all(any(_covers(r, c) for r in rule_cidrs) for c in cidrs)):
                return True
            if {p.get("PrefixListId") for p in permission.get("PrefixListIds") or []} & set(prefix_list_ids):
                return True
    return False


def _required_endpoints(required: tuple[str, ...], endpoints: list[dict], region: str, kind: str) -> list[dict]:
    names = {endpoint_service_name(short, region) for short in required}
    return [
        e
        for e in endpoints
        if e.get("ServiceName") in names
        and e.get("VpcEndpointType", "Interface") == kind
        and str(e.get("State", "available")).lower() not in ("deleted", "deleting", "failed", "rejected")
    ]


def s3_route_problem(
    subnet_id: str, table: dict | None, required: tuple[str, ...], endpoints: list[dict], region: str
) -> str | None:
    """The S3 gateway endpoint serves only the route tables it is associated with: the target subnet's must be one.
    (An S3 interface endpoint, reached through private DNS, needs no route.)"""
    if "s3" not in required or _required_endpoints(("s3",), endpoints, region, "Interface"):
        return None
    gateways = _required_endpoints(("s3",), endpoints, region, "Gateway")
    if not gateways:
        return None  # endpoint_problems reports the missing endpoint
    table_id = (table or {}).get("RouteTableId")
    if any(table_id in (g.get("RouteTableIds") or []) for g in gateways):
        return None
    return (
        f"the S3 gateway endpoint {gateways[0].get('VpcEndpointId')} is not associated with route table {table_id} "
        f"of subnet {subnet_id}: the notebook would have no route to S3"
    )


def s3_prefix_lists(table: dict | None) -> set[str]:
    """The prefix lists the route table sends to a gateway endpoint (S3's, for the egress rule check)."""
    return {
        r["DestinationPrefixListId"]
        for r in (table or {}).get("Routes", [])
        if r.get("DestinationPrefixListId") and str(r.get("GatewayId", "")).startswith("vpce-")
    }


def security_path_problems(
    subnet: dict,
    table: dict | None,
    notebook_groups: list[dict],
    required: tuple[str, ...],
    endpoints: list[dict],
    groups_by_id: dict[str, dict],
    endpoint_subnet_cidrs: dict[str, list[str]],
    region: str,
) -> list[str]:
    """TCP 443 from the notebook to each required interface endpoint (its groups admit the notebook's; the
    notebook's let it out), and to S3 through the gateway endpoint (egress to its prefix list or anywhere)."""
    problems = []
    notebook_ids = tuple(g["GroupId"] for g in notebook_groups)
    cidr = subnet.get("CidrBlock", "")
    for endpoint in _required_endpoints(required, endpoints, region, "Interface"):
        name, endpoint_id = endpoint.get("ServiceName"), endpoint.get("VpcEndpointId")
        group_ids = {g.get("GroupId") for g in endpoint.get("Groups") or []}
        endpoint_groups = [groups_by_id[g] for g in sorted(group_ids) if g in groups_by_id]
        if not admits_https_from(endpoint_groups, notebook_ids, cidr):
            problems.append(
                f"the security groups {sorted(group_ids)} of the {name} endpoint {endpoint_id} do not admit TCP 443 "
                f"from the notebook's security groups {list(notebook_ids)} or from subnet {subnet['SubnetId']} "
                f"({cidr})"
            )
        if not allows_https_to(notebook_groups, group_ids, endpoint_subnet_cidrs.get(endpoint_id, [])):
            problems.append(
                f"the notebook's security groups {list(notebook_ids)} do not allow TCP 443 out to the {name} endpoint "
                f"{endpoint_id} (its groups, the CIDRs of its subnets, or 0.0.0.0/0)"
            )
    gateways = _required_endpoints(("s3",), endpoints, region, "Gateway") if "s3" in required else []
    if gateways and not allows_https_to(notebook_groups, prefix_list_ids=s3_prefix_lists(table)):
        problems.append(
            f"the notebook's security groups {list(notebook_ids)} do not allow TCP 443 out to S3 (the gateway "
            "endpoint's prefix list, or 0.0.0.0/0)"
        )
    return problems


def endpoint_zone_gaps(
    availability_zone: str, required: tuple[str, ...], endpoints: list[dict], zone_of: dict[str, str], region: str
) -> list[str]:
    """Required interface endpoints with no network interface in the subnet's Availability Zone. The regional
    private DNS name resolves to the interfaces in every zone, so the notebook still reaches them, across zones
    (billed per GB, and lost with that zone): reported, preferring subnets whose zone is covered."""
    gaps = []
    for endpoint in _required_endpoints(required, endpoints, region, "Interface"):
        zones = {zone_of.get(s) for s in endpoint.get("SubnetIds") or []}
        if availability_zone not in zones:
            gaps.append(
                f"the {endpoint.get('ServiceName')} endpoint has no network interface in {availability_zone} "
                f"(only {', '.join(sorted(z for z in zones if z)) or 'none known'}): traffic crosses zones"
            )
    return gaps


@dataclass(frozen=True)
class Egress:
    """A subnet's way to the internet, if any (``target``: the default route's target)."""

    target: str | None = None
    kind: str | None = None  # "NAT gateway", "NAT instance", "transit gateway", ...; None: no way out
    assumed: bool = False  # the path beyond the target cannot be verified from the VPC's own description
    why: str = ""

    @property
    def exists(self) -> bool:
        return self.kind is not None

    def to_dict(self) -> dict:
        return {"target": self.target, "kind": self.kind, "assumed": self.assumed, "why": self.why}


def egress_of(table: dict | None, nat_gateways: list[dict]) -> Egress:
    """Whether the route table sends 0.0.0.0/0 somewhere that reaches the internet: a NAT gateway (available; a
    private one only through what is behind it), a NAT instance, a transit gateway, a Gateway Load Balancer or
    Network Firewall endpoint (vpce-), a Cloud WAN core network. A blackhole route leads nowhere."""
    default = [
        r
        for r in (table or {}).get("Routes", [])
        if r.get("DestinationCidrBlock") == ANYWHERE and str(r.get("State", "active")) != "blackhole"
    ]
    if not default:
        blackholes = [r for r in (table or {}).get("Routes", []) if r.get("DestinationCidrBlock") == ANYWHERE]
        why = "its 0.0.0.0/0 route is a blackhole (its target is gone)" if blackholes else "no 0.0.0.0/0 route"
        return Egress(why=f"route table {(table or {}).get('RouteTableId', '?')} has {why}")
    route = default[0]
    nat_id, gateway = route.get("NatGatewayId"), str(route.get("GatewayId") or "")
    if nat_id:
        found = {n.get("NatGatewayId"): n for n in nat_gateways}.get(nat_id)
        if found is None or found.get("State") != "available":
            state = found.get("State") if found else "not found"
            return Egress(nat_id, why=f"its 0.0.0.0/0 route goes to NAT gateway {nat_id}, which is {state}")
        if found.get("ConnectivityType", "public") == "private":
            return Egress(nat_id, "private NAT gateway", True, "internet only through what its subnet routes to")
        return Egress(nat_id, "NAT gateway", False, "")
    if route.get("InstanceId"):
        return Egress(route["InstanceId"], "NAT instance", True, "the instance must forward traffic")
    if gateway.startswith("igw-"):
        return Egress(gateway, "internet gateway", False, "a public subnet")
    if route.get("TransitGatewayId"):
        return Egress(route["TransitGatewayId"], "transit gateway", True, "egress is decided beyond the VPC")
    if gateway.startswith("vpce-"):
        return Egress(gateway, "firewall or Gateway Load Balancer endpoint", True, "egress is decided by the appliance")
    if route.get("CoreNetworkArn"):
        return Egress(route["CoreNetworkArn"], "Cloud WAN core network", True, "egress is decided beyond the VPC")
    target = route.get("NetworkInterfaceId") or route.get("VpcPeeringConnectionId") or gateway or "?"
    return Egress(target, why=f"its 0.0.0.0/0 route goes to {target}, which does not lead to the internet by itself")
