"""The deployed stack's policy, for the command line: ``cdk.json``'s settings, validated by the stack's own code.

``audit`` judges a notebook exactly as the deployed sweep does only with the stack's policy: its approved
subnets (plus, when it creates its own network and an approved list is given, that network's subnets), its
exemption tag and its root-access rule. The file is validated by ``infra/settings.py`` itself, which imports
only pydantic (no CDK): in the repository it is ``infra.settings``; an installed package carries the same file
as ``notebook_guard_local.stack.settings`` (see setup.py).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from notebook_guard_local.aws_access import CommandError

DEFAULT_FILE = "cdk.json"
STACK_NAME = "NotebookGuard"  # infra.constants.STACK_NAME: the stack app.py deploys in each region
SUBNETS_OUTPUT = "TargetSubnetIds"  # the stack output listing its target (and, when it made them, its own) subnets


def settings_module() -> ModuleType:
    """The stack's settings module: the installed copy, else the repository's."""
    try:
        return importlib.import_module("notebook_guard_local.stack.settings")
    except ModuleNotFoundError:
        pass
    try:
        return importlib.import_module("infra.settings")
    except ModuleNotFoundError:
        raise CommandError(
            "this installation lacks the stack's settings code (notebook_guard_local.stack): reinstall "
            "notebook-guard, or pass --no-settings"
        ) from None


@dataclass(frozen=True)
class Policy:
    """What ``audit`` needs of the stack's settings, and where it came from."""

    source: str  # the file read, or "defaults"
    approved_subnet_ids: tuple[str, ...] = ()
    exempt_tag: str = "notebook-guard:exempt"
    root_access: str = "disabled"
    stack_creates_network: bool = True
    approved_list_complete: bool = False
    stack_subnet_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per region, when looked up

    def approved_in(self, region: str) -> tuple[str, ...]:
        return self.approved_subnet_ids + self.stack_subnet_ids.get(region, ())

    @property
    def needs_stack_subnets(self) -> bool:
        """Like the stack's ``lambda_environment``: its own subnets are approved when an approved list is given."""
        return bool(self.approved_subnet_ids) and self.stack_creates_network and not self.approved_list_complete

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "approved_subnet_ids": list(self.approved_subnet_ids),
            "stack_subnet_ids": {region: list(ids) for region, ids in sorted(self.stack_subnet_ids.items())},
            "exempt_tag": self.exempt_tag,
            "root_access": self.root_access,
        }


def read_context(path: Path) -> dict:
    """The settings of a ``cdk.json`` (its ``context``), or of a JSON object holding the settings themselves."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"cannot read settings file {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"settings file {path} is not JSON: {error.msg} (line {error.lineno})") from None
    if not isinstance(document, dict):
        raise CommandError(f"settings file {path}: expected a JSON object (cdk.json, or the settings themselves)")
    # A cdk.json keeps the settings under "context" (a cdk.json without one has none); any other object is
    # taken as the settings themselves.
    context = document.get("context", {} if "app" in document else document)
    if not isinstance(context, dict):
        raise CommandError(f"settings file {path}: 'context' is not a JSON object")
    return context


def load_policy(
    settings_file: str | None,
    *,
    use_default_file: bool = True,
    overrides: dict | None = None,
    flags: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[Policy, str | None]:
    """The policy from ``settings_file`` (or ./cdk.json when it is notebook-guard's), with ``overrides``
    (setting name -> value, from the command's options, named in errors by ``flags``) applied and validated as
    the stack validates them.

    Returns the policy and a note for the user about the file (or None).
    """
    module = settings_module()
    known = set(module.StackSettings.model_fields)
    context: dict = {}
    source, note = "defaults", None
    if settings_file:
        path = Path(settings_file)
        context = read_context(path)
        source = str(path)
    elif use_default_file:
        path = (cwd or Path.cwd()) / DEFAULT_FILE
        if path.is_file():
            found = read_context(path)
            if known & set(found):
                context, source = found, DEFAULT_FILE
            else:
                note = f"./{DEFAULT_FILE} holds none of notebook-guard's settings: judging with the defaults"
    try:
        stack = module.StackSettings.from_context(context)
    except module.SettingsError as error:
        raise CommandError(f"{source if source != 'defaults' else 'settings'}: {error}") from None
    chosen = {name: getattr(stack, name) for name in ("approved_subnet_ids", "exempt_tag", "root_access")}
    # Each option is validated on its own, as the stack validates that setting, and replaces the file's value
    # (the stack's cross-setting rules do not apply to a what-if: an approved list need not name the targets).
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    for name, value in given.items():
        try:
            chosen[name] = getattr(module.StackSettings.from_context({name: value}), name)
        except module.SettingsError as error:
            raise CommandError(f"{(flags or {}).get(name, name)}: {error}") from None
    if given:
        source = "options" if source == "defaults" else f"{source} + options"
    policy = Policy(
        source=source,
        approved_subnet_ids=tuple(chosen["approved_subnet_ids"]),
        exempt_tag=chosen["exempt_tag"],
        root_access=chosen["root_access"],
        stack_creates_network=not stack.uses_existing_network,
        # Given on the command line, the approved list is the whole list: no stack to read subnets from.
        approved_list_complete="approved_subnet_ids" in given,
    )
    return policy, note


def with_stack_subnets(policy: Policy, regions: list[str], stack_name: str = STACK_NAME) -> Policy:
    """Add, per region, the subnets the deployed stack created (its ``TargetSubnetIds`` output), which the
    stack approves along with ``approved_subnet_ids``. Read with CloudFormation DescribeStacks."""
    if not policy.needs_stack_subnets:
        return policy
    from notebook_guard.aws import cloudformation

    found: dict[str, tuple[str, ...]] = {}
    for region in regions:
        outputs = cloudformation.stack_outputs(stack_name, region)
        if outputs is None:
            raise CommandError(
                f"approved_subnet_ids is set and the stack creates its own network, whose subnets it approves too; "
                f"no stack {stack_name} in {region} to read them from (pass --stack-name, or --approved-subnets "
                "with the whole list of subnets to approve)"
            )
        value = outputs.get(SUBNETS_OUTPUT, "")
        found[region] = tuple(s.strip() for s in value.split(",") if s.strip())
    return replace(policy, stack_subnet_ids=found)
