"""Preflight decisions about the target network: private subnet, security groups, endpoints.

Pure functions over the EC2 Describe outputs; the Preflight step gathers those and reports every problem.
"""

from __future__ import annotations

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
