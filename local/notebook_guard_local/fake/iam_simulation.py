"""``iam:SimulatePrincipalPolicy`` for moto, which does not implement it (moto 5.2).

Answered with AWS's documented request and response shape (IAM API Reference, SimulatePrincipalPolicy:
PolicySourceArn, ActionNames, ResourceArns, ContextEntries -> EvaluationResults with EvalActionName,
EvalResourceName, EvalDecision ``allowed`` / ``explicitDeny`` / ``implicitDeny``, MatchedStatements,
MissingContextValues), one result per action and resource, evaluated by ``iam_policy`` over the principal's
policies as moto holds them (inline, attached managed, permissions boundary): the same documents the
enforcement checks every call against. Only roles are simulated (what the workflow simulates).
"""

from __future__ import annotations

from unittest import mock

from moto.core.responses import ActionResult
from moto.iam.exceptions import NotFoundException
from moto.iam.responses import IamResponse

from notebook_guard_local.fake.iam_policy import authorize

CONTEXT_TYPES_LIST = {"stringList", "numericList", "booleanList", "ipList", "dateList", "binaryList"}


def context_of(entries: list[dict] | None) -> dict:
    context = {}
    for entry in entries or []:
        values = list(entry.get("ContextKeyValues") or [])
        kind = entry.get("ContextKeyType", "string")
        context[entry["ContextKeyName"]] = values if kind in CONTEXT_TYPES_LIST else (values[0] if values else None)
    return {k: v for k, v in context.items() if v is not None}


def simulate(response: IamResponse) -> ActionResult:
    from notebook_guard_local.fake.enforcement import role_layers

    source = response._get_param("PolicySourceArn") or ""
    if ":role/" not in source:
        raise NotFoundException(f"PolicySourceArn {source} is not a role this simulation knows")
    found = role_layers(source.rsplit("/", 1)[-1], source.split(":")[4])
    if found is None or found[0] != source:
        raise NotFoundException(f"The role with name {source.rsplit('/', 1)[-1]} cannot be found.")
    _, layers = found
    actions = response._get_param("ActionNames") or []
    resources = response._get_param("ResourceArns") or ["*"]
    context = context_of(response._get_param("ContextEntries"))
    results = []
    for action in actions:
        for resource in resources:
            result = authorize(layers, action, resource, context)
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": result.decision.value,
                    "MatchedStatements": [
                        {"SourcePolicyId": m.policy_id, "SourcePolicyType": m.policy_type} for m in result.matched
                    ],
                    "MissingContextValues": result.missing_context,
                }
            )
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


class SimulatePrincipalPolicy:
    """``with SimulatePrincipalPolicy():`` adds the API to moto's IAM (in-process mock and server alike)."""

    def __enter__(self) -> SimulatePrincipalPolicy:
        self._patch = mock.patch.object(IamResponse, "simulate_principal_policy", simulate, create=True)
        self._patch.start()
        return self

    def __exit__(self, *exc) -> None:
        self._patch.stop()
