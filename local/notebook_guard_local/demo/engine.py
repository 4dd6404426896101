"""Play notebooks through the real detection and workflow on the simulated account, and judge the outcomes.

Each ``Actor`` is a CreateNotebookInstance request plus how it enters the story: ``existing`` notebooks were
there before notebook-guard (only the scheduled sweep can find them), ``created`` ones are created during the
story and reach the intake through the event AWS would send (CloudTrail for a create without a subnet, the
native state-change event otherwise). An actor with a ``finding`` is reported by a Security Hub control finding;
a remediation that waits for a person is approved by the story's security engineer (``notebook-guard approve``).
The intake and the sweep are the real handlers, with the settings the stack gives them; the workflow is the real
ASL file. Every observation lands in a ``NotebookRecord``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date

from notebook_guard.domain.alerts import parse_alert_body
from notebook_guard.domain.evaluation import evaluate
from notebook_guard.domain.models import Action, NotebookFacts
from notebook_guard.domain.recreate import REMEDIATED_AT_TAG, SNAPSHOT_TAG
from notebook_guard.handlers import intake
from notebook_guard.handlers.sweep import run_sweep
from notebook_guard.settings import get_settings
from notebook_guard_local.demo import security_team
from notebook_guard_local.demo.events import cloudtrail_create_event, state_change_event
from notebook_guard_local.demo.simulation import ACCOUNT, Simulation
from notebook_guard_local.demo.timeline import TimelineRow, timeline_of
from notebook_guard_local.fake.enforcement import acting_as
from notebook_guard_local.roles import INTAKE_ROLE, SWEEP_ROLE
from notebook_guard_local.workflow_runner import Execution

# Outcomes, as the before/after table and the report name them.
REMEDIATED = "remediated"
ROOT_ACCESS_FIXED = "root access fixed"
FLAGGED = "flagged only"
QUARANTINED = "quarantined"
COMPLIANT = "left alone: compliant"
EXEMPT = "left alone: exempt"
BLOCKED = "blocked"
_ALERT_OUTCOMES = {
    "remediated": REMEDIATED,
    "root-access-fixed": ROOT_ACCESS_FIXED,
    "violation": FLAGGED,
    "quarantined": QUARANTINED,
    "blocked": "blocked",
    "stuck": "stuck",
    "failed": "FAILED",
}
# How old the notebooks that predate notebook-guard are (their CreationTime).
EXISTING_AGE_DAYS = 120
# Describe fields that belong to one incarnation of a notebook, not to its configuration.
INCARNATION_FIELDS = ("CreationTime", "LastModifiedTime", "NotebookInstanceStatus", "Url", "FailureReason")
NETWORK_FIELDS = ("SubnetId", "SecurityGroups", "DirectInternetAccess", "NetworkInterfaceId")


@dataclass
class Actor:
    request: dict  # CreateNotebookInstance request, boto3's parameter shape
    arrival: str = "created"  # "created" during the story, or "existing" before notebook-guard
    expected: str | None = None  # None: derived from the policy and the actions
    initial_status: str = "InService"  # an existing notebook's state when the story starts
    note: str = ""  # one line of narration
    restarted: bool = False  # an existing notebook its owner stops and starts again during the story
    scripts: dict[str, str] | None = None  # its lifecycle configuration's scripts, {"OnStart": "..."}, if the story
    needs_internet: bool = False  # it fetches from the internet (lifecycle scripts, repositories): see expected_outcome
    principal: str | None = None  # the role that creates it, its call checked by the enforcement (None: unchecked)
    finding: str | None = None  # a Security Hub control finding (e.g. "SageMaker.2") reports it during the story

    @property
    def name(self) -> str:
        return self.request["NotebookInstanceName"]


@dataclass
class NotebookRecord:
    actor: Actor
    before: dict | None = None
    tags_before: dict[str, str] = field(default_factory=dict)
    after: dict | None = None
    tags_after: dict[str, str] = field(default_factory=dict)
    actions: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    outcome: str | None = None
    problems: list[str] = field(default_factory=list)  # why the after-state does not fit the outcome

    @property
    def name(self) -> str:
        return self.actor.name

    @property
    def expected(self) -> str | None:
        return self.actor.expected

    @property
    def as_expected(self) -> bool:
        return not self.problems and self.outcome == self.expected


@dataclass
class Trigger:
    """One thing that happened (an event reaching the intake, a sweep) and what the workflow did about it."""

    at: float
    title: str
    result: dict
    executions: list[tuple[Execution, list[TimelineRow]]] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # approvals given, findings followed
    finding_id: str | None = None


class Player:
    """Drive actors through the simulated account; ``on_trigger`` is called as each trigger completes."""

    def __init__(
        self,
        simulation: Simulation,
        on_trigger: Callable[[Trigger], None] | None = None,
        seen_executions: set[str] | None = None,  # shared with another player of the same account
    ) -> None:
        self.sim = simulation
        self.records: dict[str, NotebookRecord] = {}
        self.triggers: list[Trigger] = []
        self._seen_executions: set[str] = seen_executions if seen_executions is not None else set()
        self._marks_used = 0
        self._on_trigger = on_trigger or (lambda trigger: None)

    # Reading the account ----------------------------------------------------------------------------------
    def describe(self, name: str) -> dict | None:
        sagemaker = self.sim.client("sagemaker")
        try:
            described = sagemaker.describe_notebook_instance(NotebookInstanceName=name)
        except sagemaker.exceptions.ClientError:
            return None
        described.pop("ResponseMetadata", None)
        return described

    def tags(self, arn: str) -> dict[str, str]:
        listed = self.sim.client("sagemaker").list_tags(ResourceArn=arn)["Tags"]
        return {t["Key"]: t["Value"] for t in listed}

    # Seeding -----------------------------------------------------------------------------------------------
    def create(self, actor: Actor) -> NotebookRecord:
        """Create the notebook (after what its request refers to); record its before-state."""
        record = self.records.setdefault(actor.name, NotebookRecord(actor))
        request = self.sim.ensure_references(actor.request, actor.scripts)
        # The account cannot hold reserved aws: tags from a user's call; AWS adds them for CloudFormation.
        user_tags = [t for t in request.get("Tags", []) if not t["Key"].lower().startswith("aws:")]
        reserved = [t for t in request.get("Tags", []) if t["Key"].lower().startswith("aws:")]
        request_sent = {**request, "Tags": user_tags} if "Tags" in request else request
        with acting_as(actor.principal) if actor.principal else nullcontext():
            self.sim.client("sagemaker").create_notebook_instance(**request_sent)
        if reserved:
            self._add_reserved_tags(actor.name, reserved)
        actor.request = request
        return record

    def _add_reserved_tags(self, name: str, tags: list[dict]) -> None:
        """What CloudFormation or Service Catalog would have stamped on the notebook (the API refuses them)."""
        notebook = self.sim.backend.notebook_instances[name]
        self.sim.backend.add_tags(notebook.arn, tags)

    def snapshot_before(self, actor: Actor) -> None:
        record = self.records[actor.name]
        record.before = self.describe(actor.name)
        record.tags_before = self.tags(record.before["NotebookInstanceArn"]) if record.before else {}

    def seed_existing(self, actor: Actor) -> None:
        self.create(actor)
        self.sim.fake.set_status(self.sim.backend, actor.name, actor.initial_status)
        # It was there long before notebook-guard: its state changes are restarts, not creations.
        self.sim.fake.backdate(self.sim.backend, actor.name, EXISTING_AGE_DAYS * 86400)
        self.snapshot_before(actor)

    def restart(self, actor: Actor) -> Trigger:
        """Its owner stops and starts a notebook that predates notebook-guard; the state change reaches the intake."""
        record = self.records[actor.name]
        sagemaker = self.sim.client("sagemaker")
        self.sim.fake.set_status(self.sim.backend, actor.name, "Stopped")
        sagemaker.start_notebook_instance(NotebookInstanceName=actor.name)
        self.sim.clock.advance(self.sim.fake.timeline.seconds.get("Pending", 0))
        self.sim.fake.set_status(self.sim.backend, actor.name, "InService")
        described = self.describe(actor.name)
        event = state_change_event(described, self.tags(described["NotebookInstanceArn"]), ACCOUNT, self.sim.region)
        title = f"State change: {actor.name} started again by its owner ({EXISTING_AGE_DAYS} days old) -> intake"
        at = self.sim.clock.now
        result = intake.handler(event, _Context("notebook-guard-intake", self.sim.region))
        record.actions.append({"trigger": "restart", "event": event["detail-type"], "intake": _brief(result)})
        return self._finish(Trigger(at, title, result))

    def report_finding(self, actor: Actor) -> Trigger:
        """Security Hub imports a control finding about the notebook (NEW); its event reaches the intake."""
        record = self.records[actor.name]
        arn = record.before["NotebookInstanceArn"]
        finding = self.sim.hub.add_control_finding(arn, actor.finding, notebook_name=actor.name)
        event = self.sim.hub.imported_event(finding)
        title = f"Security Hub: control finding {actor.finding} about {actor.name} (NEW) -> intake"
        at = self.sim.clock.now
        with acting_as(INTAKE_ROLE):
            result = intake.handler(event, _Context("notebook-guard-intake", self.sim.region))
        record.actions.append({"trigger": "finding", "event": event["detail-type"], "intake": _brief(result)})
        return self._finish(Trigger(at, title, result, finding_id=finding["Id"]))

    # Triggers ----------------------------------------------------------------------------------------------
    def arrive(self, actor: Actor) -> Trigger:
        """The notebook is created now; the event AWS sends for it reaches the intake."""
        self.create(actor)
        self.snapshot_before(actor)
        record = self.records[actor.name]
        if not actor.request.get("SubnetId"):
            event = cloudtrail_create_event(
                actor.request, record.before["NotebookInstanceArn"], ACCOUNT, self.sim.region
            )
            title = f"CloudTrail: CreateNotebookInstance {actor.name} (no SubnetId) -> intake"
        else:
            # The creation is matched by no rule (it has a subnet); its state change to InService is.
            self.sim.clock.advance(self.sim.fake.timeline.seconds.get("Pending", 0))
            self.sim.fake.set_status(self.sim.backend, actor.name, "InService")
            described = self.describe(actor.name)
            event = state_change_event(described, self.tags(described["NotebookInstanceArn"]), ACCOUNT, self.sim.region)
            title = f"State change: {actor.name} is InService -> intake"
        at = self.sim.clock.now
        with acting_as(INTAKE_ROLE):  # as the intake's role, with the policy the stack generates for it
            result = intake.handler(event, _Context("notebook-guard-intake", self.sim.region))
        record.actions.append({"trigger": "event", "event": event["detail-type"], "intake": _brief(result)})
        return self._finish(Trigger(at, title, result))

    def sweep(self, at_least: float = 3600.0) -> Trigger:
        """The scheduled sweep runs (at the next full hour of the simulated clock)."""
        now = self.sim.clock.now
        self.sim.clock.advance((now // at_least + 1) * at_least - now)
        at = self.sim.clock.now
        with acting_as(SWEEP_ROLE):
            summary = run_sweep(get_settings())
        return self._finish(Trigger(at, "Scheduled sweep (every notebook in the region)", summary))

    def _finish(self, trigger: Trigger) -> Trigger:
        trigger.notes += security_team.approve_waiting(self.sim, self._seen_executions)
        handed_on = set()
        for execution in self.sim.wait_for_executions(self._seen_executions):
            name = _execution_notebook(execution)
            handed_on.add(name)
            marks = [m for m in self.sim.marks[self._marks_used :] if m.notebook == name]
            rows = timeline_of(execution, marks)
            trigger.executions.append((execution, rows))
            if name in self.records:
                self.records[name].actions.append(
                    {
                        "trigger": "workflow",
                        "execution": execution.arn.rsplit(":", 1)[-1],
                        "status": execution.status,
                        "error": execution.error,
                        "steps": [r.step for r in rows],
                    }
                )
        self._marks_used = len(self.sim.marks)
        if trigger.finding_id:
            trigger.notes.append(security_team.finding_line(self.sim, trigger.finding_id))
        if "counts" in trigger.result:  # a sweep evaluates every notebook; only violators are handed on
            for record in self.records.values():
                found = "violation: handed to the workflow" if record.name in handed_on else "nothing to do"
                position = len(record.actions) - (record.name in handed_on)  # before the execution it started
                record.actions.insert(position, {"trigger": "sweep", "result": found})
        for alert in self.sim.alerts():
            alert["document"] = parse_alert_body(alert["message"])
            trigger.alerts.append(alert)
            name = alert["document"]["notebook"]["name"]
            if name in self.records:
                self.records[name].alerts.append(alert)
        self.triggers.append(trigger)
        self._on_trigger(trigger)
        return trigger

    # Judging -----------------------------------------------------------------------------------------------
    def conclude(self) -> list[NotebookRecord]:
        target_subnet = self.sim.target_subnet_id
        for record in self.records.values():
            record.after = self.describe(record.name)
            record.tags_after = self.tags(record.after["NotebookInstanceArn"]) if record.after else {}
            record.outcome = observed_outcome(record)
            record.problems = after_state_problems(record, target_subnet)
        return list(self.records.values())


def observed_outcome(record: NotebookRecord) -> str:
    """What happened to the notebook, from the alerts it caused (or their absence)."""
    kinds = [a["document"]["kind"] for a in record.alerts]
    for kind in ("failed", "stuck", "blocked", "remediated", "root-access-fixed", "quarantined", "violation"):
        if kind in kinds:
            return _ALERT_OUTCOMES[kind]
    if record.after is None:
        return "gone"
    facts = NotebookFacts.from_describe(record.after)
    settings = get_settings()
    evaluation = evaluate(record.after, record.tags_after, settings.policy, date.today())
    if evaluation.compliant:
        return COMPLIANT
    if evaluation.exempt:
        return EXEMPT
    return f"untouched, still violating ({', '.join(evaluation.control_ids)} on {facts.name})"


def after_state_problems(record: NotebookRecord, target_subnet: str) -> list[str]:
    """Whether the after-state is what the outcome claims (an alert alone proves nothing)."""
    before, after, outcome = record.before or {}, record.after, record.outcome
    if after is None:
        return ["the notebook no longer exists"]
    problems = []
    if outcome == REMEDIATED:
        wanted = {
            "SubnetId": target_subnet,
            "DirectInternetAccess": "Disabled",
            "RootAccess": "Disabled",
            "NotebookInstanceStatus": "InService",
        }
        problems += [f"{k} is {after.get(k)!r}, expected {v!r}" for k, v in wanted.items() if after.get(k) != v]
        if configuration(before) != configuration(after):
            problems.append("its configuration changed beyond the network fields and root access")
        missing = {
            k: v for k, v in record.tags_before.items() if not k.startswith("aws:") and record.tags_after.get(k) != v
        }
        if missing:
            problems.append(f"tags not carried over: {sorted(missing)}")
        if not {REMEDIATED_AT_TAG, SNAPSHOT_TAG} <= set(record.tags_after):
            problems.append("remediation tags missing")
    elif outcome == ROOT_ACCESS_FIXED:
        if after.get("RootAccess") != "Disabled":
            problems.append(f"RootAccess is {after.get('RootAccess')!r}")
        if after.get("CreationTime") != before.get("CreationTime"):
            problems.append("it was recreated instead of fixed in place")
        if after.get("SubnetId") != before.get("SubnetId"):
            problems.append("its subnet changed")
    elif outcome == QUARANTINED:
        if after.get("NotebookInstanceStatus") != "Stopped":
            problems.append(f"it is {after.get('NotebookInstanceStatus')}, not Stopped")
        if after.get("CreationTime") != before.get("CreationTime"):
            problems.append("it was recreated, though quarantine only stops it")
    elif outcome in (FLAGGED, COMPLIANT, EXEMPT, BLOCKED):
        # A notebook still being created when the story met it may finish creating: that is not a change.
        settling = (
            before.get("NotebookInstanceStatus") == "Pending" and after.get("NotebookInstanceStatus") == "InService"
        )
        volatile = {"LastModifiedTime", "Url"} | ({"NotebookInstanceStatus"} if settling else set())
        changed = [k for k in set(before) | set(after) if k not in volatile and before.get(k) != after.get(k)]
        if changed:
            problems.append(f"it changed ({', '.join(sorted(changed))}) though nothing should have been done")
    return problems


def configuration(describe: dict) -> dict:
    """A Describe output without incarnation, network and root-access fields: what must survive a recreate."""
    dropped = (*INCARNATION_FIELDS, *NETWORK_FIELDS, "RootAccess", "AcceleratorTypes")
    return {k: v for k, v in describe.items() if k not in dropped}


def expected_outcome(
    request: dict,
    event_action: Action,
    sweep_action: Action,
    today: date,
    arrival: str = "created",
    needs_internet_offline: bool = False,
) -> str:
    """What the configured actions should do to a notebook created with ``request`` (for scenario files).
    ``needs_internet_offline``: it fetches from the internet and the target has no way out (the preflight blocks a
    recreate, with the default internet_dependency=block)."""
    describe = {
        "NotebookInstanceName": request["NotebookInstanceName"],
        "NotebookInstanceArn": f"arn:aws:sagemaker:{get_settings().region}:{ACCOUNT}:notebook-instance/x",
        "NotebookInstanceStatus": "InService",
        **{k: request[k] for k in ("SubnetId", "DirectInternetAccess", "RootAccess") if k in request},
        "SecurityGroups": request.get("SecurityGroupIds", []),
    }
    tags = {t["Key"]: t["Value"] for t in request.get("Tags", [])}
    evaluation = evaluate(describe, tags, get_settings().policy, today)
    if evaluation.compliant:
        return COMPLIANT
    if evaluation.exempt:
        return EXEMPT
    # A created notebook reaches the intake first (event action); the sweep only sees what is left. A forced action
    # is also the finding trigger's.
    first = arrival in ("created", "finding") and event_action is not Action.NOTIFY
    action = event_action if first else sweep_action
    if action is Action.NOTIFY:
        return FLAGGED
    if action is Action.QUARANTINE:
        return QUARANTINED
    if evaluation.remedy.value != "recreate":
        return ROOT_ACCESS_FIXED
    return BLOCKED if needs_internet_offline else REMEDIATED


def _execution_notebook(execution: Execution) -> str | None:
    for event in execution.events:
        if event["type"] == "ExecutionStarted":
            return json.loads(event["executionStartedEventDetails"]["input"]).get("notebook_name")
    return None


def _brief(result: dict) -> dict:
    keys = ("outcome", "trigger", "execution_arn", "action", "reason")
    return {k: result.get(k) for k in keys if result.get(k) is not None}


class _Context:
    """The parts of a Lambda context Powertools reads."""

    memory_limit_in_mb = 256
    aws_request_id = "demo"
    function_version = "$LATEST"

    def __init__(self, name: str, region: str) -> None:
        self.function_name = name
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
