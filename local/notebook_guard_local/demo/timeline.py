"""An execution's history as a readable timeline: state entered, simulated time, the notebook's state.

Times come from the virtual clock (noted at each step Lambda's invocation); a polling loop (check, choice,
wait, check...) is folded into one row that says how many checks it took and how long it waited; a callback wait
says what it learnt and after how long, answered by SageMaker's event unless it says "already there" (the wait
answered itself) or "via the reconciler".
"""


from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise

from notebook_guard_local.demo.simulation import StepMark
from notebook_guard_local.workflow_runner import Execution


@dataclass
class TimelineRow:
    at: float
    step: str
    state: str | None
    checks: int = 0  # > 0: a polling loop
    until: float | None = None  # end of the loop
    answer: dict | None = None  # a callback wait's answer ($.loop as it left the task)

    @property
    def label(self) -> str:
        if self.answer is not None:
            # Answered by its event unless said otherwise.
            who = {"registration": "already there", "reconciler": "via the reconciler"}
            how = who.get(self.answer.get("resumed_by"), "")
            waited = (self.until or self.at) - self.at  # virtual time: to the next step
            parts = [str(self.answer.get("state")), how, duration(waited) if waited >= 1 else ""]
            return f"{self.step}: " + ", ".join(p for p in parts if p)
        if self.checks > 1:
            return f"{self.step} ({self.checks} checks, {duration(self.until - self.at)})"
        return self.step


def duration(seconds: float) -> str:
    seconds = int(seconds)
    minutes, second = divmod(seconds, 60)
    return f"{minutes}m{second:02d}s" if minutes else f"{second}s"


def clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, second = divmod(rest, 60)
    return f"+{hours:02d}:{minutes:02d}:{second:02d}"


def timeline_of(execution: Execution, marks: list[StepMark]) -> list[TimelineRow]:
    """Rows for the states entered (Choice states omitted: they decide, they do not act)."""
    rows: list[TimelineRow] = []
    pending = list(marks)
    now, state = (pending[0].at, pending[0].state) if pending else (0.0, None)
    waiting_row: TimelineRow | None = None  # the row of a check whose loop is waiting
    awaiting_mark: TimelineRow | None = None
    for event in execution.events:
        kind = event["type"]
        exited = event.get("stateExitedEventDetails", {}).get("name", "")
        if kind == "TaskStateExited" and exited.startswith("Await ") and rows and rows[-1].step == exited:
            loop = (json.loads(event["stateExitedEventDetails"].get("output") or "{}") or {}).get("loop") or {}
            if "resumed_by" in loop:
                rows[-1].answer = loop
            continue
        # A step invoked directly, or through a callback task's lambda:invoke.waitForTaskToken.
        if kind in ("LambdaFunctionScheduled", "TaskScheduled") and pending:
            mark = pending.pop(0)
            now, state = mark.at, mark.state
            if awaiting_mark is not None:
                awaiting_mark.at = awaiting_mark.at if awaiting_mark.checks > 1 else now
                awaiting_mark.state = state
                if awaiting_mark.checks > 1:
                    awaiting_mark.until = now
                awaiting_mark = None
            continue
        if not kind.endswith("StateEntered") or kind == "ChoiceStateEntered":
            continue
        name = event["stateEnteredEventDetails"]["name"]
        if kind == "WaitStateEntered":
            waiting_row = rows[-1] if rows else None
            continue
        if kind == "TaskStateEntered" and waiting_row is not None and waiting_row.step == name:
            waiting_row.checks += 1
            awaiting_mark = waiting_row
            waiting_row = None
            continue
        waiting_row = None
        row = TimelineRow(now, name, state, checks=1 if kind == "TaskStateEntered" else 0)
        rows.append(row)
        if kind == "TaskStateEntered":
            awaiting_mark = row
    for row, after in pairwise(rows):
        if row.answer is not None:
            row.until = after.at
    return rows


# Data preservation's phases, each shown as one row unless --verbose: the states of the backup (before the delete)
# and of the restore (after the replacement is in service). tests/unit/test_asl_graph.py checks the names exist.
PHASES = (
    (
        "Back up the storage volume",
        (
            "Attach the backup configuration",
            "Await the backup configuration (event)",
            "Check whether the backup configuration is attached",
            "Start the notebook for the backup",
            "Await the start for the backup (event)",
            "Check whether the notebook runs the backup",
            "Check the backup",
            "Keep the verified backup",
            "Stop the notebook after the backup",
            "Await the stop after the backup (event)",
            "Check whether the notebook has stopped after the backup",
            "Put back the original lifecycle configuration",
            "Await the original configuration (event)",
            "Check whether the original configuration is back",
        ),
    ),
    (
        "Restore the storage volume",
        (
            "Check the restore",
            "Keep the restored data",
            "Stop the new notebook to put back its configuration",
            "Await the new notebook's stop (event)",
            "Check whether the new notebook has stopped",
            "Put back the original configuration on the new notebook",
            "Await the new notebook's configuration (event)",
            "Check whether the new notebook's configuration is back",
            "Start the new notebook again",
            "Await the new notebook's restart (event)",
            "Check whether the new notebook runs again",
            "Remove the backup access",
        ),
    ),
)


def fold_phases(rows: list[TimelineRow]) -> list[TimelineRow]:
    """Each run of rows inside one phase becomes one row: when it began, what it took, the state it began in."""
    phase_of = {step: title for title, steps in PHASES for step in steps}
    folded: list[TimelineRow] = []
    group: list[TimelineRow] = []

    def close() -> None:
        if group:
            first, last = group[0], group[-1]
            end = last.until if last.until is not None else last.at
            label = f"{phase_of[first.step]} ({len(group)} steps, {duration(end - first.at)})"
            folded.append(TimelineRow(first.at, label, first.state))
            group.clear()

    for row in rows:
        if group and phase_of.get(row.step) != phase_of[group[0].step]:
            close()
        if row.step in phase_of:
            group.append(row)
        else:
            folded.append(row)
    close()
    return folded

