"""What an AWS request touches, read from moto's backends: the facts the enforcement checks a call against.

A CreateNotebookInstance names its subnet, key, role and repositories; a DeleteNotebookInstance only names the
notebook, so its subnet, network interface and key are read from the notebook as moto (and the notebook fake)
hold it. Keys given by id or alias resolve to their ARN, as KMS authorizes against the key's ARN.
"""

from __future__ import annotations

from dataclasses import replace

from notebook_guard.permissions.checks import Facts
from notebook_guard.permissions.request_context import request_context


def _sagemaker(facts: Facts):
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[facts.account][facts.region]


def key_arn(key_id: str | None, facts: Facts) -> str | None:
    if not key_id:
        return None
    from moto.kms.models import kms_backends

    try:
        return kms_backends[facts.account][facts.region].describe_key(key_id).arn
    except Exception:  # an unknown key: the ARN KMS would check, when the id says it
        if key_id.startswith("arn:") and ":key/" in key_id:
            return key_id
        return facts.arn("key", key_id)


def repository_secrets(names, facts: Facts, fake) -> tuple[str, ...]:
    repositories = getattr(fake, "code_repositories", {}) if fake is not None else {}
    secrets = []
    for name in names:
        repository = repositories.get(name) if name else None
        secret = ((repository or {}).get("GitConfig") or {}).get("SecretArn")
        if secret:
            secrets.append(secret)
    return tuple(secrets)


def _repositories(source: dict, default: str, additional: str) -> list[str]:
    return [source.get(default), *(source.get(additional) or [])]


def notebook_facts(name: str | None, facts: Facts, fake) -> Facts:
    """The facts of an existing notebook (its network, key, role, repositories), or just its name."""
    facts = replace(facts, notebook=name)
    notebook = _sagemaker(facts).notebook_instances.get(name) if name else None
    if notebook is None:
        return facts
    extras = fake._extras.get(notebook.arn, {}) if fake is not None else {}
    repositories = [notebook.default_code_repository, *(notebook.additional_code_repositories or [])]
    return replace(
        facts,
        role_arn=notebook.role_arn,
        kms_key_arn=key_arn(notebook.kms_key_id, facts),
        subnet_id=notebook.subnet_id,
        security_group_ids=tuple(notebook.security_group_ids or ()),
        network_interface_id=extras.get("NetworkInterfaceId"),
        secret_arns=repository_secrets(repositories, facts, fake),
    )


def _object_missing(bucket: str, key: str, facts: Facts) -> bool:
    from moto.s3.models import s3_backends

    backend = s3_backends[facts.account]["aws"]
    found = backend.buckets.get(bucket)
    return found is None or key not in found.keys


def _topic_key(topic_arn: str | None, facts: Facts) -> str | None:
    from moto.sns.models import sns_backends

    topic = sns_backends[facts.account][facts.region].topics.get(topic_arn or "")
    return key_arn(topic.kms_master_key_id, facts) if topic is not None and topic.kms_master_key_id else None


def _queue_arn(url: str, facts: Facts) -> str:
    """SQS authorizes against the queue's ARN; its URL ends with ACCOUNT/NAME."""
    account, name = url.rstrip("/").split("/")[-2:] if url.count("/") >= 4 else (facts.account, url)
    return f"arn:{facts.partition}:sqs:{facts.region}:{account}:{name}"


def _role_arn(role_name: str | None, facts: Facts) -> str | None:
    from notebook_guard_local.fake.enforcement import iam_backend

    for role in iam_backend(facts.account).roles.values():
        if role.name == role_name:
            return role.arn
    return facts.arn("role", role_name or "<unknown>")


def _machine_of_token(token: str) -> str | None:
    """The state machine whose execution issued a task token (AWS authorizes SendTask* against it)."""
    from notebook_guard_local.fake.callbacks import active

    callbacks = active()
    execution = callbacks.execution_of(token) if callbacks is not None and token else None
    if not execution:
        return None
    head, machine = execution.split(":execution:", 1)
    return f"{head}:stateMachine:{machine.rsplit(':', 1)[0]}"


def facts_of_call(call: str, params: dict, facts: Facts, fake) -> Facts:
    service, operation = call.split(":", 1)
    if call == "sagemaker:CreateNotebookInstance":
        return replace(
            facts,
            notebook=params.get("NotebookInstanceName"),
            role_arn=params.get("RoleArn"),
            kms_key_arn=key_arn(params.get("KmsKeyId"), facts),
            subnet_id=params.get("SubnetId"),
            security_group_ids=tuple(params.get("SecurityGroupIds") or ()),
            tags=bool(params.get("Tags")),
            accelerator=bool(params.get("AcceleratorTypes")),
            secret_arns=repository_secrets(
                _repositories(params, "DefaultCodeRepository", "AdditionalCodeRepositories"), facts, fake
            ),
            request_context=request_context(call, params),
        )
    if call == "sagemaker:ListTags":
        arn = params.get("ResourceArn") or ""
        return notebook_facts(arn.split("/", 1)[-1] if ":notebook-instance/" in arn else None, facts, fake)
    if service == "sagemaker" and "NotebookInstanceName" in params:
        found = notebook_facts(params["NotebookInstanceName"], facts, fake)
        if params.get("RoleArn"):  # an update that changes the role passes the new one
            found = replace(found, role_arn=params["RoleArn"])
        return replace(found, request_context=request_context(call, params))
    if call == "sagemaker:DescribeNotebookInstanceLifecycleConfig":
        return replace(facts, lifecycle_config=params.get("NotebookInstanceLifecycleConfigName"))
    if call == "sagemaker:DescribeCodeRepository":
        return replace(facts, code_repository=params.get("CodeRepositoryName"))
    if service == "s3":
        bucket, key = params.get("Bucket"), params.get("Key")
        missing = operation == "GetObject" and bool(bucket) and _object_missing(bucket, key, facts)
        version = bool(params.get("VersionId"))
        return replace(facts, bucket=bucket, key=key, object_missing=missing, object_version=version)
    if service == "dynamodb":
        return replace(facts, table=params.get("TableName"))
    if call == "sns:Publish":
        return replace(facts, topic_arn=params.get("TopicArn"), topic_key_arn=_topic_key(params.get("TopicArn"), facts))
    if call == "sfn:StartExecution":
        return replace(facts, state_machine_arn=params.get("stateMachineArn"))
    if call == "sfn:DescribeExecution":
        return replace(facts, execution_arn=params.get("executionArn"))
    if call in ("sfn:SendTaskSuccess", "sfn:SendTaskFailure"):
        return replace(facts, state_machine_arn=_machine_of_token(params.get("taskToken") or ""))
    if call == "securityhub:BatchUpdateFindings":
        return replace(facts, workflow_status=(params.get("Workflow") or {}).get("Status"))
    if call == "securityhub:BatchImportFindings":
        first = (params.get("Findings") or [{}])[0]
        return replace(facts, product_arn=first.get("ProductArn"), target_account=first.get("AwsAccountId"))
    if service == "sqs":
        return replace(facts, queue_arn=_queue_arn(params.get("QueueUrl") or "", facts))
    if call == "iam:GetRole":
        return replace(facts, role_arn=_role_arn(params.get("RoleName"), facts))
    if call == "iam:SimulatePrincipalPolicy":
        return replace(facts, policy_source_arns=(params.get("PolicySourceArn"),))
    if call in ("kms:DescribeKey", "kms:GetKeyPolicy"):
        return replace(facts, kms_key_arn=key_arn(params.get("KeyId"), facts))
    return facts
