"""IAM enforcement for the simulation: a call that the calling function's policy does not allow fails as in AWS.

``Enforcement`` is installed like ``Faults`` (first ``before-send`` handler of every botocore session created
afterwards). It knows WHICH function makes a call from the principal set with ``acting_as(role_name)`` (a
context variable: the workflow's ``LambdaSeam`` sets it around each step's handler, tests set it around the
intake, the sweep and the CLI). Each call is mapped through ``notebook_guard.permissions`` to the checks AWS
makes (dependent actions included: CreateNotebookInstance in a subnet also needs ec2:CreateNetworkInterface on
the subnet, its security groups and a network interface), and each check is evaluated against the role's
policies as they are in moto's IAM backend, the same documents ``iam:SimulatePrincipalPolicy`` answers from.
The context of a check holds what AWS would put there: the principal's ARN, account and tags
(``aws:PrincipalTag/KEY``, from the role's tags), the requested region, the keys of the permission table, and for
the call's own action the request's service keys (``permissions.request_context``: ``sagemaker:VpcSubnets``,
``sagemaker:RootAccess``...), so a preventive policy conditioned on them is enforced as AWS would.

How a refusal looks (AWS's message shape, ``... is not authorized to perform: ACTION on resource: ARN because no
identity-based policy allows the ACTION action``):
- JSON services (SageMaker, DynamoDB, KMS, Step Functions): ``AccessDeniedException`` (HTTP 400);
- EC2: ``UnauthorizedOperation`` (403); IAM: ``AccessDenied`` (403); SNS: ``AuthorizationError`` (403);
  S3: ``AccessDenied`` (403);
- an EC2 action SageMaker performs for CreateNotebookInstance/StartNotebookInstance: the call is accepted and
  the notebook ends ``Failed`` with the reason SageMaker gives ("Unable to create or start a notebook instance
  that can access resources in your VPC. Please check if you have ec2:CreateNetworkInterface permission..."),
  as reported in github.com/aws/aws-sdk-go/issues/4071 (needs the ``FakeNotebooks`` to do so; without it, the
  call is refused).
A call with no principal set (the test's own setup, moto's own clients) is not checked.
"""

from __future__ import annotations

import contextvars
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from unittest import mock

import botocore.handlers
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

from notebook_guard.permissions import table
from notebook_guard.permissions.checks import Check, Facts, checks_for
from notebook_guard.permissions.request_context import is_multivalued
from notebook_guard_local.fake.faults import _protocol
from notebook_guard_local.fake.iam_policy import Decision, Matched, Policy, Result, authorize

DEFAULT_ACCOUNT = "123456789012"  # moto's default account
PARAMS_KEY = "notebook_guard_params"
_principal: contextvars.ContextVar[str | None] = contextvars.ContextVar("notebook_guard_principal", default=None)
TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }
)
IAM_PREFIX = {"sfn": "states", "secrets-manager": "secretsmanager"}
DEFERRED_CALLS = ("sagemaker:CreateNotebookInstance", "sagemaker:StartNotebookInstance")
TOKEN_CALLS = ("sfn:SendTaskSuccess", "sfn:SendTaskFailure")


@contextmanager
def acting_as(role_name: str | None) -> Iterator[None]:
    """AWS calls made in this context (this thread, or a context copied from it) are made by ``role_name``."""
    token = _principal.set(role_name)
    try:
        yield
    finally:
        _principal.reset(token)


def current_principal() -> str | None:
    return _principal.get()


def iam_backend(account: str = DEFAULT_ACCOUNT):
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def deploy_role(role_name: str, document: dict, account: str = DEFAULT_ACCOUNT, policy_name: str = "policy") -> str:
    """Create (or update) ``role_name`` in moto's IAM with ``document`` as its inline policy; returns its ARN.

    Written straight into moto's backend, so no principal's permissions are needed to deploy it.
    """
    backend = iam_backend(account)
    role = backend.roles.get(_role_id(backend, role_name))
    if role is None:
        role = backend.create_role(role_name, TRUST_LAMBDA, "/", None, "", [], None)
    text = json.dumps(document)
    if role.policies.get(policy_name) != text:
        backend.put_role_policy(role_name, policy_name, text)
    return role.arn


@lru_cache(maxsize=1024)
def _parsed(document: str, policy_id: str, policy_type: str) -> Policy:
    return Policy.parse(document, policy_id, policy_type)


def _role_id(backend, role_name: str) -> str | None:
    return next((rid for rid, role in backend.roles.items() if role.name == role_name), None)


def principal_tags(role_name: str, account: str = DEFAULT_ACCOUNT) -> dict[str, str]:
    """The role's tags, which IAM presents to policies as ``aws:PrincipalTag/KEY`` (no session tags here)."""
    backend = iam_backend(account)
    role_id = _role_id(backend, role_name)
    if role_id is None:
        return {}
    return {tag["Key"]: tag["Value"] for tag in backend.roles[role_id].tags or []}


def role_layers(role_name: str, account: str = DEFAULT_ACCOUNT) -> tuple[str, list[list[Policy]]] | None:
    """The role's ARN and its policy layers (identity policies; the permissions boundary when it has one)."""
    backend = iam_backend(account)
    role_id = _role_id(backend, role_name)
    if role_id is None:
        return None
    role = backend.roles[role_id]
    identity = [_parsed(doc, name, "role") for name, doc in role.policies.items()]
    for arn, managed in role.managed_policies.items():
        document = next(v.document for v in managed.versions if v.is_default)
        identity.append(Policy.parse(document, arn, "aws-managed" if ":aws:policy/" in arn else "user-managed"))
    layers = [identity]
    if role.permissions_boundary:
        boundary = backend.get_policy(role.permissions_boundary)
        document = next(v.document for v in boundary.versions if v.is_default)
        layers.append([Policy.parse(document, role.permissions_boundary, "permissions-boundary")])
    return role.arn, layers


@dataclass
class Denial:
    principal: str
    check: Check
    decision: Decision
    deferred: bool = False
    matched: list[Matched] = field(default_factory=list)  # the statements that denied (explicit deny only)
    message: str = ""


# How AWS names the policy that denied in an access denied message ("... with an explicit deny in a TYPE
# policy", IAM User Guide, "Troubleshoot access denied error messages").
_EXPLICIT_DENY_IN = {
    "permissions-boundary": "a permissions boundary",
    "scp": "a service control policy",
}


def denial_message(
    role_arn: str, session: str, check: Check, decision: Decision, matched: list[Matched] | None = None
) -> str:
    account = role_arn.split(":")[4]
    caller = f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/{session}"
    on = "" if check.resource == "*" else f" on resource: {check.resource}"
    if decision is Decision.EXPLICIT_DENY:
        where = _EXPLICIT_DENY_IN.get(matched[0].policy_type if matched else "", "an identity-based policy")
        why = f"with an explicit deny in {where}"
    else:
        why = f"because no identity-based policy allows the {check.action} action"
    return f"User: {caller} is not authorized to perform: {check.action}{on} {why}"


def denied_response(url: str, service: str, message: str) -> AWSResponse:
    protocol = _protocol(service)
    request_id = str(uuid.uuid4())
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        headers = {"x-amzn-RequestId": request_id, "Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(url, 400, headers, MockRawResponse(body))
    if protocol == "ec2":
        text = f"You are not authorized to perform this operation. {message}"
        body = (
            f"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>{_xml(text)}</Message></Error>"
            f"</Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        return AWSResponse(url, 403, {"Content-Type": "text/xml"}, MockRawResponse(body))
    if protocol == "query":
        code = "AuthorizationError" if service == "sns" else "AccessDenied"
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{_xml(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return AWSResponse(url, 403, {"Content-Type": "text/xml"}, MockRawResponse(body))
    body = (
        f"<Error><Code>AccessDenied</Code><Message>{_xml(message)}</Message><RequestId>{request_id}</RequestId>"
        "</Error>"
    ).encode()
    return AWSResponse(url, 403, {"Content-Type": "application/xml"}, MockRawResponse(body))


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def vpc_failure_reason(action: str) -> str:
    """SageMaker's FailureReason when it cannot create the notebook's network interface as the caller."""
    return (
        "Unable to create or start a notebook instance that can access resources in your VPC. Please check if you "
        f"have {action} permission. You are not authorized to perform this operation. Encoded authorization "
        f"failure message: {uuid.uuid4().hex} (Service: AmazonEC2; Status Code: 403; Error Code: "
        f"UnauthorizedOperation; Request ID: {uuid.uuid4()}; Proxy: null)"
    )


@dataclass
class Enforcement:
    """``with Enforcement(fake=fake_notebooks) as enforcement:``; ``enforcement.denials`` records each refusal."""

    account: str = DEFAULT_ACCOUNT
    partition: str = "aws"
    fake: object | None = None  # FakeNotebooks: fails a notebook whose network interface the caller may not create
    denials: list[Denial] = field(default_factory=list)
    checked: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._patches: list = []

    # botocore handlers --------------------------------------------------------------------------------------
    def remember_params(self, params, context, **kwargs) -> None:
        if context is not None and _principal.get() is not None:
            context[PARAMS_KEY] = json.loads(json.dumps(params, default=str))

    def __call__(self, request, event_name: str, **kwargs):
        principal = _principal.get()
        if principal is None:
            return None
        _, service, operation = event_name.split(".", 2)
        call = f"{service}:{operation}"
        params = (getattr(request, "context", None) or {}).get(PARAMS_KEY, {})
        region = _region_of(request.url)
        layers = role_layers(principal, self.account)
        role_arn = layers[0] if layers else f"arn:{self.partition}:iam::{self.account}:role/{principal}"
        facts = self.facts(call, params, region)
        if call in TOKEN_CALLS and facts.state_machine_arn is None:
            # A token no execution issued names no state machine to authorize against: Step Functions answers
            # InvalidToken (fake.callbacks); whether IAM is evaluated first, AWS does not say.
            return None
        try:
            checks = checks_for(call, facts)
        except table.UnknownCall:
            action = f"{IAM_PREFIX.get(service, service)}:{operation}"
            checks = [Check(call, action, "*")]
        tags = principal_tags(principal, self.account) if layers else {}
        if call == "kms:RetireGrant":
            refusal = self.retire_refusal(params, region, role_arn)
            if refusal:
                with self._lock:
                    self.denials.append(Denial(principal, Check(call, "kms:RetireGrant", "*"), Decision.IMPLICIT_DENY))
                request.notebook_guard_fault = True
                return denied_response(request.url, service, refusal)
        for check in checks:
            result = (
                authorize(layers[1], check.action, check.resource, self.context(role_arn, region, check, tags))
                if layers
                else Result(Decision.IMPLICIT_DENY)
            )
            with self._lock:
                self.checked += 1
            if result.allowed:
                continue
            deferred = (
                self.fake is not None and call in DEFERRED_CALLS and check.action.startswith("ec2:")
            )
            message = denial_message(role_arn, principal, check, result.decision, result.matched)
            with self._lock:
                self.denials.append(Denial(principal, check, result.decision, deferred, list(result.matched), message))
            if deferred:
                self.fake.fail_next_create(params.get("NotebookInstanceName"), vpc_failure_reason(check.action))
                continue
            request.notebook_guard_fault = True  # moto's in-process stubber must not also execute it
            return denied_response(request.url, service, message)
        return None

    @staticmethod
    def context(role_arn: str, region: str, check: Check, principal_tags: dict[str, str] | None = None) -> dict:
        return {
            "aws:PrincipalArn": role_arn,
            "aws:PrincipalAccount": role_arn.split(":")[4],
            "aws:RequestedRegion": region,
            **{f"aws:PrincipalTag/{key}": value for key, value in (principal_tags or {}).items()},
            # A multivalued key (sagemaker:VpcSubnets...) stays a list even with one value.
            **{
                key: list(values) if len(values) > 1 or is_multivalued(key) else values[0]
                for key, values in check.context.items()
            },
        }

    def retire_refusal(self, params: dict, region: str, role_arn: str) -> str | None:
        """KMS lets the grant decide who retires it: its retiring principal, its grantee when the grant includes
        RetireGrant, or the account (AWS KMS Developer Guide, "Retiring and revoking grants"); kms:RetireGrant in a
        policy does not allow it. Anyone else: AccessDeniedException (message shape UNCONFIRMED)."""
        from moto.kms.models import kms_backends

        try:
            key = kms_backends[self.account][region].describe_key(params.get("KeyId") or "")
        except Exception:  # NotFoundException: KMS answers that itself
            return None
        grant = key.grants.get(params.get("GrantId") or "")
        if grant is None:
            return None
        if grant.retiring_principal == role_arn or (
            grant.grantee_principal == role_arn and "RetireGrant" in (grant.operations or [])
        ):
            return None
        caller = f"arn:aws:sts::{self.account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/session"
        return f"User: {caller} is not authorized to perform: kms:RetireGrant on resource: {key.arn}"

    # What a request touches ---------------------------------------------------------------------------------
    def facts(self, call: str, params: dict, region: str) -> Facts:
        from notebook_guard_local.fake.resources import facts_of_call

        return facts_of_call(call, params, Facts(self.partition, region, self.account), self.fake)

    # Installation -------------------------------------------------------------------------------------------
    def __enter__(self) -> Enforcement:
        botocore.handlers.BUILTIN_HANDLERS.insert(0, ("before-send", self))
        botocore.handlers.BUILTIN_HANDLERS.insert(0, ("before-parameter-build", self.remember_params))
        original = BotocoreStubber.__call__

        def stubber(stub, event_name, request, **kwargs):
            if getattr(request, "notebook_guard_fault", False):
                return None
            return original(stub, event_name, request, **kwargs)

        patcher = mock.patch.object(BotocoreStubber, "__call__", stubber)
        patcher.start()
        self._patches.append(patcher)
        return self

    def __exit__(self, *exc) -> None:
        for patcher in reversed(self._patches):
            patcher.stop()
        self._patches.clear()
        botocore.handlers.BUILTIN_HANDLERS.remove(("before-send", self))
        botocore.handlers.BUILTIN_HANDLERS.remove(("before-parameter-build", self.remember_params))


def _region_of(url: str) -> str:
    import os

    host = url.split("://", 1)[-1].split("/", 1)[0]
    for part in host.split("."):
        if part.count("-") >= 2 and part[-1].isdigit():
            return part
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
