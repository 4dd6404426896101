"""Where the remediator keeps what it must not lose: notebook snapshots (S3), the backups of their storage volumes
(S3, SSE-KMS) and the audit trail (DynamoDB), and what coordinates its workflows: the coordination table (one lease
per notebook)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import constants


def secure_bucket_props() -> dict:
    return {
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "enforce_ssl": True,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    }


class Storage(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        break_glass_role_arn: str | None = None,
        backup_retention_days: int = 30,
    ) -> None:
        super().__init__(scope, construct_id)

        # Server access logs of the buckets below. SSE-S3: the log delivery service cannot write with a CMK.
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(constants.ACCESS_LOG_RETENTION_DAYS))],
            **{**secure_bucket_props(), "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_PREFERRED},
        )

        # The notebooks' snapshots: the only copy of a notebook's definition once it is deleted. Retained when the
        # stack is deleted; every overwrite keeps the previous version for a while.
        self.snapshot_bucket = s3.Bucket(
            self,
            "SnapshotBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="snapshot-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=Duration.days(constants.SNAPSHOT_NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            **secure_bucket_props(),
        )
        # A snapshot is the only copy of a deleted notebook's definition: nobody deletes one, not the workflow's
        # roles (which are not granted it either) and not an administrator by mistake. The break-glass path is an
        # explicit role (snapshot_break_glass_role_arn), or changing this policy, which the account's root user
        # can always do (S3 DeleteBucketPolicy/PutBucketPolicy) and the stack's deployer does by setting the role.
        # Noncurrent versions still expire by the lifecycle rule above; current snapshots never expire.
        except_break_glass = (
            {"ArnNotEquals": {"aws:PrincipalArn": break_glass_role_arn}} if break_glass_role_arn else None
        )
        deny_deletes(self.snapshot_bucket, "SnapshotsAreNeverDeleted", constants.SNAPSHOT_PREFIX, except_break_glass)

        # The storage volumes' backups (data preservation): the only copy of a notebook's files between its delete and
        # the restore into its replacement. In the stack's (the notebooks') region; encrypted with a key of
        # notebook-guard's own, which the workflow grants (kms:CreateGrant) to a notebook's execution role for one
        # execution; versioned; expired after backup_retention_days. The bucket policy is the stack's plus, at run
        # time, two statements per running backup that let that notebook's role reach its own prefix only (added and
        # removed by the Backup step: a stack update rewrites the policy, and a backup in flight gets its statements
        # back at its next check).
        self.backup_key = kms.Key(
            self,
            "BackupKey",
            description="notebook-guard: encrypts the backups of notebooks' storage volumes",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.backup_bucket = s3.Bucket(
            self,
            "BackupBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.backup_key,
            bucket_key_enabled=True,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="backup-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-backups",
                    prefix=f"{constants.BACKUP_PREFIX}/",
                    expiration=Duration.days(backup_retention_days),
                    noncurrent_version_expiration=Duration.days(7),
                    abort_incomplete_multipart_upload_after=Duration.days(2),
                )
            ],
            **secure_bucket_props(),
        )
        # Backups expire by the lifecycle rule above; nobody deletes one before that (a notebook's role included).
        deny_deletes(self.backup_bucket, "BackupsAreNeverDeleted", constants.BACKUP_PREFIX, except_break_glass)

        # One record per remediation step and outcome. Records that expire carry `expires_at` (epoch seconds).
        self.audit_table = dynamodb.TableV2(
            self,
            "AuditTable",
            partition_key=dynamodb.Attribute(name=constants.AUDIT_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=constants.AUDIT_SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=constants.AUDIT_TTL_ATTRIBUTE,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        # One lease per notebook (pk "notebook#<ARN>", sk "lease"), the exemption last announced (sk "exemption");
        # generic string keys so that later items (wait tokens, approvals) can live here too. Items carry an
        # epoch-seconds TTL; nothing here must outlive the stack (the audit table keeps the history).
        self.coordination_table = dynamodb.TableV2(
            self,
            "CoordinationTable",
            partition_key=dynamodb.Attribute(
                name=constants.COORDINATION_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=constants.COORDINATION_SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=constants.COORDINATION_TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.DESTROY,
        )


def deny_deletes(bucket: s3.Bucket, sid: str, prefix: str, conditions: dict | None) -> None:
    """Nobody deletes an object (or a version) under ``prefix``; ``conditions`` name the break-glass exception."""
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
            resources=[bucket.arn_for_objects(f"{prefix}/*")],
            conditions=conditions,
        )
    )
