"""The condition keys AWS puts in a SageMaker notebook request's authorization context, from its parameters.

Pure. IAM evaluates ``sagemaker:CreateNotebookInstance`` and ``sagemaker:UpdateNotebookInstance`` with
service-specific keys derived from the request; a policy conditioned on them (the preventive policy of
``permissions.prevention``) is only as good as this derivation, so the enforcement of the local simulation
supplies the same keys to every such call, and the decision-table proof evaluates with them.

Keys and types are from the Service Authorization Reference for Amazon SageMaker
(``table.SAR_SAGEMAKER``): CreateNotebookInstance supports ``sagemaker:VpcSubnets`` (ArrayOfString),
``sagemaker:VpcSecurityGroupIds`` (ArrayOfString), ``sagemaker:DirectInternetAccess`` (String),
``sagemaker:RootAccess`` (String), ``sagemaker:InstanceTypes`` (ArrayOfString), ``aws:RequestTag/${TagKey}``
and ``aws:TagKeys``; UpdateNotebookInstance supports ``sagemaker:RootAccess`` and ``sagemaker:InstanceTypes``.

What AWS documents and what it does not:
- A key is present when its parameter is; ``sagemaker:VpcSubnets`` is absent for a request without
  ``SubnetId``: AWS's own example ("Control creation of SageMaker AI resources with condition keys", SageMaker
  developer guide) requires a VPC with ``"Null": {"sagemaker:VpcSubnets": "false"}``.
- Whether AWS fills ``sagemaker:DirectInternetAccess`` / ``sagemaker:RootAccess`` with the API's default
  (``Enabled``) when the parameter is absent is NOT documented. This derivation leaves them absent; the
  preventive policy is written to hold either way (it denies unless the value is ``Disabled``).
- ``sagemaker:VolumeKmsKey`` (type ARN) is not derived: a ``KmsKeyId`` may be a key id or an alias, and AWS
  does not say which ARN the key then carries.
"""

from __future__ import annotations

from collections.abc import Mapping

CREATE = "sagemaker:CreateNotebookInstance"
UPDATE = "sagemaker:UpdateNotebookInstance"

VPC_SUBNETS = "sagemaker:VpcSubnets"
VPC_SECURITY_GROUP_IDS = "sagemaker:VpcSecurityGroupIds"
DIRECT_INTERNET_ACCESS = "sagemaker:DirectInternetAccess"
ROOT_ACCESS = "sagemaker:RootAccess"
INSTANCE_TYPES = "sagemaker:InstanceTypes"
TAG_KEYS = "aws:TagKeys"
REQUEST_TAG = "aws:RequestTag/"

# Keys whose SAR type is ArrayOfString: their value is a list even with one element, and a Deny on them needs
# a set operator (ForAnyValue:/ForAllValues:).
MULTIVALUED = frozenset({VPC_SUBNETS, VPC_SECURITY_GROUP_IDS, INSTANCE_TYPES, TAG_KEYS})

# Call -> the keys the SAR lists for its action that this module derives.
SUPPORTED = {
    CREATE: (VPC_SUBNETS, VPC_SECURITY_GROUP_IDS, DIRECT_INTERNET_ACCESS, ROOT_ACCESS, INSTANCE_TYPES, TAG_KEYS),
    UPDATE: (ROOT_ACCESS, INSTANCE_TYPES),
}


def is_multivalued(key: str) -> bool:
    return key in MULTIVALUED


def request_context(call: str, params: Mapping) -> dict[str, str | tuple[str, ...]]:
    """The service condition keys of ``call`` made with ``params`` (boto3's parameter shape); a tuple for a
    multivalued key, a string otherwise. Calls without such keys: empty."""
    context: dict[str, str | tuple[str, ...]] = {}
    if call not in SUPPORTED:
        return context
    if call == CREATE:
        if params.get("SubnetId"):
            context[VPC_SUBNETS] = (str(params["SubnetId"]),)
        if params.get("SecurityGroupIds"):
            context[VPC_SECURITY_GROUP_IDS] = tuple(str(g) for g in params["SecurityGroupIds"])
        if params.get("DirectInternetAccess"):
            context[DIRECT_INTERNET_ACCESS] = str(params["DirectInternetAccess"])
        tags = [t for t in params.get("Tags") or [] if isinstance(t, Mapping) and "Key" in t]
        if tags:
            context[TAG_KEYS] = tuple(str(t["Key"]) for t in tags)
            for tag in tags:
                context[f"{REQUEST_TAG}{tag['Key']}"] = str(tag.get("Value", ""))
    if params.get("RootAccess"):
        context[ROOT_ACCESS] = str(params["RootAccess"])
    if params.get("InstanceType"):
        context[INSTANCE_TYPES] = (str(params["InstanceType"]),)
    return context
