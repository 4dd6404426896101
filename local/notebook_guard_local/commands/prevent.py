"""``notebook-guard prevent``: the policy that stops out-of-VPC notebooks at the API, from the stack's settings.

Prints an SCP, a customer managed policy (to attach to data-science roles) or a permissions boundary
(``notebook_guard.permissions.prevention``) that denies the CreateNotebookInstance/UpdateNotebookInstance
requests notebook-guard would otherwise remediate. The table output adds the proof: the decision table of
requests evaluated with the IAM evaluator (``prevention_proof``). Makes no AWS call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import TextIO

from notebook_guard_local.commands.common import EXIT_OK, CommandError, single_region

NAME = "prevent"
OUTPUTS = ("table", "json")  # table: the statements and the proof; json: the policy alone
WIDTH = 100
EXIT_PROOF_FAILED = 1

DESCRIPTION = """\
Print the preventive policy for notebook-guard's settings: it denies, at the API, the notebook requests
notebook-guard would otherwise remediate (no subnet, a subnet outside approved_subnet_ids, direct internet
access, root access when root_access=disabled), except for exempt principals. Each Deny statement's Sid names
the condition key it relies on. The table output also shows the proof: a decision table of requests evaluated
offline with notebook-guard's IAM evaluator. Nothing is sent to AWS.

Kinds:
  scp                   a service control policy, for an AWS Organizations OU (deny-only)
  managed-policy        a customer managed policy to attach to data-science roles or groups (deny-only)
  permissions-boundary  the same denies plus an Allow of everything else, to set as a permissions boundary
                        (a deny-only boundary would allow nothing); never attach it as an identity policy"""

EPILOG = """\
examples:
  notebook-guard prevent --kind managed-policy
  notebook-guard prevent --kind scp --settings cdk.json --output json > scp.json
  aws organizations create-policy --type SERVICE_CONTROL_POLICY --name notebook-guard-prevention \\
      --description "Deny notebooks outside the VPC" --content file://scp.json

The settings it reads: approved_subnet_ids, target_subnet_ids, target_security_group_ids, root_access,
prevention_exempt_principal_tag, prevention_exempt_role_arns (cdk.json's "context", or a JSON object of them).
When approved_subnet_ids is set and the stack creates its own VPC, give that VPC's subnets (the stack's
TargetSubnetIds output) with --stack-subnet-ids: the stack approves them too. With a region (--region, else
AWS_REGION or AWS_DEFAULT_REGION) the Denies apply to that region's notebooks only; approved subnets need one.

exit codes: 0 policy printed (and, in table output, proven); 1 the proof found a request not denied as it
should be; 2 bad settings or arguments, or a policy over AWS's size limit."""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from notebook_guard.permissions.prevention import KINDS

    parser = subparsers.add_parser(
        NAME,
        help="print the SCP or IAM policy that denies out-of-VPC notebooks at the API (no AWS call)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kind", choices=KINDS, required=True, help="which policy to print")
    parser.add_argument(
        "--settings",
        metavar="FILE",
        help="the stack's settings: cdk.json (its context) or a JSON object of settings (default: the defaults)",
    )
    parser.add_argument(
        "--stack-subnet-ids",
        metavar="IDS",
        default="",
        help="comma-separated subnets of the VPC the stack created (its TargetSubnetIds output)",
    )
    parser.add_argument(
        "--restrict-security-groups",
        action="store_true",
        help="also deny security groups outside target_security_group_ids (stricter than notebook-guard's rules)",
    )
    parser.set_defaults(run=run_prevent)
    return parser


def load_context(path: str | None) -> dict:
    if not path:
        return {}
    try:
        loaded = json.loads(Path(path).read_text())
    except OSError as error:
        raise CommandError(f"cannot read the settings file {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"the settings file {path} is not JSON: {error.msg} (line {error.lineno})") from None
    context = loaded.get("context", loaded) if isinstance(loaded, dict) else None
    if not isinstance(context, dict):
        raise CommandError(f"the settings file {path} holds no settings object (cdk.json's \"context\")")
    return context


def run_prevent(args: argparse.Namespace, stream: TextIO | None = None) -> int:
    from notebook_guard.permissions.prevention import PreventionError, PreventionInputs, generate

    stream = stream or sys.stdout
    context = load_context(args.settings)
    stack_subnets = tuple(s.strip() for s in (args.stack_subnet_ids or "").split(",") if s.strip())
    region = single_region(args) or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    try:
        inputs = PreventionInputs.from_context(
            context,
            stack_subnet_ids=stack_subnets,
            restrict_security_groups=args.restrict_security_groups,
            region=region,
        )
        if stack_subnets:
            from notebook_guard.permissions.prevention import subnet_ids

            subnet_ids(list(stack_subnets), "--stack-subnet-ids")
        policy = generate(args.kind, inputs)
    except PreventionError as error:
        raise CommandError(str(error)) from None
    if args.output == "json":
        print(policy.text, file=stream)
        return EXIT_OK
    return print_table(policy, stream)


def print_table(policy, stream: TextIO) -> int:
    from notebook_guard_local.prevention_proof import prove

    where = {
        "scp": "attach to an AWS Organizations OU (deny-list SCP: keep FullAWSAccess attached)",
        "managed-policy": "attach to the roles or groups of the people who create notebooks",
        "permissions-boundary": "set as the permissions boundary of those roles (never as an identity policy)",
    }[policy.kind]

    def say(text: str = "") -> None:
        print(text, file=stream)

    say(f"{policy.kind}: {where}")
    say(f"size: {policy.size} of {policy.limit} characters (compact JSON, what --output json prints)")
    say()
    say("Deny statements (each Sid names the condition key it relies on):")
    for rule in policy.rules:
        control = f" [{rule.control}]" if rule.control else ""
        say(f"  {rule.sid}")
        say(f"    {rule.action}, key {rule.key}")
        for line in textwrap.wrap(f"prevents {rule.prevents}{control}", WIDTH - 4, break_on_hyphens=False):
            say(f"    {line}")
    for line in textwrap.wrap(f"Exempt: {policy.exemption()}", WIDTH, subsequent_indent="  "):
        say(line)
    say("What it cannot see (notebook-guard stays the net for these):")
    for limitation in policy.limitations():
        for number, line in enumerate(textwrap.wrap(limitation, WIDTH - 4, break_on_hyphens=False)):
            say(f"  {'-' if number == 0 else ' '} {line}")
    say()
    say(json.dumps(policy.document, indent=2))
    say()
    outcomes = prove(policy)
    say("Proof: each request evaluated offline against this policy (IAM evaluation logic)")
    say(f"  {'request':<52} {'result':<8} {'should be':<10} why")
    for outcome in outcomes:
        result = "DENIED" if outcome.denied else "allowed"
        expected = "denied" if outcome.expected_denied else "allowed"
        mark = "ok" if outcome.as_expected else "WRONG"
        say(f"  {outcome.row.name[:52]:<52} {result:<8} {expected:<10} {mark}")
        say(f"      {', '.join(outcome.reasons)}"[:WIDTH])
        for sid in outcome.denied_by:
            say(f"      denied by {sid}")
    wrong = [o for o in outcomes if not o.as_expected]
    say()
    if wrong:
        say(f"PROOF FAILED: {len(wrong)} of {len(outcomes)} requests not as they should be")
        return EXIT_PROOF_FAILED
    say(f"Proof: all {len(outcomes)} requests as they should be (violations denied; compliant and exempt allowed)")
    return EXIT_OK
