r"""Notebook instances that behave as AWS documents (see ``/work/shared/aws-facts.md``), on top of moto.

moto keeps the notebook records (so List, tags and lifecycle configs keep working); this layer replaces the
notebook actions of moto's SageMaker response class:

- Create starts ``Pending`` and becomes ``InService`` (or ``Failed`` with a ``FailureReason``);
  Stop goes ``Stopping`` -> ``Stopped``; Start ``Pending`` -> ``InService``; Delete ``Deleting`` -> gone;
  Update ``Updating`` -> ``Stopped``. Each transition completes after N Describe polls, or after S seconds of
  a virtual clock (advanced by the workflow runner's Wait states), whichever is configured.
- Illegal calls fail with AWS's error text (``Status (Pending) not in ([InService])...``).
- PlatformIdentifier, InstanceMetadataServiceConfiguration and IpAddressType survive; absent fields are omitted
  from Describe as AWS does; a notebook in a subnet has a ``NetworkInterfaceId``.
- Tags (Create and AddTags) are validated as SageMaker's API model says: keys 1-128 and values 0-256 characters
  of ``[\p{L}\p{Z}\p{N}_.:/=+\-@]*`` (no commas, semicolons or quotes), refused with AWS's validation text.
- Storage volumes, and the effects of notebook-guard's own lifecycle configurations (backup on start, restore on
  create) in the backup bucket: ``fake/lifecycle.py``.
- Code repositories (CreateCodeRepository / DescribeCodeRepository, which moto lacks): a name and its GitConfig
  (RepositoryUrl, Branch, SecretArn for a private repository).
- Create refuses what AWS refuses (a missing role, lifecycle configuration or key, dualstack without IPv6) and a
  notebook that cannot work where it is created ends ``Failed`` as in AWS (no free address, no capacity in its
  zone, a Git repository or lifecycle script that needs the internet in a subnet without a way out): see
  ``fake/paths.py``, which also says which texts are AWS's and which are unconfirmed.
"""

from __future__ import annotations

import threading
import unicodedata
import uuid
from dataclasses import dataclass, field
from unittest import mock

from moto.core.common_types import TYPE_RESPONSE  # noqa: F401  (documents the response shape)
from moto.sagemaker import models as sagemaker_models
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from notebook_guard_local.fake import paths
from notebook_guard_local.fake.clock import VirtualClock
from notebook_guard_local.fake.lifecycle import FakeLifecycle

EXTRA_FIELDS = ("PlatformIdentifier", "InstanceMetadataServiceConfiguration", "IpAddressType")
ALLOWED_FROM = {
    "Stopping": ("InService",),
    "Pending": ("Stopped", "Failed"),  # Start
    "Deleting": ("Stopped", "Failed"),
    "Updating": ("Stopped",),
}
GONE = "Gone"
# SageMaker's state-change event when a deletion completes (aws-facts.md: "a Deleting may arrive after Deleted").
DELETED_EVENT_STATUS = "Deleted"
# A transition measured in Describe polls completes, when the workflow waits for an event and nobody polls, as if
# polled (the simulation polls on its behalf): up to this many polls left. More means "never" (tests use 10**9).
IDLE_POLL_LIMIT = 100
TAG_PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"
TAG_SYMBOLS = frozenset("_.:/=+-@")


def tag_character_ok(character: str) -> bool:
    """One character of ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``: a letter, a separator, a number, or a listed symbol."""
    return character in TAG_SYMBOLS or unicodedata.category(character)[0] in "LZN"


def tag_problems(tags: list[dict], where: str = "tags") -> list[str]:
    """SageMaker's validation of Tag keys and values, as its API answers it (one message per violation)."""
    problems = []
    for index, tag in enumerate(tags or [], start=1):
        for field_name, low, high in (("key", 1, 128), ("value", 0, 256)):
            value = tag.get(field_name.capitalize(), "")
            at = f"'{where}.{index}.member.{field_name}'"
            if len(value) < low:
                problems.append(f"Value '{value}' at {at} failed to satisfy constraint: Member must have length "
                                f"greater than or equal to {low}")
            if len(value) > high:
                problems.append(f"Value '{value}' at {at} failed to satisfy constraint: Member must have length "
                                f"less than or equal to {high}")
            if not all(tag_character_ok(c) for c in value):
                problems.append(f"Value '{value}' at {at} failed to satisfy constraint: Member must satisfy regular "
                                f"expression pattern: {TAG_PATTERN}")
    return problems


def validate_tags(tags: list[dict], where: str = "tags") -> None:
    problems = tag_problems(tags, where)
    if problems:
        count = len(problems)
        raise ValidationError(
            message=f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
        )


@dataclass
class Timeline:
    """How long each transitional state lasts: Describe polls, or virtual seconds (when given, they win)."""

    polls: dict[str, int] = field(default_factory=lambda: {"Pending": 2, "Stopping": 2, "Deleting": 2, "Updating": 2})
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(eq=False)
class _Transition:
    state: str  # the transitional state (Pending, Stopping...)
    to: str  # where it ends (InService, Stopped, Gone...)
    polls_left: float
    due: float | None
    backend: object = None  # moto's SageMaker backend holding the notebook
    created: bool = False  # the notebook's creation (its OnCreate script runs), not a start


class FakeNotebooks:
    """``with FakeNotebooks() as fake:`` inside ``mock_aws`` (or with a moto server in this process)."""

    def __init__(self, timeline: Timeline | None = None, clock: VirtualClock | None = None) -> None:
        self.timeline = timeline or Timeline()
        self.clock = clock or VirtualClock()
        self._lock = threading.RLock()
        self._extras: dict[str, dict] = {}  # notebook ARN -> fields moto drops
        self._transitions: dict[str, _Transition] = {}  # ARN -> transition in progress
        self._create_failures: dict[str, str] = {}  # name -> FailureReason for its next creation
        self._stuck: dict[str, str] = {}  # name -> transitional state that never ends
        self._patches: list = []
        self.code_repositories: dict[str, dict] = {}  # name -> DescribeCodeRepository output
        self.short_zones: set[str] = set()  # Availability Zones with no capacity for notebooks (capacity_shortage)
        self.history: list[tuple[str, str]] = []  # (name, status) every status change, for assertions
        # Storage volumes, and what notebook-guard's own lifecycle configurations do to them (fake/lifecycle.py).
        self.lifecycle = FakeLifecycle(self)
        # Called with a snapshot of the notebook (``snapshot``) on every status change, "Deleted" when it is gone:
        # what SageMaker's state-change events report (fake/events.py turns them into events). Called with the
        # fake's lock held: a listener must not call AWS, only note.
        self.listeners: list = []
        self.clock.idle_hooks.append(self.complete_polled_transitions)

    # Test controls ---------------------------------------------------------------------------------------
    def fail_next_create(self, name: str, reason: str = "ResourceLimitExceeded: capacity") -> None:
        self._create_failures[name] = reason

    def fail_next_start(self, name: str, reason: str) -> None:
        """The next start (or create) of ``name`` ends Failed with ``reason``."""
        self._create_failures[name] = reason

    def capacity_shortage(self, zone: str) -> None:
        """Notebooks created in a subnet of ``zone`` end Failed for lack of capacity (as SageMaker reports it)."""
        self.short_zones.add(zone)

    def stick(self, name: str, state: str) -> None:
        """The next transition through ``state`` (e.g. Stopping) never ends."""
        self._stuck[name] = state

    def set_status(self, backend, name: str, status: str) -> None:
        """Put an existing notebook directly in a state (e.g. Failed, Stopped) for a scenario's start."""
        with self._lock:
            notebook = backend.get_notebook_instance(name)
            self._transitions.pop(notebook.arn, None)
            self._set(notebook, status)

    def backdate(self, backend, name: str, seconds: float) -> None:
        """Make the notebook older: created ``seconds`` earlier (one that predates notebook-guard)."""
        from datetime import timedelta

        with self._lock:
            notebook = backend.get_notebook_instance(name)
            notebook.creation_time = notebook.creation_time - timedelta(seconds=seconds)

    def begin(self, backend, name: str, state: str, to: str) -> None:
        """Start a transition on an existing notebook (e.g. Pending -> InService for a brand-new one)."""
        with self._lock:
            self._start(backend, backend.get_notebook_instance(name), state, to)

    # Machinery ---------------------------------------------------------------------------------------------
    def _set(self, notebook, status: str) -> None:
        notebook.status = status
        notebook.last_modified_time = sagemaker_models.utcnow()
        self.history.append((notebook.notebook_instance_name, status))
        self._tell(self.snapshot(notebook, status))

    def _tell(self, snapshot: dict) -> None:
        for listener in list(self.listeners):
            listener(snapshot)

    def snapshot(self, notebook, status: str) -> dict:
        """The notebook as a state-change event describes it: Describe's fields (times in epoch milliseconds, as
        in AWS's samples) and the tags as a map."""
        described = {k: v for k, v in notebook.to_dict().items() if v not in (None, [], "")}
        described.update(self._extras.get(notebook.arn, {}))
        described["NotebookInstanceStatus"] = status
        if status != "Failed":
            described.pop("FailureReason", None)
        for key in ("CreationTime", "LastModifiedTime"):
            value = getattr(notebook, "creation_time" if key == "CreationTime" else "last_modified_time", None)
            if hasattr(value, "timestamp"):
                described[key] = int(value.timestamp() * 1000)
        described["Tags"] = {t["Key"]: t["Value"] for t in notebook.tags or [] if "Key" in t}
        return described

    def _start(
        self, backend, notebook, state: str, to: str, extra_seconds: float = 0, created: bool = False
    ) -> None:
        if self._stuck.get(notebook.notebook_instance_name) == state:
            polls, due = float("inf"), None
        else:
            seconds = self.timeline.seconds.get(state)
            polls = float("inf") if seconds is not None else self.timeline.polls.get(state, 1)
            # extra_seconds: a failure that takes time (a lifecycle script stopped at its 5-minute limit).
            due = self.clock.now + seconds + extra_seconds if seconds is not None else None
        transition = _Transition(state, to, polls, due, backend, created)
        self._transitions[notebook.arn] = transition
        self._set(notebook, state)
        if due is not None:  # it completes at its time whether or not anyone polls (and SageMaker tells)
            self.clock.schedule(due, lambda: self._complete_at_time(notebook.arn, transition))

    def _complete_at_time(self, arn: str, transition: _Transition) -> None:
        with self._lock:
            if self._transitions.get(arn) is transition:
                self._finish(transition.backend, arn, transition)

    def complete_polled_transitions(self) -> bool:
        """The clock's idle work: finish the transitions measured in polls (see IDLE_POLL_LIMIT)."""
        with self._lock:
            due = [
                (arn, t) for arn, t in self._transitions.items() if t.due is None and t.polls_left <= IDLE_POLL_LIMIT
            ]
            for arn, transition in due:
                self._finish(transition.backend, arn, transition)
            return bool(due)

    def _finish(self, backend, arn: str, transition: _Transition):
        """End ``transition``; returns the notebook, or None when it is gone."""
        del self._transitions[arn]
        notebook = next((n for n in backend.notebook_instances.values() if n.arn == arn), None)
        if notebook is None:
            return None
        name = notebook.notebook_instance_name
        if transition.to == GONE:
            del backend.notebook_instances[name]
            self._extras.pop(arn, None)
            self.lifecycle.deleted(name)
            self.history.append((name, GONE))
            self._tell(self.snapshot(notebook, DELETED_EVENT_STATUS))
            return None
        if transition.to == "Failed":
            self._extras.setdefault(arn, {})["FailureReason"] = self._create_failures.pop(name, "failed")
        self._set(notebook, transition.to)
        if transition.to == "InService":  # what our lifecycle configurations start (fake/lifecycle.py)
            self.lifecycle.in_service(backend, notebook, transition.created)
        return notebook

    def _advance(self, backend, name: str):
        """One Describe poll: progress the notebook's transition; returns the notebook or None when gone."""
        notebook = backend.notebook_instances.get(name)
        if notebook is None:
            return None
        self.lifecycle.tick(backend, name)
        transition = self._transitions.get(notebook.arn)
        if transition is None:
            return notebook
        transition.polls_left -= 1
        finished = transition.polls_left <= 0 or (transition.due is not None and self.clock.now >= transition.due)
        if not finished:
            return notebook
        return self._finish(backend, notebook.arn, transition)

    def _require(self, notebook, allowed: tuple[str, ...], to: str) -> None:
        if notebook.status not in allowed:
            raise ValidationError(
                message=f"Status ({notebook.status}) not in ([{', '.join(allowed)}]). Unable to transition to "
                f"({to}) for Notebook Instance ({notebook.arn})"
            )

    def describe(self, backend, name: str) -> dict:
        with self._lock:
            notebook = self._advance(backend, name)
            if notebook is None:
                raise ValidationError(message="RecordNotFound")
            described = notebook.to_dict()
            described.setdefault("RootAccess", None)
            described["RootAccess"] = described["RootAccess"] or "Enabled"
            described.update(self._extras.get(notebook.arn, {}))
            if notebook.status != "Failed":
                described.pop("FailureReason", None)
            # AWS omits absent fields instead of sending null.
            return {k: v for k, v in described.items() if v not in (None, [], "")}

    def create(self, backend, params: dict) -> str:
        with self._lock:
            name = params["NotebookInstanceName"]
            existing = backend.notebook_instances.get(name)
            if existing is not None:
                raise ValidationError(message=f"Cannot create a duplicate Notebook Instance ({existing.arn})")
            if params.get("DirectInternetAccess") == "Disabled" and not params.get("SubnetId"):
                raise ValidationError(message="DirectInternetAccess Disabled requires a SubnetId")
            validate_tags(params.get("Tags") or [])
            for tag in params.get("Tags") or []:
                if tag["Key"].lower().startswith("aws:"):
                    raise ValidationError(message="Tag keys starting with 'aws:' are reserved for system use")
            refused = paths.refusal(backend, params)
            if refused:
                raise ValidationError(message=refused)
            notebook = backend.create_notebook_instance(
                notebook_instance_name=name,
                instance_type=params.get("InstanceType"),
                role_arn=params.get("RoleArn"),
                subnet_id=params.get("SubnetId"),
                security_group_ids=params.get("SecurityGroupIds"),
                kms_key_id=params.get("KmsKeyId"),
                tags=params.get("Tags"),
                lifecycle_config_name=params.get("LifecycleConfigName"),
                direct_internet_access=params.get("DirectInternetAccess"),
                volume_size_in_gb=params.get("VolumeSizeInGB"),
                accelerator_types=params.get("AcceleratorTypes"),
                default_code_repository=params.get("DefaultCodeRepository"),
                additional_code_repositories=params.get("AdditionalCodeRepositories"),
                root_access=params.get("RootAccess") or "Enabled",
            )
            self._extras[notebook.arn] = {k: params[k] for k in EXTRA_FIELDS if params.get(k) is not None}
            self._extras[notebook.arn].setdefault("PlatformIdentifier", "notebook-al2-v2")
            self._extras[notebook.arn].setdefault(
                "InstanceMetadataServiceConfiguration", {"MinimumInstanceMetadataServiceVersion": "1"}
            )
            self._extras[notebook.arn].setdefault("IpAddressType", "ipv4")
            if params.get("SubnetId"):  # SageMaker's network interface in the notebook's subnet
                self._extras[notebook.arn]["NetworkInterfaceId"] = f"eni-{uuid.uuid4().hex[:17]}"
            reason, extra_seconds = paths.later_failure(
                backend, params, notebook.arn, self.code_repositories, self.short_zones
            )
            if reason and name not in self._create_failures:
                self._create_failures[name] = reason
            to = "Failed" if name in self._create_failures else "InService"
            self.lifecycle.created(name)
            self._start(backend, notebook, "Pending", to, extra_seconds if reason else 0, created=True)
            return notebook.arn

    def stop(self, backend, name: str) -> None:
        with self._lock:
            notebook = backend.get_notebook_instance(name)
            self._require(notebook, ("InService",), "Stopping")
            self.lifecycle.stopped(name)
            self._start(backend, notebook, "Stopping", "Stopped")

    def start(self, backend, name: str) -> None:
        with self._lock:
            notebook = backend.get_notebook_instance(name)
            self._require(notebook, ALLOWED_FROM["Pending"], "Pending")
            self._extras.get(notebook.arn, {}).pop("FailureReason", None)
            self._start(backend, notebook, "Pending", "Failed" if name in self._create_failures else "InService")

    def delete(self, backend, name: str) -> None:
        with self._lock:
            notebook = backend.get_notebook_instance(name)
            self._require(notebook, ALLOWED_FROM["Deleting"], "Deleting")
            self._start(backend, notebook, "Deleting", GONE)

    def update(self, backend, params: dict) -> None:
        with self._lock:
            notebook = backend.get_notebook_instance(params["NotebookInstanceName"])
            self._require(notebook, ("Stopped",), "Updating")
            config = params.get("LifecycleConfigName")
            if config and config not in backend.notebook_instance_lifecycle_configurations:
                # As for CreateNotebookInstance (fake/paths.py; the text is UNCONFIRMED for UpdateNotebookInstance).
                arn = (
                    f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:notebook-instance-lifecycle-config/"
                    f"{config}"
                )
                raise ValidationError(
                    message=f"Unable to describe Notebook Instance Lifecycle Config '{arn}'. (Details: "
                    "Notebook Instance Lifecycle Config does not exist.)"
                )
            simple = {
                "InstanceType": "instance_type",
                "RoleArn": "role_arn",
                "LifecycleConfigName": "lifecycle_config_name",
                "DefaultCodeRepository": "default_code_repository",
                "AdditionalCodeRepositories": "additional_code_repositories",
                "RootAccess": "root_access",
            }
            for key, attribute in simple.items():
                if params.get(key) is not None:
                    setattr(notebook, attribute, params[key])
            if params.get("VolumeSizeInGB") is not None:
                if params["VolumeSizeInGB"] < notebook.volume_size_in_gb:
                    raise ValidationError(message="VolumeSizeInGB can only be increased")
                notebook.volume_size_in_gb = params["VolumeSizeInGB"]
            if params.get("DisassociateLifecycleConfig"):
                notebook.lifecycle_config_name = None
            extras = self._extras.setdefault(notebook.arn, {})
            extras.update({k: params[k] for k in EXTRA_FIELDS if params.get(k) is not None})
            self._start(backend, notebook, "Updating", "Stopped")

    def create_code_repository(self, params: dict) -> str:
        with self._lock:
            name = params["CodeRepositoryName"]
            if name in self.code_repositories:
                raise ValidationError(message=f"Cannot create a duplicate CodeRepository ({name})")
            validate_tags(params.get("Tags") or [])
            arn = f"arn:aws:sagemaker:{params['_region']}:{params['_account']}:code-repository/{name.lower()}"
            self.code_repositories[name] = {
                "CodeRepositoryName": name,
                "CodeRepositoryArn": arn,
                "CreationTime": sagemaker_models.utcnow(),
                "LastModifiedTime": sagemaker_models.utcnow(),
                "GitConfig": dict(params.get("GitConfig") or {}),
            }
            return arn

    def describe_code_repository(self, name: str) -> dict:
        with self._lock:
            if name not in self.code_repositories:
                raise ValidationError(message=f"Cannot find CodeRepository with name {name}")
            return dict(self.code_repositories[name])

    # Installation ------------------------------------------------------------------------------------------
    def _response_methods(self) -> dict:
        fake = self
        original_add_tags = SageMakerResponse.add_tags

        def create_notebook_instance(response):
            arn = fake.create(response.sagemaker_backend, response._get_params())
            return _json({"NotebookInstanceArn": arn})

        def describe_notebook_instance(response):
            return _json(fake.describe(response.sagemaker_backend, response._get_param("NotebookInstanceName")))

        def simple(action):
            def method(response):
                getattr(fake, action)(response.sagemaker_backend, response._get_param("NotebookInstanceName"))
                return _json({})

            return method

        def update_notebook_instance(response):
            fake.update(response.sagemaker_backend, response._get_params())
            return _json({})

        def add_tags(response):
            validate_tags(response._get_param("Tags") or [])
            return original_add_tags(response)

        def create_code_repository(response):
            backend = response.sagemaker_backend
            params = {**response._get_params(), "_region": backend.region_name, "_account": backend.account_id}
            return _json({"CodeRepositoryArn": fake.create_code_repository(params)})

        def describe_code_repository(response):
            return _json(fake.describe_code_repository(response._get_param("CodeRepositoryName")))

        return {
            "create_notebook_instance": create_notebook_instance,
            "describe_notebook_instance": describe_notebook_instance,
            "start_notebook_instance": simple("start"),
            "stop_notebook_instance": simple("stop"),
            "delete_notebook_instance": simple("delete"),
            "update_notebook_instance": update_notebook_instance,
            "add_tags": add_tags,
            "create_code_repository": create_code_repository,
            "describe_code_repository": describe_code_repository,
        }

    def __enter__(self) -> FakeNotebooks:
        for name, method in self._response_methods().items():
            patcher = mock.patch.object(SageMakerResponse, name, _wrap_errors(method), create=True)
            patcher.start()
            self._patches.append(patcher)
        return self

    def __exit__(self, *exc) -> None:
        for patcher in reversed(self._patches):
            patcher.stop()
        self._patches.clear()


def _json(document: dict):
    import json

    return json.dumps(document, default=_default), {"status": 200, "Content-Type": "application/x-amz-json-1.1"}


def _default(value):
    if hasattr(value, "timestamp"):
        return value.timestamp()
    raise TypeError(f"not JSON serialisable: {value!r}")


def _wrap_errors(method):
    def wrapped(self):
        try:
            return method(self)
        except ValidationError as error:
            import json

            body = json.dumps({"__type": "ValidationException", "message": error.message})
            return body, {"status": 400, "Content-Type": "application/x-amz-json-1.1"}

    wrapped.__name__ = method.__name__
    return wrapped
