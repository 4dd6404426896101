"""The compliance rules, declared as data, and the engine that applies them to one notebook.

Rules mirror the Security Hub controls (SageMaker.1/.2/.3). Each is a small function from the notebook's
facts and the policy to an optional violation; ``evaluate`` runs them all and then applies exemptions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from notebook_guard.domain.models import Evaluation, Exemption, NotebookFacts, Remedy, Violation

DEFAULT_EXEMPT_TAG = "notebook-guard:exempt"


@dataclass(frozen=True)
class Policy:
    """What the account considers compliant. Built from settings; immutable."""

    approved_subnet_ids: frozenset[str] = frozenset()
    require_root_access_disabled: bool = True
    exempt_tag: str = DEFAULT_EXEMPT_TAG

    @property
    def exempt_until_tag(self) -> str:
        return f"{self.exempt_tag}-until"


Rule = Callable[[NotebookFacts, Policy], Violation | None]


def _no_subnet(nb: NotebookFacts, policy: Policy) -> Violation | None:
    if nb.subnet_id:
        return None
    return Violation(
        control_id="SageMaker.2",
        check="no-subnet",
        title="Notebook instance is not launched in a custom VPC",
        reason="no SubnetId: the notebook runs in the SageMaker service VPC, outside the account's network controls",
        remedy=Remedy.RECREATE,
    )


def _unapproved_subnet(nb: NotebookFacts, policy: Policy) -> Violation | None:
    if not nb.subnet_id or not policy.approved_subnet_ids or nb.subnet_id in policy.approved_subnet_ids:
        return None
    return Violation(
        control_id="SageMaker.2",
        check="unapproved-subnet",
        title="Notebook instance is in a subnet outside the approved list",
        reason=f"subnet {nb.subnet_id} is not one of the approved subnets",
        remedy=Remedy.RECREATE,
    )


def _direct_internet(nb: NotebookFacts, policy: Policy) -> Violation | None:
    if nb.direct_internet_access != "Enabled":
        return None
    return Violation(
        control_id="SageMaker.1",
        check="direct-internet",
        title="Notebook instance has direct internet access",
        reason="DirectInternetAccess is Enabled: traffic can bypass the VPC's controls",
        remedy=Remedy.RECREATE,
    )


def _root_access(nb: NotebookFacts, policy: Policy) -> Violation | None:
    if not policy.require_root_access_disabled or nb.root_access != "Enabled":
        return None
    return Violation(
        control_id="SageMaker.3",
        check="root-access",
        title="Users have root access to the notebook instance",
        reason="RootAccess is Enabled",
        remedy=Remedy.UPDATE_IN_PLACE,
    )


RULES: tuple[Rule, ...] = (_no_subnet, _unapproved_subnet, _direct_internet, _root_access)


def find_violations(nb: NotebookFacts, policy: Policy) -> tuple[Violation, ...]:
    """Every rule's finding, without looking at exemptions (which need the tags)."""
    return tuple(v for rule in RULES if (v := rule(nb, policy)) is not None)


def parse_exemption(tags: Mapping[str, str], policy: Policy, today: date) -> tuple[Exemption | None, str | None]:
    """Read the exemption tags. Returns (exemption, problem): an exemption that is not honoured says why."""
    if policy.exempt_tag not in tags:
        return None, None
    reason = (tags.get(policy.exempt_tag) or "").strip()
    if not reason:
        return None, f"tag {policy.exempt_tag} has no reason; an exemption must say why"
    raw_until = tags.get(policy.exempt_until_tag)
    if raw_until is None:
        return Exemption(reason=reason), None
    until = _parse_day(raw_until)
    if until is None:
        return None, f"tag {policy.exempt_until_tag}={raw_until!r} is not an ISO date (YYYY-MM-DD)"
    if until < today:
        return None, f"exemption expired on {until.isoformat()}"
    return Exemption(reason=reason, until=until), None


def _parse_day(raw: str) -> date | None:
    raw = raw.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def evaluate(
    describe: Mapping,
    tags: Mapping[str, str] | None,
    policy: Policy,
    today: date,
) -> Evaluation:
    """Evaluate one notebook from its Describe output and tags.

    ``tags`` may be None when the caller has not read them: that is only valid for a compliant notebook,
    since exemptions matter only where there is a violation (see ``needs_tags``).
    """
    facts = NotebookFacts.from_describe(describe)
    violations = find_violations(facts, policy)
    if not violations:
        return Evaluation(notebook=facts, violations=(), tags=dict(tags or {}))
    if tags is None:
        raise ValueError("tags are required to evaluate a notebook in violation (exemptions live in tags)")
    exemption, problem = parse_exemption(tags, policy, today)
    return Evaluation(
        notebook=facts, violations=violations, exemption=exemption, exemption_problem=problem, tags=dict(tags)
    )


def needs_tags(describe: Mapping, policy: Policy) -> bool:
    """Whether the tags must be read to finish the evaluation (only a violator can be exempt)."""
    return bool(find_violations(NotebookFacts.from_describe(describe), policy))
