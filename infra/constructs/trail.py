"""An optional CloudTrail trail (off by default): the CloudTrail rule sees CreateNotebookInstance calls only
in an account whose region has a trail with logging on. Accounts that have one (an organization trail
counts) should not add another."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.storage import secure_bucket_props


class Trail(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, access_logs: s3.IBucket, log_retention: logs.RetentionDays
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = kms.Key(self, "Key", description="notebook-guard CloudTrail logs", enable_key_rotation=True)
        # The trail's name is fixed so the key policy can name the trail's ARN (aws:SourceArn, AWS's recommended
        # condition) without a reference to the trail, which itself refers to the key.
        self.trail_name = f"{stack.stack_name}-notebook-guard"
        trail_arn = stack.format_arn(service="cloudtrail", resource="trail", resource_name=self.trail_name)
        cloudtrail_principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        # AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": encrypt permission
        # ("Granting encrypt permissions") and, in a statement of its own, DescribeKey ("Enable CloudTrail to
        # describe KMS key properties"): a DescribeKey request carries no kms:EncryptionContext:aws:cloudtrail:arn,
        # so a statement conditioned on it would never allow it.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailToEncryptLogs",
                principals=[cloudtrail_principal],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": stack.format_arn(
                            service="cloudtrail", region="*", resource="trail", resource_name="*"
                        )
                    },
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailToDescribeTheKey",
                principals=[cloudtrail_principal],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
            )
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="trail-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))
            ],
            **secure_bucket_props(),
        )
        self.trail = cloudtrail.Trail(
            self,
            "Trail",
            trail_name=self.trail_name,
            bucket=self.bucket,
            encryption_key=self.key,
            enable_file_validation=True,
            is_multi_region_trail=False,  # the stack is deployed per region
            include_global_service_events=False,
            # CreateNotebookInstance is a write management event; the first copy of management events is free.
            management_events=cloudtrail.ReadWriteType.WRITE_ONLY,
            send_to_cloud_watch_logs=True,
            cloud_watch_logs_retention=log_retention,
        )
