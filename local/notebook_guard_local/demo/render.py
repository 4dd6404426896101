"""What the demo prints: triggers with their timelines, the alerts as received, the before/after table, a verdict.

Fits a 100-column terminal; colour only when the output is a terminal (and ``NO_COLOR`` is not set).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from notebook_guard.domain.alerts import JSON_MARKER
from notebook_guard_local.demo.engine import NotebookRecord, Trigger
from notebook_guard_local.demo.timeline import clock, duration, fold_phases
from notebook_guard_local.wording import plural

WIDTH = 100
NETWORKS = {"isolated": "no internet route", "nat": "0.0.0.0/0 through a NAT gateway"}
# Alert lines whose facts the demo already shows around the alert (the account, the notebook, the trigger, the
# execution): printed with --verbose only.
KNOWN_FROM_THE_STORY = ("Where:", "ARN:", "Found by:", "Workflow execution:", "Console:")


class Printer:
    """``verbose``: each alert's JSON document too; ``quiet``: only the verdict."""

    def __init__(
        self,
        stream: TextIO | None = None,
        colour: bool | None = None,
        show_alerts: bool = True,
        verbose: bool = False,
        quiet: bool = False,
    ) -> None:
        self.stream = stream or sys.stdout
        if colour is None:
            colour = hasattr(self.stream, "isatty") and self.stream.isatty() and not os.environ.get("NO_COLOR")
        self.colour = colour
        self.show_alerts = show_alerts
        self.verbose = verbose
        self.quiet = quiet
        self._headings = 0

    def timeline_rows(self, rows: list) -> None:
        """A timeline's rows; without --verbose, a run of steps an earlier timeline showed is one line."""
        shown = self.__dict__.setdefault("_steps_shown", set())
        run: list = []

        def flush() -> None:
            if len(run) == 1:
                self.line(f"    {clock(run[0].at):<10} {run[0].label[:66]:<66} {run[0].state or ''}")
            elif run:
                said = f"... {len(run)} steps as above, {run[0].label} to {run[-1].label}"
                self.line(f"    {clock(run[0].at):<10} {said}"[:WIDTH])
            run.clear()

        for row in rows:
            if row.step in shown and not self.verbose:
                run.append(row)
                continue
            flush()
            self.line(f"    {clock(row.at):<10} {row.label[:66]:<66} {row.state or ''}")
        flush()
        shown.update(row.step for row in rows)

    def line(self, text: str = "") -> None:
        if not self.quiet:
            self.emit(text)

    def emit(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def heading(self, text: str) -> None:
        if self._headings:  # the first heading follows the title line directly
            self.line()
        self._headings += 1
        self.line(self.bold(text))
        self.line("-" * min(len(text), WIDTH))

    # Sections ----------------------------------------------------------------------------------------------
    def account(self, simulation, actions: tuple[str, str], title: str = "notebook-guard demo") -> None:
        world = simulation.world
        self.heading(f"{title}: a simulated AWS account, on this machine only")
        rows = [
            ("Endpoint", f"{simulation.endpoint} (embedded moto, dummy credentials: real AWS is never called)"),
            ("Network", f"VPC {world.vpc_id}, target {simulation.target_subnet_id} ({NETWORKS[simulation.network]})"),
            (
                "",
                f"SG {world.security_group_id}, endpoints {', '.join(sorted(world.endpoint_ids))}",
            ),
            ("Storage", f"snapshot bucket {world.bucket}, audit table {world.table}"),
            ("Alerts", f"topic {world.topic_arn.rsplit(':', 1)[-1]}, subscribed by the security team's queue"),
            ("Workflow", "state machine from infra/statemachine/remediation.asl.json, step Lambdas in-process"),
            ("Settings", f"event action = {actions[0]}, sweep action = {actions[1]}, root access must be disabled"),
        ]
        for label, text in rows:
            self.line(f"  {label:<9} {text}")

    def seeded(self, records: list[NotebookRecord]) -> None:
        self.heading("Notebooks already in the account (before notebook-guard was deployed)")
        for record in records:
            before = record.before or {}
            where = before.get("SubnetId") or "outside any VPC"
            status = before.get("NotebookInstanceStatus", "?")
            self.line(f"  {record.name:<16} {status:<10} {where:<25} {record.actor.note}"[:WIDTH])

    def trigger(self, trigger: Trigger) -> None:
        self.heading(f"{clock(trigger.at)}  {trigger.title}")
        result = trigger.result
        if "counts" in result:
            counts = result["counts"]
            self.line(
                f"  sweep: {plural(counts.get('evaluated', 0), 'notebook')} evaluated: "
                f"{counts.get('compliant', 0)} compliant, "
                f"{counts.get('exempt', 0)} exempt, {counts.get('violating', 0)} violating "
                f"-> action '{result.get('action')}'"
            )
            handed = ", ".join(f"{n} {outcome}" for outcome, n in sorted((result.get("handed_on") or {}).items()))
            if handed:
                self.line(f"  violators: {handed}"[:WIDTH])
        else:
            evaluation = result.get("evaluation") or {}
            controls = sorted({v["control_id"] for v in evaluation.get("violations") or []})
            found = (
                f"violates {', '.join(controls)}".replace(", SageMaker.", ", .") if controls else result.get("outcome")
            )
            # What happened (create or restart) and the action that trigger gets: "(restart: notify)".
            said = ": ".join(str(result[k]) for k in ("trigger", "action") if result.get(k))
            how = f" ({said})" if said else ""
            self.line(f"  intake: {result.get('notebook_name')} {found} -> {result.get('outcome')}{how}"[:WIDTH])
        for execution, rows in trigger.executions:
            name = f"Workflow execution {execution.arn.rsplit(':', 1)[-1]}"
            rows = rows if self.verbose else fold_phases(rows)
            # A timeline already shown (same steps, states and timing, from its own start) is one line.
            shape = tuple((row.at - rows[0].at, row.label, row.state) for row in rows) if rows else None
            seen = self.__dict__.setdefault("_timelines_shown", set())
            if shape in seen and not self.verbose:
                self.line(f"  {name}: the same steps as above")
            else:
                seen.add(shape)
                self.line(f"  {name[:75]:<75} notebook")
                self.timeline_rows(rows)
            if rows:
                spent = rows[-1].at - rows[0].at
                status = execution.status if execution.status == "SUCCEEDED" else self.paint(execution.status, "31")
                self.line(f"    {status} after {duration(spent)} of simulated time ({execution.transitions} states)")
        for note in trigger.notes:  # an approval given, a Security Hub finding followed
            self.line(f"  {note}"[:WIDTH])
        if self.show_alerts:
            self.alerts(trigger.alerts)

    def alerts(self, alerts: list[dict]) -> None:
        """Each alert as the security team reads it: the subject, then the human text (blank lines folded, and
        the lines the story already shows, account, ARN, trigger, execution and console link, only with
        ``verbose``); the JSON document that follows the text in the message only with ``verbose``."""
        if not alerts:
            self.line("\n  No alert sent.")
            return
        for alert in alerts:
            text, marker, document = alert["message"].partition(JSON_MARKER)
            self.line()
            self.line(self.bold(f"  >>> Alert (SNS): {alert['subject']}"))
            lines = [line for line in text.splitlines() if line.strip()]
            if not self.verbose:
                # The first line repeats the subject printed just above.
                kept = [ln for ln in lines[1:] if not ln.startswith(KNOWN_FROM_THE_STORY)]
                lines = self._fold_repeated_sections(kept)
            for line in lines:
                self.line(f"  | {line}")
            if self.verbose and marker:
                self.line(f"  | {marker}")
                for line in document.strip().splitlines():
                    self.line(f"  | {line}")

    def _fold_repeated_sections(self, lines: list[str]) -> list[str]:
        """A section (a ``Heading:`` line and its indented lines) whose lines an earlier alert of the story
        already showed is named in one ``(as above: Heading, ...)`` line: each piece of text is read once."""
        shown = self.__dict__.setdefault("_sections_shown", set())
        folded: list[str] = []
        index = 0
        while index < len(lines):
            line = lines[index]
            body = []
            if line.endswith(":") and not line.startswith(" "):
                while index + 1 + len(body) < len(lines) and lines[index + 1 + len(body)].startswith("  "):
                    body.append(lines[index + 1 + len(body)])
            if body and tuple(body) in shown:
                # Consecutive sections already read become one line: "(as above: What is wrong, Why it matters)".
                heading = line.rstrip(":")
                if folded and folded[-1].startswith("(as above: "):
                    folded[-1] = folded[-1][:-1] + f", {heading})"
                else:
                    folded.append(f"(as above: {heading})")
            else:
                folded += [line, *body]
                if body:
                    shown.add(tuple(body))
            index += 1 + len(body)
        return folded

    def table(self, records: list[NotebookRecord]) -> None:
        self.heading("Before and after")
        header = f"{'notebook':<15} {'':<6} {'status':<9} {'subnet':<24} {'internet':<8} {'root':<8} outcome"
        self.line(header)
        for record in records:
            before, after = self._cells(record.before), self._cells(record.after)
            # A notebook nothing changed is one row ("both"); a changed one, before then after.
            states = (("both", after),) if before == after else (("before", before), ("after", after))
            for index, (when, cells) in enumerate(states):
                text = f"{record.name[:15] if index == 0 else '':<15} {when:<6} {cells}".rstrip()
                if index == len(states) - 1:
                    text += " " + self.outcome(record)
                self.line(text)
            if record.expected is not None and not record.as_expected:
                self.line(self.paint(f"{'':<22} expected: {record.expected}", "31"))
        for record in records:  # what a blocked notebook needs, and the first way to fix it (the alert has them all)
            internet = [(a["document"]["details"].get("internet") or {}) for a in record.alerts]
            labels = next((found["fix_labels"] for found in internet if found.get("fix_labels")), [])
            if record.outcome == "blocked" and labels:
                fix = ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0]
                self.line(f"  {record.name}: needs the internet; fix with {fix}"[:WIDTH])
        problems = [(r.name, p) for r in records for p in r.problems]
        for name, problem in problems:
            self.line(f"  {name}: {problem}")

    @staticmethod
    def _cells(described: dict | None) -> str:
        described = described or {}
        subnet = described.get("SubnetId") or ("(none)" if described else "(gone)")
        return (
            f"{described.get('NotebookInstanceStatus', '-'):<9} {subnet[:24]:<24} "
            f"{described.get('DirectInternetAccess', '-'):<8} {described.get('RootAccess', '-'):<8}"
        )

    def outcome(self, record: NotebookRecord) -> str:
        if record.expected is None:
            return record.outcome or "?"
        if record.as_expected:
            return self.paint(f"{record.outcome} ok", "32")
        return self.paint(f"{record.outcome} NOT OK", "31")

    def verdict(self, records: list[NotebookRecord], wall: float, simulated: float) -> bool:
        wrong = [r for r in records if not r.as_expected]
        self.line()
        if wrong:
            names = ", ".join(r.name for r in wrong)
            text = f"VERDICT: {len(wrong)} of {plural(len(records), 'notebook')} NOT as expected ({names})"
            self.emit(self.paint(self.bold(text), "31"))
        else:
            text = f"VERDICT: {'all ' if len(records) > 1 else ''}{plural(len(records), 'notebook')} as expected"
            self.emit(self.paint(self.bold(text), "32"))
        self.line(f"({wall:.1f} s of real time for {duration(simulated)} of simulated time; nothing was slept)")
        return not wrong

    def snapshots(self, directory: Path, saved: list[Path]) -> None:
        documents = [p for p in saved if p.suffix == ".json"]
        self.line(f"{plural(len(documents), 'snapshot')} written under {directory}/, each with its .sha256. Try:")
        for path in documents[:1]:
            self.line(f"  notebook-guard restore --dry-run --offline {path}")
