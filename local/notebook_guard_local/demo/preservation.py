"""The demo's "nothing lost" scene: with data preservation on, the team opts the sweep into ``remediate``, and the
notebook used for months that the story only flagged is recreated in the private subnet with every file it held.

1. ``legacy-etl`` (in the story: existing for months, restarted by its owner, flagged by the sweep) holds files on
   its storage volume: the fake's simulated volume (``fake/lifecycle.py``), nested, binary, empty, a unicode name.
2. The sweep's action becomes ``remediate`` (the stack's ``sweep_action``); the next scheduled sweep hands it to the
   workflow, which backs the volume up (data_preservation ``auto``: the notebook predates the execution), deletes,
   recreates and restores it. The other violators take the same path (nlp-lab is blocked again, silently).

The scene passes only when the notebook was replaced (a new creation time) in the target subnet, the replacement's
volume is identical to the original's (content, modes, owners, links), the ``remediated`` alert counts the files
preserved, and the backup's access (bucket policy statements, KMS grant) is gone again. It prints a few lines; the
report carries its summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from notebook_guard.domain import preservation
from notebook_guard.domain.models import Action
from notebook_guard_local.demo.engine import EXISTING_AGE_DAYS, Player, _execution_notebook
from notebook_guard_local.demo.simulation import ACCOUNT, Simulation
from notebook_guard_local.demo.timeline import duration

USED_NOTEBOOK = "legacy-etl"
WIDTH = 100
# What months of use left on the volume (relative to /home/ec2-user/SageMaker).
FILES = {
    "pipelines/nightly-load.ipynb": json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5}).encode(),
    "pipelines/lib/transform.py": b"def clean(rows):\n    return [r for r in rows if r]\n",
    "models/churn-v3.pkl": bytes(range(256)) * 2048,  # 512 KiB of binary
    "exports/empty.csv": b"",
    "notes/réunion été.md": "Données: à vérifier ✓\n".encode(),
}


@dataclass
class PreservationScene:
    notebook: str
    files: int = 0
    bytes: int = 0
    execution_status: str | None = None
    simulated_seconds: float = 0.0
    other_violators: int = 0  # the sweep hands the story's other violators on too (nlp-lab: blocked again)
    subnet: str | None = None
    alert_sentence: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def summary(self) -> dict:
        return {
            "passed": self.passed,
            "notebook": self.notebook,
            "files": self.files,
            "bytes": self.bytes,
            "execution_status": self.execution_status,
            "other_violators": self.other_violators,
            "subnet": self.subnet,
            "alert": self.alert_sentence,
            "problems": self.problems,
        }


def seed_used_volume(simulation: Simulation, name: str = USED_NOTEBOOK) -> dict:
    """Fill the notebook's simulated volume; returns what a restore must bring back."""
    volume = simulation.fake.lifecycle.volume(name)
    for path, data in FILES.items():
        volume.write(path, data)
    volume.mkdir("scratch")
    volume.link("models/latest.pkl", "churn-v3.pkl")
    return volume.view()


def backup_access_left(simulation: Simulation) -> list[str]:
    """The backup access an execution gave the notebook's role and did not take back."""
    from moto.kms.models import kms_backends

    left = []
    policy = simulation.client("s3").get_bucket_policy(Bucket=simulation.world.backup_bucket)["Policy"]
    sids = [s.get("Sid", "") for s in json.loads(policy)["Statement"]]
    left += [f"bucket policy statement {sid}" for sid in sids if sid.startswith(preservation.SID_PREFIX)]
    key = kms_backends[ACCOUNT][simulation.region].describe_key(simulation.world.backup_key_arn)
    left += [f"KMS grant {grant_id}" for grant_id in key.grants]
    return left


def play_preservation_scene(
    simulation: Simulation,
    say: Callable[[str], None],
    seen_executions: set[str] | None = None,
    event_action: Action = Action.REMEDIATE,
) -> PreservationScene:
    result = PreservationScene(USED_NOTEBOOK)
    before = seed_used_volume(simulation)
    files = {p: v for p, v in before.items() if v[0] == "file"}
    result.files, result.bytes = len(files), sum(len(v[1]) for v in files.values())
    original = simulation.backend.notebook_instances[USED_NOTEBOOK].creation_time
    say("")
    say("Nothing lost: the team opts the sweep into remediate")
    say("-" * 52)
    say(
        f"  {USED_NOTEBOOK}, in use for {EXISTING_AGE_DAYS} days: {result.files} files, "
        f"{preservation.human_bytes(result.bytes)} on its storage volume"
    )
    simulation.set_actions(event_action.value, Action.REMEDIATE.value)
    trigger = Player(simulation, seen_executions=seen_executions).sweep()
    ours = [e for e, _rows in trigger.executions if _execution_notebook(e) == USED_NOTEBOOK]
    result.other_violators = len(trigger.executions) - len(ours)
    if len(ours) != 1:
        result.problems.append(f"the sweep started {len(ours)} executions for {USED_NOTEBOOK}, not 1")
        say("  sweep_action=remediate, next sweep: it was not handed to the workflow")
    else:
        (execution,) = ours
        result.execution_status = execution.status
        result.simulated_seconds = simulation.clock.now - trigger.at
        backed_up = {"Check the backup", "Check the restore"} <= set(execution.states_entered)
        say(
            f"  sweep_action=remediate, next sweep: {execution.status} in {duration(result.simulated_seconds)} ("
            + ("backed up, deleted, recreated, restored" if backed_up else "no backup and restore")
            + ")"
        )
        if execution.status != "SUCCEEDED":
            result.problems.append(f"the workflow ended {execution.status}: {execution.error}")
        if not backed_up:
            result.problems.append("the workflow did not back the volume up and restore it")
    judge(simulation, result, before, original, trigger.alerts)
    sentence = result.alert_sentence or "no remediated alert"
    say(f"  alert: {sentence}"[:WIDTH])
    if result.passed:
        say(
            f"NOTHING LOST: {USED_NOTEBOOK} recreated in {result.subnet}, its {result.files} files identical"
        )
    else:
        say("NOTHING LOST: NOT as expected")
        for problem in result.problems:
            say(f"  - {problem}"[:WIDTH])
    return result


def judge(simulation: Simulation, result: PreservationScene, before: dict, original, alerts: list[dict]) -> None:
    name = USED_NOTEBOOK
    notebook = simulation.backend.notebook_instances.get(USED_NOTEBOOK)
    if notebook is None:
        result.problems.append(f"{USED_NOTEBOOK} does not exist any more")
        return
    result.subnet = notebook.subnet_id
    if notebook.creation_time == original:
        result.problems.append(f"{USED_NOTEBOOK} was not recreated")
    if notebook.subnet_id != simulation.target_subnet_id:
        result.problems.append(f"the replacement is in {notebook.subnet_id}, not {simulation.target_subnet_id}")
    after = simulation.fake.lifecycle.volume(USED_NOTEBOOK).view()
    differ = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    if differ:
        result.problems.append(f"{len(differ)} path(s) differ on the replacement's volume: {', '.join(differ[:3])}")
    remediated = next(
        (a for a in alerts if a["document"]["kind"] == "remediated" and a["document"]["notebook"]["name"] == name),
        None,
    )
    details = (remediated or {}).get("document", {}).get("details") or {}
    restored = (details.get("data") or {}).get("restored") or {}
    if (restored.get("files"), restored.get("bytes")) != (result.files, result.bytes):
        result.problems.append(f"the remediated alert does not count {result.files} files preserved: {restored}")
    said = re.search(r"Its storage volume was preserved: [^,]+, [^,]+", (remediated or {}).get("message") or "")
    result.alert_sentence = said.group(0) if said else None
    result.problems += [f"left behind: {what}" for what in backup_access_left(simulation)]
