"""``notebook-guard demo``: set up the simulated account, play the story (or a scenario file), judge, report.

Entry points for the CLI: ``add_demo_arguments(parser)`` declares the options, ``run_demo(args)`` runs and
returns the exit code (0: every outcome as expected; 1: some were not; 2: unusable scenario or arguments).
``play(...)`` is the same without argparse, for tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from notebook_guard.domain.models import Action

DESCRIPTION = """\
Play notebook-guard's story on an embedded, simulated AWS account (moto on 127.0.0.1, started in this
process). It provisions what the stack provisions, runs the real intake and sweep handlers and the real
state machine (waits simulated, not slept), prints a timeline, the alerts as the security team receives
them and a before/after table, and exits 0 only when every notebook ended as expected.

The demo never calls real AWS: it forces its own endpoint and dummy credentials whatever AWS_PROFILE,
AWS_ENDPOINT_URL or credentials say. --region (or AWS_REGION / AWS_DEFAULT_REGION) picks the simulated
region."""

EPILOG = """\
examples:
  notebook-guard demo
  notebook-guard demo --scenario examples/full-fields.json --action remediate --report report.json

A scenario is a JSON list of CreateNotebookInstance requests in boto3's parameter shape (tags included).
Whatever a request refers to and the simulated account lacks (IAM role, KMS key, lifecycle
configuration) is created first; code repositories need nothing. Each notebook is created, detected
(CloudTrail event when it has no SubnetId, state-change event otherwise) and handled by the event action,
then a sweep runs with the sweep action.

exit codes: 0 all as expected, 1 some outcome not as expected, 2 bad arguments or scenario."""


def add_demo_arguments(parser: argparse.ArgumentParser, region: bool = True) -> argparse.ArgumentParser:
    """Declare the options; ``region=False`` when the caller's parser already has ``--region``."""
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
    if region:
        parser.add_argument(
            "--region",
            help="region of the simulated account (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)",
        )
    parser.add_argument("--no-alerts", action="store_true", help="do not print the alert texts (still counted)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notebook-guard demo",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return add_demo_arguments(parser)


@dataclass
class DemoResult:
    passed: bool
    records: list
    triggers: list
    report: dict
    wall_seconds: float


def default_region() -> str:
    import os

    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def play(
    scenario: str | None = None,
    action: str | None = None,
    report_path: str | None = None,
    region: str | None = None,
    stream: TextIO | None = None,
    show_alerts: bool = True,
) -> DemoResult:
    """Run the demo; raises ``ScenarioError`` for an unusable scenario file (before anything starts)."""
    started = time.monotonic()
    from notebook_guard_local.demo.engine import Player
    from notebook_guard_local.demo.render import Printer
    from notebook_guard_local.demo.report import build_report, write_report
    from notebook_guard_local.demo.scenario import load_requests, scenario_actors
    from notebook_guard_local.demo.simulation import DEMO_FINDING_ACTION, simulated_account
    from notebook_guard_local.demo.story import built_in_story

    requests = load_requests(scenario) if scenario else None
    event_action = Action(action) if action else Action.REMEDIATE
    sweep_action = Action(action) if action else Action.NOTIFY
    printer = Printer(stream, show_alerts=show_alerts)
    printer.line(printer.bold("notebook-guard demo") + f" ({'scenario ' + scenario if scenario else 'built-in story'})")
    with simulated_account(region or default_region()) as simulation:
        simulation.set_actions(event_action.value, sweep_action.value, action or DEMO_FINDING_ACTION)
        printer.account(simulation, (event_action.value, sweep_action.value))
        if requests is not None:
            actors = scenario_actors(requests, event_action, sweep_action)
        else:
            actors = built_in_story(simulation.world)
            if action:
                from notebook_guard_local.demo.engine import expected_outcome

                today = datetime.now(UTC).date()
                for actor in actors:
                    actor.expected = expected_outcome(actor.request, event_action, sweep_action, today, actor.arrival)
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
        player.sweep()
        records = player.conclude()
        printer.table(records)
        simulated = simulation.clock.now
    wall = time.monotonic() - started
    passed = printer.verdict(records, wall, simulated)
    settings = {"event_action": event_action.value, "sweep_action": sweep_action.value, "region": simulation.region}
    report = build_report(records, player.triggers, settings, passed)
    if report_path:
        write_report(report_path, report)
        printer.line(f"Report written to {report_path}")
    return DemoResult(passed, records, player.triggers, report, wall)


def run_demo(args: argparse.Namespace) -> int:
    """CLI entry: ``args.scenario``, ``args.report``, ``args.action``, ``args.region`` (all optional)."""
    from notebook_guard_local.demo.scenario import ScenarioError

    try:
        result = play(
            scenario=getattr(args, "scenario", None),
            action=getattr(args, "action", None),
            report_path=getattr(args, "report", None),
            region=getattr(args, "region", None),
            show_alerts=not getattr(args, "no_alerts", False),
        )
    except ScenarioError as error:
        print(f"notebook-guard demo: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"notebook-guard demo: {error}", file=sys.stderr)
        return 2
    return 0 if result.passed else 1


def main(argv: list[str] | None = None) -> int:
    return run_demo(build_parser().parse_args(argv))
