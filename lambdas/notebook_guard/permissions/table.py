"""Every AWS API operation the package and the CLI call -> the IAM actions AWS documents for it.

Keyed like the fault recorder names calls: botocore's service id and the operation name
(``"sagemaker:CreateNotebookInstance"``, ``"sfn:StartExecution"``). Each ``Need`` is one IAM action on one kind
of resource; ``when`` names the request feature that makes a conditional need apply (``None``: always);
``context`` lists the condition keys AWS sends with it that the stack's conditions use. The ``source`` of a row
is the AWS page that says so; ``note`` says what a row relies on beyond that page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    title: str
    url: str


SAGEMAKER_API = Source(
    "Amazon SageMaker API Permissions: Actions, Permissions, and Resources Reference",
    "https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html",
)
SAR_SAGEMAKER = Source(
    "Service Authorization Reference: Actions, resources, and condition keys for Amazon SageMaker",
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html",
)
SAR_EC2 = Source(
    "Service Authorization Reference: Actions, resources, and condition keys for Amazon EC2",
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html",
)
SAR_IAM = Source(
    "Service Authorization Reference: Actions, resources, and condition keys for AWS Identity and Access Management",
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html",
)
SAR_KMS = Source(
    "Service Authorization Reference: Actions, resources, and condition keys for AWS Key Management Service",
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html",
)
S3_GET_OBJECT = Source(
    "Amazon S3 API Reference: GetObject (Permissions)",
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html",
)
S3_PUT_OBJECT = Source(
    "Amazon S3 API Reference: PutObject (Permissions)",
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html",
)
SAR_DYNAMODB = Source(
    "Service Authorization Reference: Actions, resources, and condition keys for Amazon DynamoDB",
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html",
)
SNS_ENCRYPTION = Source(
    "Amazon SNS Developer Guide: Managing Amazon SNS encryption keys and costs",
    "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html",
)
SAR_STATES = Source(
    "Service Authorization Reference: Actions, resources, and condition keys for AWS Step Functions",
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html",
)
SAR_SQS = Source(
    "Service Authorization Reference: Actions, resources, and condition keys for Amazon SQS",
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html",
)
STATES_DESCRIBE_EXECUTION = Source(
    "AWS Step Functions API Reference: DescribeExecution",
    "https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html",
)
SAR_SECURITYHUB = Source(
    "Service Authorization Reference: Actions, resources, and condition keys for AWS Security Hub",
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecurityhub.html",
)
SECURITYHUB_UPDATE_ACCESS = Source(
    "AWS Security Hub User Guide: BatchUpdateFindings for customers (configuring access, ASFFSyntaxPath keys)",
    "https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html",
)
KMS_GET_KEY_POLICY = Source(
    "AWS KMS API Reference: GetKeyPolicy",
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html",
)
S3_LIST_OBJECTS_V2 = Source(
    "Amazon S3 API Reference: ListObjectsV2 (Permissions)",
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html",
)
S3_GET_BUCKET_POLICY = Source(
    "Amazon S3 API Reference: GetBucketPolicy (Permissions)",
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html",
)
S3_PUT_BUCKET_POLICY = Source(
    "Amazon S3 API Reference: PutBucketPolicy (Permissions)",
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html",
)
S3_SSE_KMS = Source(
    "Amazon S3 User Guide: Using server-side encryption with AWS KMS keys (SSE-KMS), permissions",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
)
KMS_CREATE_GRANT = Source(
    "AWS KMS API Reference: CreateGrant",
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html",
)
KMS_REVOKE_GRANT = Source(
    "AWS KMS API Reference: RevokeGrant",
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_RevokeGrant.html",
)
S3_GET_BUCKET_ENCRYPTION = Source(
    "Amazon S3 API Reference: GetBucketEncryption (Permissions)",
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html",
)
KMS_RETIRE_GRANT = Source(
    "AWS KMS Developer Guide: Retiring and revoking grants",
    "https://docs.aws.amazon.com/kms/latest/developerguide/grant-delete.html",
)
STS_GET_CALLER_IDENTITY = Source(
    "AWS STS API Reference: GetCallerIdentity",
    "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html",
)
CFN_DESCRIBE_STACKS = Source(
    "AWS CloudFormation API Reference: DescribeStacks",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html",
)
IAM_SIMULATE = Source(
    "IAM API Reference: SimulatePrincipalPolicy",
    "https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html",
)

# Request features that make a conditional need apply.
VPC = "vpc"  # the notebook is (to be) in a subnet of your VPC
VPC_ACCELERATOR = "vpc-accelerator"  # in a VPC with an Elastic Inference accelerator: never (we drop them)
KMS_KEY = "kms-key"  # the notebook's volume is encrypted with a KmsKeyId
GIT_SECRET = "git-secret"  # noqa: S105 (a feature name, not a secret): a private Git repository whose credentials are a Secrets Manager secret
TAGS = "tags"  # the request carries Tags
ENCRYPTED_TOPIC = "encrypted-topic"  # the topic is encrypted with a customer managed KMS key
MISSING_OBJECT = "missing-object"  # the object may be missing and the caller must see 404, not 403
OBJECT_VERSION = "object-version"  # the request names an object version (VersionId)
ENCRYPTED_OBJECT = "kms-object"  # the object is encrypted with the backup bucket's KMS key (SSE-KMS)
FEATURES = {
    VPC: "the notebook is, or is to be, in a subnet of your VPC (SubnetId)",
    VPC_ACCELERATOR: "in a VPC with an Elastic Inference accelerator (never: notebook-guard drops AcceleratorTypes)",
    KMS_KEY: "the notebook's volume has a KMS key (KmsKeyId)",
    GIT_SECRET: "a code repository of the notebook is a private Git repository with a Secrets Manager secret",
    TAGS: "the request carries Tags",
    ENCRYPTED_TOPIC: "the alert topic is encrypted with a customer managed KMS key",
    MISSING_OBJECT: "a missing object must read as 404 NoSuchKey (without it S3 answers 403 AccessDenied)",
    OBJECT_VERSION: "the request reads a particular version of the object (VersionId)",
    ENCRYPTED_OBJECT: "the object is encrypted with a KMS key (SSE-KMS: the backup bucket's)",
}
NEVER = frozenset({VPC_ACCELERATOR})  # features no request of this project has

SAGEMAKER = "sagemaker.amazonaws.com"
PASSED_TO_SAGEMAKER = (("iam:PassedToService", SAGEMAKER),)
VIA_SAGEMAKER = (("kms:ViaService", "sagemaker.{region}.amazonaws.com"),)
GRANT_VIA_SAGEMAKER = (*VIA_SAGEMAKER, ("kms:GrantIsForAWSResource", "true"))
VIA_SNS = (("kms:ViaService", "sns.{region}.amazonaws.com"),)
VIA_S3 = (("kms:ViaService", "s3.{region}.amazonaws.com"),)
# BatchUpdateFindings sends each ASFF field it updates as a context key (absent when the request leaves it alone).
FINDING_STATUS = (("securityhub:ASFFSyntaxPath/Workflow.Status", "{workflow_status}"),)
# BatchImportFindings sends the findings' AwsAccountId.
TARGET_ACCOUNT = (("securityhub:TargetAccount", "{target_account}"),)

# Resource kinds -> ARN template; ``{name}`` is the resource's own part.
ARN_TEMPLATES = {
    "notebook-instance": "arn:{partition}:sagemaker:{region}:{account}:notebook-instance/{name}",
    "notebook-instance-lifecycle-config": "arn:{partition}:sagemaker:{region}:{account}:"
    "notebook-instance-lifecycle-config/{name}",
    # notebook-guard's own lifecycle configurations (ng-backup-*, ng-restore-*): the only ones it creates or deletes.
    "our-lifecycle-config": "arn:{partition}:sagemaker:{region}:{account}:notebook-instance-lifecycle-config/{name}",
    "code-repository": "arn:{partition}:sagemaker:{region}:{account}:code-repository/{name}",
    "role": "arn:{partition}:iam::{account}:role/{name}",
    "key": "arn:{partition}:kms:{region}:{account}:key/{name}",
    "subnet": "arn:{partition}:ec2:{region}:{account}:subnet/{name}",
    "security-group": "arn:{partition}:ec2:{region}:{account}:security-group/{name}",
    "network-interface": "arn:{partition}:ec2:{region}:{account}:network-interface/{name}",
    "secret": "arn:{partition}:secretsmanager:{region}:{account}:secret:{name}",
    "bucket": "arn:{partition}:s3:::{name}",
    "object": "arn:{partition}:s3:::{name}",
    "table": "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
    "coordination-table": "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
    "queue": "arn:{partition}:sqs:{region}:{account}:{name}",
    "execution": "arn:{partition}:states:{region}:{account}:execution:{name}",
    "topic": "arn:{partition}:sns:{region}:{account}:{name}",
    "topic-key": "arn:{partition}:kms:{region}:{account}:key/{name}",
    "state-machine": "arn:{partition}:states:{region}:{account}:stateMachine:{name}",
    "step-role": "arn:{partition}:iam::{account}:role/{name}",
    # The backup bucket (its policy), the KMS key its objects are encrypted with.
    "policy-bucket": "arn:{partition}:s3:::{name}",
    "data-key": "arn:{partition}:kms:{region}:{account}:key/{name}",
    "hub": "arn:{partition}:securityhub:{region}:{account}:hub/{name}",
    "product": "arn:{partition}:securityhub:{region}:{account}:product/{name}",
    "stack": "arn:{partition}:cloudformation:{region}:{account}:stack/{name}/*",
    "*": "*",
}


@dataclass(frozen=True)
class Need:
    action: str
    resource: str  # a key of ARN_TEMPLATES
    when: str | None = None  # a key of FEATURES; None: always
    # Condition keys AWS sends: templates over {region}, {workflow_status}, {target_account}; a key whose value
    # is empty is not sent.
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Api:
    call: str  # "<botocore service id>:<Operation>"
    needs: tuple[Need, ...]
    source: Source
    note: str = ""

    @property
    def operation(self) -> str:
        return self.call.split(":", 1)[1]


def _notebook(action: str) -> Need:
    return Need(f"sagemaker:{action}", "notebook-instance")


_EC2_DESCRIBE_FOR_VPC = tuple(
    Need(f"ec2:{action}", "*", VPC) for action in ("DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcs")
)
_CREATE_INTERFACE = (
    Need("ec2:CreateNetworkInterface", "network-interface", VPC),
    Need("ec2:CreateNetworkInterface", "subnet", VPC),
    Need("ec2:CreateNetworkInterface", "security-group", VPC),
)
_KEY_USE = (
    Need("kms:DescribeKey", "key", KMS_KEY, VIA_SAGEMAKER),
    Need("kms:CreateGrant", "key", KMS_KEY, GRANT_VIA_SAGEMAKER),
)
_GIT = (Need("secretsmanager:GetSecretValue", "secret", GIT_SECRET),)
_PASS_ROLE = (Need("iam:PassRole", "role", None, PASSED_TO_SAGEMAKER),)

_SAR_NOTE = "Resource type from the Service Authorization Reference."
APIS: tuple[Api, ...] = (
    Api("sagemaker:DescribeNotebookInstance", (_notebook("DescribeNotebookInstance"),), SAGEMAKER_API),
    Api("sagemaker:ListTags", (_notebook("ListTags"),), SAGEMAKER_API),
    Api(
        "sagemaker:ListNotebookInstances",
        (Need("sagemaker:ListNotebookInstances", "*"),),
        SAGEMAKER_API,
        "List calls support no resource-level permissions.",
    ),
    Api(
        "sagemaker:DescribeNotebookInstanceLifecycleConfig",
        (Need("sagemaker:DescribeNotebookInstanceLifecycleConfig", "notebook-instance-lifecycle-config"),),
        SAR_SAGEMAKER,
        "Its own action: sagemaker:DescribeNotebookInstance does not cover it. " + _SAR_NOTE,
    ),
    Api(
        "sagemaker:DescribeCodeRepository",
        (Need("sagemaker:DescribeCodeRepository", "code-repository"),),
        SAR_SAGEMAKER,
        "Resolves a repository name to its Secrets Manager secret. " + _SAR_NOTE,
    ),
    Api("sagemaker:StopNotebookInstance", (_notebook("StopNotebookInstance"),), SAGEMAKER_API),
    Api(
        "sagemaker:StartNotebookInstance",
        (
            _notebook("StartNotebookInstance"),
            *_PASS_ROLE,
            *_CREATE_INTERFACE,
            Need("ec2:DescribeNetworkInterfaces", "*", VPC),
            *_EC2_DESCRIBE_FOR_VPC,
            Need("ec2:DescribeVpcEndpoints", "*", VPC_ACCELERATOR),
            *_KEY_USE,
            *_GIT,
        ),
        SAGEMAKER_API,
        "ec2:CreateNetworkInterface's resource types (network-interface, subnet, security-group) are from the "
        "Service Authorization Reference for Amazon EC2.",
    ),
    Api(
        "sagemaker:CreateNotebookInstance",
        (
            _notebook("CreateNotebookInstance"),
            *_PASS_ROLE,
            Need("sagemaker:AddTags", "notebook-instance", TAGS),
            *_CREATE_INTERFACE,
            *_EC2_DESCRIBE_FOR_VPC,
            Need("ec2:DescribeVpcEndpoints", "*", VPC_ACCELERATOR),
            *_KEY_USE,
            *_GIT,
        ),
        SAGEMAKER_API,
        "sagemaker:AddTags with Tags: a create with tags is refused without it (reported: "
        "github.com/awslabs/service-workbench-on-aws/issues/1018). ec2:CreateNetworkInterface's resource types "
        "are from the Service Authorization Reference for Amazon EC2.",
    ),
    Api(
        "sagemaker:DeleteNotebookInstance",
        (
            _notebook("DeleteNotebookInstance"),
            Need("ec2:DeleteNetworkInterface", "network-interface", VPC),
            Need("kms:DescribeKey", "key", KMS_KEY, VIA_SAGEMAKER),
        ),
        SAGEMAKER_API,
    ),
    Api("sagemaker:UpdateNotebookInstance", (_notebook("UpdateNotebookInstance"), *_PASS_ROLE), SAGEMAKER_API),
    Api(
        "sagemaker:CreateNotebookInstanceLifecycleConfig",
        (Need("sagemaker:CreateNotebookInstanceLifecycleConfig", "our-lifecycle-config"),),
        SAR_SAGEMAKER,
        "Resource type notebook-instance-lifecycle-config; granted on notebook-guard's name prefixes (ng-backup-*, "
        "ng-restore-*) only, so the workflow cannot create or delete a customer's configuration.",
    ),
    Api(
        "sagemaker:DeleteNotebookInstanceLifecycleConfig",
        (Need("sagemaker:DeleteNotebookInstanceLifecycleConfig", "our-lifecycle-config"),),
        SAR_SAGEMAKER,
        "Resource type notebook-instance-lifecycle-config; granted on notebook-guard's name prefixes (ng-backup-*, "
        "ng-restore-*) only.",
    ),
    Api(
        "s3:PutObject",
        (Need("s3:PutObject", "object"),),
        S3_PUT_OBJECT,
        "Bucket default encryption with the stack's SSE-S3 needs nothing more.",
    ),
    Api(
        "s3:GetObject",
        (
            Need("s3:GetObject", "object"),
            Need("s3:GetObjectVersion", "object", OBJECT_VERSION),
            Need("s3:ListBucket", "bucket", MISSING_OBJECT),
            Need("kms:Decrypt", "data-key", ENCRYPTED_OBJECT, VIA_S3),
        ),
        S3_GET_OBJECT,
        "Without s3:ListBucket a missing object is 403 AccessDenied, not 404 NoSuchKey; a request with a VersionId "
        "needs s3:GetObjectVersion; an SSE-KMS object needs kms:Decrypt on its key (Amazon S3 User Guide, "
        "SSE-KMS permissions).",
    ),
    Api(
        "s3:ListObjectsV2",
        (Need("s3:ListBucket", "bucket"),),
        S3_LIST_OBJECTS_V2,
        "The action is s3:ListBucket on the bucket; the backup's verification lists one execution's prefix.",
    ),
    Api("s3:GetBucketPolicy", (Need("s3:GetBucketPolicy", "policy-bucket"),), S3_GET_BUCKET_POLICY),
    Api(
        "s3:GetBucketEncryption",
        (Need("s3:GetEncryptionConfiguration", "policy-bucket"),),
        S3_GET_BUCKET_ENCRYPTION,
        "The action is s3:GetEncryptionConfiguration; the CLI reads which key the backup bucket encrypts with.",
    ),
    Api(
        "s3:PutBucketPolicy",
        (Need("s3:PutBucketPolicy", "policy-bucket"),),
        S3_PUT_BUCKET_POLICY,
        "Only on the backup bucket: it adds and removes one execution's statements for the notebook's role.",
    ),
    # The audit table is only written with PutItem (append-only); the coordination table only read by key and
    # updated conditionally: each operation names the one table it is used on.
    Api("dynamodb:PutItem", (Need("dynamodb:PutItem", "table"),), SAR_DYNAMODB),
    Api("dynamodb:GetItem", (Need("dynamodb:GetItem", "coordination-table"),), SAR_DYNAMODB),
    Api(
        "dynamodb:UpdateItem",
        (Need("dynamodb:UpdateItem", "coordination-table"),),
        SAR_DYNAMODB,
        "A ConditionExpression needs no further action.",
    ),
    Api(
        "dynamodb:DeleteItem",
        (Need("dynamodb:DeleteItem", "coordination-table"),),
        SAR_DYNAMODB,
        "A wait's record, deleted conditionally on its token: a ConditionExpression needs no further action.",
    ),
    Api(
        "dynamodb:Scan",
        (Need("dynamodb:Scan", "coordination-table"),),
        SAR_DYNAMODB,
        "The reconciler's list of registered waits (a filter on the sort key; the table is small).",
    ),
    Api(
        "sqs:SendMessage",
        (Need("sqs:SendMessage", "queue"),),
        SAR_SQS,
        "The alert dead-letter queue is encrypted with SSE-SQS, which needs no KMS permission.",
    ),
    Api(
        "sfn:DescribeExecution",
        (Need("states:DescribeExecution", "execution"),),
        STATES_DESCRIBE_EXECUTION,
        "Resource type execution (arn:...:execution:STATE_MACHINE_NAME:EXECUTION_NAME).",
    ),
    Api(
        "sns:Publish",
        (
            Need("sns:Publish", "topic"),
            Need("kms:GenerateDataKey*", "topic-key", ENCRYPTED_TOPIC, VIA_SNS),
            Need("kms:Decrypt", "topic-key", ENCRYPTED_TOPIC, VIA_SNS),
        ),
        SNS_ENCRYPTION,
        "Publishing to a topic encrypted with a customer managed key needs the key.",
    ),
    Api("sfn:StartExecution", (Need("states:StartExecution", "state-machine"),), SAR_STATES),
    *(
        Api(f"ec2:{operation}", (Need(f"ec2:{operation}", "*"),), SAR_EC2, "Read-only Describe action, granted on *.")
        for operation in (
            "DescribeSubnets",
            "DescribeRouteTables",
            "DescribeSecurityGroups",
            "DescribeVpcEndpoints",
            "DescribeVpcAttribute",
            "DescribeNatGateways",
            "DescribeRegions",  # audit --all-regions: the regions enabled for the account
        )
    ),
    Api("iam:GetRole", (Need("iam:GetRole", "role"),), SAR_IAM),
    Api(
        "iam:SimulatePrincipalPolicy",
        (Need("iam:SimulatePrincipalPolicy", "step-role"),),
        IAM_SIMULATE,
        "On exactly the step roles the Preflight simulates.",
    ),
    Api("kms:DescribeKey", (Need("kms:DescribeKey", "key"),), SAR_KMS),
    Api(
        "kms:CreateGrant",
        (Need("kms:CreateGrant", "data-key"),),
        KMS_CREATE_GRANT,
        "A grant on the backup key to the notebook's execution role for one execution, only for GenerateDataKey and "
        "Decrypt (kms:GrantOperations) and only to roles the workflow may pass (kms:GranteePrincipal).",
    ),
    Api(
        "kms:RevokeGrant",
        (Need("kms:RevokeGrant", "data-key"),),
        KMS_REVOKE_GRANT,
        "The CLI's restore revokes the grant it gave for the restore (it names no retiring principal).",
    ),
    Api(
        "kms:RetireGrant",
        (),
        KMS_RETIRE_GRANT,
        "No IAM action: the grant names its retiring principal (the Backup step's role), which may retire it "
        "without kms:RetireGrant; AWS documents that this permission alone does not allow retiring a grant.",
    ),
    Api(
        "securityhub:GetFindings",
        (Need("securityhub:GetFindings", "hub"),),
        SAR_SECURITYHUB,
        "Resource type hub (arn:...:hub/default).",
    ),
    Api(
        "securityhub:BatchUpdateFindings",
        (Need("securityhub:BatchUpdateFindings", "hub", None, FINDING_STATUS),),
        SECURITYHUB_UPDATE_ACCESS,
        "Resource type hub (Service Authorization Reference); the statuses it may set are limited with "
        "securityhub:ASFFSyntaxPath/Workflow.Status (the User Guide's access page).",
    ),
    Api(
        "securityhub:BatchImportFindings",
        (Need("securityhub:BatchImportFindings", "product", None, TARGET_ACCOUNT),),
        SAR_SECURITYHUB,
        "Resource type product: the account's own default product (arn:...:product/ACCOUNT/default); condition "
        "securityhub:TargetAccount (the findings' AwsAccountId).",
    ),
    *(
        Api(
            f"securityhub:{operation}",
            (Need(f"securityhub:{operation}", "hub"),),
            SAR_SECURITYHUB,
            "The stack's custom resource makes this call (the approval custom actions); resource type hub.",
        )
        for operation in ("CreateActionTarget", "DeleteActionTarget")
    ),
    *(
        Api(
            f"sfn:{operation}",
            (Need(f"states:{operation}", "state-machine"),),
            SAR_STATES,
            "The Service Authorization Reference lists no resource type for it, yet AWS authorizes a callback "
            "task's token against its state machine (its AccessDenied names the stateMachine ARN, e.g. "
            "github.com/NOAA-OWP/hydrovis/issues/837; CDK's grantTaskResponse grants the state machine): scoped to "
            "the remediation state machine.",
        )
        for operation in ("SendTaskSuccess", "SendTaskFailure")
    ),
    Api(
        "kms:GetKeyPolicy",
        (Need("kms:GetKeyPolicy", "key"),),
        KMS_GET_KEY_POLICY,
        "Works only in the key's own account (cross-account use: no); the key policy must let the caller read it.",
    ),
    Api(
        "cloudformation:DescribeStacks",
        (Need("cloudformation:DescribeStacks", "stack"),),
        CFN_DESCRIBE_STACKS,
        "audit reads the deployed stack's TargetSubnetIds output. The page's own example policy scopes "
        "cloudformation:DescribeStacks to stack ARNs (arn:aws:cloudformation:*:*:stack/*/*).",
    ),
    Api(
        "sts:GetCallerIdentity",
        (),
        STS_GET_CALLER_IDENTITY,
        "No permissions are required to perform this operation (even an explicit deny does not stop it).",
    ),
)

BY_CALL: dict[str, Api] = {api.call: api for api in APIS}


class UnknownCall(KeyError):
    """A call with no row in the table: its permissions are unknown, so nothing may grant it."""


def api(call: str) -> Api:
    try:
        return BY_CALL[call]
    except KeyError:
        raise UnknownCall(f"{call} has no row in notebook_guard/permissions/table.py") from None
