"""``notebook-guard demo``: set up the simulated account, play the story (or a scenario file), judge, report.

Entry points for the CLI: ``add_demo_arguments(parser)`` declares the options, ``run_demo(args)`` runs and
returns the exit code (0: every outcome as expected; 1: some were not; 2: unusable scenario or arguments).
``play(...)`` is the same without argparse, for tests.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from notebook_guard.domain.models import Action

DESCRIPTION = """\
Play notebook-guard's story on an embedded, simulated AWS account (moto on 127.0.0.1, started in this
process). It provisions what the stack provisions, runs the real intake and sweep handlers and the real
state machine (waits simulated, not slept), prints a timeline, the alerts as the security team receives
them and a before/after table, and exits 0 only when every notebook ended as expected.

The demo never calls real AWS: it forces its own endpoint and dummy credentials whatever --profile,
--endpoint-url, AWS_PROFILE, AWS_ENDPOINT_URL or credentials say. --region (or AWS_REGION /
AWS_DEFAULT_REGION) picks the simulated region."""

EPILOG = """\
Examples:
  notebook-guard demo
  notebook-guard demo -v                                    # each alert's JSON document too
  notebook-guard demo --keep-snapshots demo-snapshots       # then try: notebook-guard restore --dry-run ...
  notebook-guard demo --scenario examples/full-fields.json --action remediate --report report.json

A scenario is a JSON list of CreateNotebookInstance requests in boto3's parameter shape (tags included),
checked against the API's model before anything starts. Whatever a request refers to and the simulated
account lacks (IAM role, KMS key, lifecycle configuration) is created first; code repositories need nothing.
Each notebook is created, detected (CloudTrail event when it has no SubnetId, state-change event otherwise)
and handled by the event action, then a sweep runs with the sweep action.

Exit codes: 0 all as expected, 1 some outcome not as expected, 2 bad arguments or scenario."""


def add_demo_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Declare the demo's own options (the global ones, --region included, come from the CLI)."""
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        help="seed the account from this JSON list of CreateNotebookInstance requests instead of the built-in story",
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="write a JSON report: per notebook, Describe output and tags before and after, actions, alerts",
    )
    parser.add_argument(
        "--action",
        choices=[a.value for a in Action],
        help="force this action for both triggers (default: the stack's, event=remediate, sweep=notify)",
    )
    parser.add_argument(
        "--network",
        choices=("isolated", "nat"),
        default="isolated",
        help="where notebooks are recreated: the isolated private subnet (the stack's default, no internet) or a "
        "private subnet routed through a NAT gateway",
    )
    parser.add_argument(
        "--keep-snapshots",
        metavar="DIR",
        help="copy the snapshots the workflow wrote to DIR (with their checksums), to try 'restore --dry-run'",
    )
    parser.add_argument("--no-alerts", action="store_true", help="do not print the alert texts (still counted)")
    return parser


@dataclass
class DemoResult:
    passed: bool
    records: list
    triggers: list
    report: dict
    wall_seconds: float
    snapshots: list[Path]


def default_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def play(
    scenario: str | None = None,
    action: str | None = None,
    report_path: str | None = None,
    region: str | None = None,
    stream: TextIO | None = None,
    show_alerts: bool = True,
    network: str = "isolated",
    verbose: bool = False,
    quiet: bool = False,
    keep_snapshots: str | None = None,
    requests: list[dict] | None = None,
) -> DemoResult:
    """Run the demo; raises ``ScenarioError`` for an unusable scenario file (before anything starts)."""
    from notebook_guard_local.demo.scenario import load_requests

    started = time.monotonic()
    if scenario and requests is None:
        requests = load_requests(scenario)  # before the simulated account: a bad file costs nothing

    from notebook_guard_local.demo.engine import Player
    from notebook_guard_local.demo.render import Printer
    from notebook_guard_local.demo.report import REPORT_SCHEMA, build_report, write_report
    from notebook_guard_local.demo.scenario import scenario_actors
    from notebook_guard_local.demo.simulation import DEMO_FINDING_ACTION, simulated_account
    from notebook_guard_local.demo.story import built_in_story

    event_action = Action(action) if action else Action.REMEDIATE
    sweep_action = Action(action) if action else Action.NOTIFY
    printer = Printer(stream, show_alerts=show_alerts, verbose=verbose, quiet=quiet)
    title = f"notebook-guard demo ({'scenario ' + scenario if scenario else 'built-in story'})"
    with simulated_account(region or default_region(), network=network) as simulation:
        simulation.set_actions(event_action.value, sweep_action.value, action or DEMO_FINDING_ACTION)
        printer.account(simulation, (event_action.value, sweep_action.value), title)
        offline = network != "nat"
        if requests is not None:
            needs = {r["NotebookInstanceName"]: offline and simulation.needs_internet(r) for r in requests}
            actors = scenario_actors(requests, event_action, sweep_action, needs)
        else:
            actors = built_in_story(simulation.world)
            if action or not offline:
                from notebook_guard_local.demo.engine import expected_outcome

                today = datetime.now(UTC).date()
                for actor in actors:
                    actor.expected = expected_outcome(
                        actor.request, event_action, sweep_action, today, actor.arrival,
                        needs_internet_offline=offline and actor.needs_internet,
                    )
        player = Player(simulation, on_trigger=printer.trigger)
        existing = [a for a in actors if a.arrival == "existing"]
        for actor in existing:
            player.seed_existing(actor)
        if existing:
            printer.seeded([player.records[a.name] for a in existing])
        for actor in actors:
            if actor.arrival != "existing":
                player.arrive(actor)
        for actor in actors:
            if actor.restarted:
                player.restart(actor)
        for actor in actors:
            if actor.finding:
                player.report_finding(actor)
        scene = None
        if requests is None:  # the built-in story: the preventive policy, then what it cannot see
            from notebook_guard_local.demo.prevention import play_prevention_scene

            scene = play_prevention_scene(
                simulation, printer.line, printer.trigger, player._seen_executions, event_action, sweep_action
            )
        player.sweep()
        records = player.conclude()
        printer.table(records)
        simulated = simulation.clock.now
        kept = simulation.save_snapshots(Path(keep_snapshots)) if keep_snapshots else []
    wall = time.monotonic() - started
    passed = printer.verdict(records, wall, simulated) and (scene is None or scene.passed)
    if keep_snapshots:
        printer.snapshots(Path(keep_snapshots), kept)
    settings = {
        "event_action": event_action.value,
        "sweep_action": sweep_action.value,
        "region": simulation.region,
        "network": network,
    }
    from notebook_guard_local.demo.simulation import ACCOUNT
    from notebook_guard_local.reports import envelope

    # Who made it, when, for which (simulated) account and region, then the demo's own document.
    made = envelope(REPORT_SCHEMA, regions=[simulation.region], settings=settings, account=ACCOUNT)
    report = made | build_report(records, player.triggers, settings, passed)
    if scene is not None:
        report["prevention"] = scene.summary()
    if report_path:
        write_report(report_path, report)
        printer.line(f"Report written to {report_path}")
    return DemoResult(passed, records, player.triggers, report, wall, kept)


def run_demo(args: argparse.Namespace) -> int:
    """CLI entry: the demo's options, and the global ones (``regions``, ``output``, ``quiet``, ``verbose``)."""
    from notebook_guard_local.aws_access import CommandError, validate_region
    from notebook_guard_local.demo.scenario import ScenarioError, load_requests

    regions = getattr(args, "regions", None) or []
    if len(regions) > 1:
        raise CommandError("the demo plays in one region: give --region once")
    region = validate_region(regions[0]) if regions else None
    output = getattr(args, "output", "table")
    scenario = getattr(args, "scenario", None)
    try:
        requests = load_requests(scenario) if scenario else None
        result = play(
            scenario=scenario,
            requests=requests,
            action=getattr(args, "action", None),
            report_path=getattr(args, "report", None),
            region=region,
            # JSON and CSV go to stdout alone: the story is not printed then.
            stream=io.StringIO() if output != "table" else None,
            show_alerts=not getattr(args, "no_alerts", False),
            network=getattr(args, "network", None) or "isolated",
            verbose=getattr(args, "verbose", False),
            quiet=getattr(args, "quiet", False),
            keep_snapshots=getattr(args, "keep_snapshots", None),
        )
    except ScenarioError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"{error.filename or ''}: {error.strerror or error}".lstrip(": ")) from None
    if output == "json":
        from notebook_guard_local.demo.report import dump_report

        dump_report(result.report, sys.stdout)
    elif output == "csv":
        from notebook_guard_local.demo.report import write_outcomes_csv

        write_outcomes_csv(result.records, sys.stdout)
    return 0 if result.passed else 1
