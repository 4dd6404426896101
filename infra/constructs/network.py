"""Where recreated notebooks live: the team's private subnets, or a private isolated VPC this stack creates.

A notebook in a subnet with no route to the internet reaches AWS only through VPC endpoints: interface
endpoints (private DNS, TCP 443 from the notebook security group) and the S3 gateway endpoint.
"""

from __future__ import annotations

from aws_cdk import Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.settings import GATEWAY_ENDPOINTS, StackSettings

INTERFACE_SERVICES = {
    "sagemaker.api": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
    "sagemaker.runtime": ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    "sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "ecr.api": ec2.InterfaceVpcEndpointAwsService.ECR,
    "ecr.dkr": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "codecommit": ec2.InterfaceVpcEndpointAwsService.CODECOMMIT,
    "git-codecommit": ec2.InterfaceVpcEndpointAwsService.CODECOMMIT_GIT,
    "kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "secretsmanager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
}
HTTPS = ec2.Port.tcp(443)


def _endpoint_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", ".").split(".")) + "Endpoint"


class Network(Construct):
    """Exposes ``subnet_ids`` and ``security_group_ids`` (lists, possibly of tokens) for the recreated notebooks."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StackSettings, log_retention: logs.RetentionDays
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc: ec2.Vpc | None = None
        self.endpoint_names: list[str] = []
        if settings.uses_existing_network:
            self.subnet_ids = list(settings.target_subnet_ids)
            self.security_group_ids = list(settings.target_security_group_ids)
            if settings.create_endpoints:
                self._add_endpoints_to_existing(settings)
        else:
            self._create_private_vpc(settings, log_retention)

    def _create_private_vpc(self, settings: StackSettings, log_retention: logs.RetentionDays) -> None:
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            # No public subnet, hence no internet gateway: the subnets are private isolated.
            subnet_configuration=[
                ec2.SubnetConfiguration(name="notebooks", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
            enable_dns_support=True,  # both needed for the interface endpoints' private DNS
            enable_dns_hostnames=True,
            restrict_default_security_group=True,  # Security Hub EC2.2
        )
        vpc.add_flow_log(
            "FlowLogs",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                logs.LogGroup(self, "FlowLogGroup", retention=log_retention)
            ),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
        self.vpc = vpc
        subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        self.notebook_security_group = ec2.SecurityGroup(
            self,
            "NotebookSecurityGroup",
            vpc=vpc,
            description="notebook-guard: recreated notebook instances (HTTPS out to the VPC endpoints only)",
            allow_all_outbound=False,
        )
        endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=vpc,
            description="notebook-guard: VPC interface endpoints (HTTPS in from notebooks)",
            allow_all_outbound=False,
        )
        endpoint_security_group.add_ingress_rule(self.notebook_security_group, HTTPS, "HTTPS from notebooks")
        # HTTPS to anywhere: the subnets have no route to the internet, so this reaches only the interface
        # endpoints and S3 through the gateway endpoint (whose addresses are S3's prefix list, not the VPC's).
        self.notebook_security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), HTTPS, "HTTPS to the VPC endpoints (no internet route exists)"
        )

        names = list(dict.fromkeys(settings.required_endpoints))
        for name in names:
            if name in GATEWAY_ENDPOINTS:
                vpc.add_gateway_endpoint(
                    _endpoint_id(name), service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[subnets]
                )
            else:
                vpc.add_interface_endpoint(
                    _endpoint_id(name),
                    service=INTERFACE_SERVICES[name],
                    subnets=subnets,
                    private_dns_enabled=True,
                    security_groups=[endpoint_security_group],
                    open=False,
                )
        self.endpoint_names = names
        self.subnet_ids = [s.subnet_id for s in vpc.isolated_subnets]
        self.security_group_ids = [self.notebook_security_group.security_group_id]

    def _add_endpoints_to_existing(self, settings: StackSettings) -> None:
        """Endpoints in a VPC this stack does not own (L1: no lookup, so synth needs no credentials)."""
        region = Stack.of(self).region
        endpoint_sg = ec2.CfnSecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc_id=settings.target_vpc_id,
            group_description="notebook-guard: VPC interface endpoints (HTTPS in from notebooks)",
            security_group_egress=[
                # No egress: an endpoint network interface only answers. (Replaces the default allow-all rule.)
                ec2.CfnSecurityGroup.EgressProperty(
                    ip_protocol="icmp",
                    from_port=252,
                    to_port=86,
                    cidr_ip="255.255.255.255/32",
                    description="Disallow all traffic",
                )
            ],
        )
        for index, group_id in enumerate(settings.target_security_group_ids):
            ec2.CfnSecurityGroupIngress(
                self,
                f"EndpointIngress{index}",
                group_id=endpoint_sg.attr_group_id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                source_security_group_id=group_id,
                description=f"HTTPS from notebooks ({group_id})",
            )
        names = list(dict.fromkeys(settings.required_endpoints))
        for name in names:
            service_name = f"com.amazonaws.{region}.{name}"
            if name in GATEWAY_ENDPOINTS:
                ec2.CfnVPCEndpoint(
                    self,
                    _endpoint_id(name),
                    vpc_id=settings.target_vpc_id,
                    service_name=service_name,
                    vpc_endpoint_type="Gateway",
                    route_table_ids=list(settings.target_route_table_ids),
                )
            else:
                ec2.CfnVPCEndpoint(
                    self,
                    _endpoint_id(name),
                    vpc_id=settings.target_vpc_id,
                    service_name=service_name,
                    vpc_endpoint_type="Interface",
                    # One subnet per AZ: target_subnet_ids must be in distinct AZs (CreateVpcEndpoint rejects two
                    # subnets of one AZ).
                    subnet_ids=list(settings.target_subnet_ids),
                    security_group_ids=[endpoint_sg.attr_group_id],
                    private_dns_enabled=True,
                )
        self.endpoint_names = names

    @property
    def subnet_ids_csv(self) -> str:
        return Fn.join(",", self.subnet_ids)

    @property
    def security_group_ids_csv(self) -> str:
        return Fn.join(",", self.security_group_ids)
