"""A small account for the workflow to act on: a VPC with two private isolated subnets (zones a and b, as the stack
creates them), a public subnet with a NAT gateway and a private subnet routed through it (the "NAT'd" variant, for
notebooks that need the internet), the notebooks' and the endpoints' security groups (TCP 443 from the first to the
second, as the stack's), the VPC endpoints a notebook needs, the snapshot bucket (versioned), the audit table, the
coordination table, the alert topic, the alert dead-letter queue, a notebook role, and the backup bucket of data
preservation (SSE-KMS with its own key).

Built through the ordinary AWS APIs, so it works against ``mock_aws`` and a moto server alike. Returns the
``NG_*`` environment the step Lambdas need (what the stack sets in AWS).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from notebook_guard.aws import clients
from notebook_guard.settings import DEFAULT_ENDPOINTS
from notebook_guard.workflow_steps import (
    AUDIT_PARTITION_KEY,
    AUDIT_SORT_KEY,
    COORDINATION_PARTITION_KEY,
    COORDINATION_SORT_KEY,
)

INTERFACE_ENDPOINTS = tuple(e for e in DEFAULT_ENDPOINTS if e != "s3")
ZONES_BY_REGION_SUFFIX = ("a", "b")


@dataclass
class World:
    region: str
    vpc_id: str
    private_subnet_id: str
    public_subnet_id: str
    security_group_id: str
    other_vpc_security_group_id: str
    bucket: str
    table: str
    topic_arn: str
    role_arn: str
    endpoint_ids: dict[str, str] = field(default_factory=dict)
    coordination_table: str = "notebook-guard-coordination"
    alert_dead_letter_queue_url: str = ""
    # The second isolated private subnet (another zone), and a private subnet whose 0.0.0.0/0 goes to a NAT gateway.
    private_subnet_b_id: str = ""
    nat_subnet_id: str = ""
    nat_gateway_id: str = ""
    endpoint_security_group_id: str = ""
    # Data preservation: the backup bucket (versioned, SSE-KMS with its own key, TLS only) as the stack builds it.
    backup_bucket: str = ""
    backup_key_arn: str = ""

    def environment(self, **overrides: str) -> dict[str, str]:
        env = {
            "NG_SNAPSHOT_BUCKET": self.bucket,
            "NG_AUDIT_TABLE": self.table,
            "NG_COORDINATION_TABLE": self.coordination_table,
            "NG_ALERT_DEAD_LETTER_QUEUE_URL": self.alert_dead_letter_queue_url,
            "NG_ALERT_TOPIC_ARN": self.topic_arn,
            "NG_TARGET_SUBNET_IDS": self.private_subnet_id,
            "NG_TARGET_SECURITY_GROUP_IDS": self.security_group_id,
            "NG_BACKUP_BUCKET": self.backup_bucket,
            "NG_BACKUP_KEY_ARN": self.backup_key_arn,
            "AWS_REGION": self.region,
        }
        env.update(overrides)
        return env


def build_world(region: str = "us-east-1", bucket: str = "notebook-guard-snapshots") -> World:
    ec2 = clients.client("ec2", region)
    zone_a, zone_b = (f"{region}{suffix}" for suffix in ZONES_BY_REGION_SUFFIX)
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    # Private DNS for the interface endpoints (what the stack's VPC has; EC2's default leaves hostnames off).
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})

    def subnet(cidr: str, zone: str) -> str:
        return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]

    def routed(subnet_id: str) -> str:
        table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet_id)
        return table

    private, private_b = subnet("10.20.1.0/24", zone_a), subnet("10.20.3.0/24", zone_b)
    public = subnet("10.20.2.0/24", zone_a)
    # The NAT'd subnet is dual-stack (an IPv6 block from the VPC's Amazon-provided one); the isolated ones IPv4-only.
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)
    (block,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"]
    nat_private = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.20.4.0/24",
        AvailabilityZone=zone_a,
        Ipv6CidrBlock=block["Ipv6CidrBlock"].rsplit("/", 1)[0] + "/64",
    )["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ec2.create_route(RouteTableId=routed(public), DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    private_tables = [routed(private), routed(private_b)]
    # The NAT'd variant: a NAT gateway in the public subnet; the private subnet's default route goes to it.
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    nat_table = routed(nat_private)
    ec2.create_route(RouteTableId=nat_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)

    # As the stack: the notebooks' group sends HTTPS out; the endpoints' group admits HTTPS from it.
    group = ec2.create_security_group(GroupName="notebooks", Description="notebooks", VpcId=vpc_id)["GroupId"]
    endpoint_group = ec2.create_security_group(GroupName="endpoints", Description="endpoints", VpcId=vpc_id)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=endpoint_group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": group}]}],
    )
    other_vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    other_group = ec2.create_security_group(GroupName="elsewhere", Description="x", VpcId=other_vpc)["GroupId"]
    endpoints = {}
    for short in INTERFACE_ENDPOINTS:
        endpoints[short] = ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{region}.{short}",
            VpcEndpointType="Interface",
            SubnetIds=[private, private_b],
            SecurityGroupIds=[endpoint_group],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]["VpcEndpointId"]
    endpoints["s3"] = ec2.create_vpc_endpoint(
        VpcId=vpc_id,
        ServiceName=f"com.amazonaws.{region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[*private_tables, nat_table],
    )["VpcEndpoint"]["VpcEndpointId"]

    s3 = clients.client("s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    # Versioned like the stack's: every reader asks for the version the workflow wrote.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    backup_bucket, backup_key_arn = build_backup_bucket(f"{bucket}-backups"[:63], region)
    table = build_audit_table("notebook-guard-audit", region)
    coordination = build_coordination_table("notebook-guard-coordination", region)
    dead_letters = clients.client("sqs", region).create_queue(QueueName="notebook-guard-alert-dead-letters")["QueueUrl"]
    topic_arn = clients.client("sns", region).create_topic(Name="notebook-guard-alerts")["TopicArn"]
    role_arn = clients.client("iam", region).create_role(
        RoleName="notebook-execution-role",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",'
        '"Principal":{"Service":"sagemaker.amazonaws.com"}}]}',
    )["Role"]["Arn"]
    return World(
        region,
        vpc_id,
        private,
        public,
        group,
        other_group,
        bucket,
        table,
        topic_arn,
        role_arn,
        endpoints,
        coordination,
        dead_letters,
        private_subnet_b_id=private_b,
        nat_subnet_id=nat_private,
        nat_gateway_id=nat,
        endpoint_security_group_id=endpoint_group,
        backup_bucket=backup_bucket,
        backup_key_arn=backup_key_arn,
    )


def backup_bucket_policy(bucket: str) -> str:
    """What the stack's backup bucket policy holds before any execution adds its statements: nobody deletes a backup
    (they expire by the bucket's lifecycle rule). The stack's TLS-only statement is left out here: moto evaluates
    aws:SecureTransport as false for its in-process requests and would refuse every one of them."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "BackupsAreNeverDeleted",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                    "Resource": f"arn:aws:s3:::{bucket}/backups/*",
                }
            ],
        }
    )


def build_backup_bucket(bucket: str, region: str) -> tuple[str, str]:
    """The backup bucket: versioned, encrypted by default with a KMS key of its own (SSE-KMS), TLS only."""
    key_arn = clients.client("kms", region).create_key(Description="notebook-guard backups")["KeyMetadata"]["Arn"]
    s3 = clients.client("s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=backup_bucket_policy(bucket))
    return bucket, key_arn


def build_audit_table(table: str, region: str) -> str:
    """The audit table with the key schema the workflow writes (see workflow_steps.AUDIT_*)."""
    return _build_table(table, region, AUDIT_PARTITION_KEY, AUDIT_SORT_KEY)


def build_coordination_table(table: str, region: str) -> str:
    """The coordination table with the key schema the leases use (see workflow_steps.COORDINATION_*)."""
    return _build_table(table, region, COORDINATION_PARTITION_KEY, COORDINATION_SORT_KEY)


def _build_table(table: str, region: str, partition_key: str, sort_key: str) -> str:
    """An on-demand table keyed on two string attributes, as the stack creates its tables."""
    clients.client("dynamodb", region).create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": partition_key, "KeyType": "HASH"},
            {"AttributeName": sort_key, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": partition_key, "AttributeType": "S"},
            {"AttributeName": sort_key, "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return table
