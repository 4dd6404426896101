"""The state machine as a Mermaid flowchart, generated from the ASL file (docs/workflow.md shows it).

Generated, not drawn: several changes meet in one ASL file, and a hand-drawn diagram drifts. Run
``python -m notebook_guard_local.asl_diagram`` to rewrite the block in docs/workflow.md; a test compares them.

Shapes: a Task ``["..."]``, a callback Task (``.waitForTaskToken``) ``[["..."]]``, a Choice ``{"..."}``, a Wait
``[/"..."/]``, an end (Succeed, Fail) ``(["..."])``. The "Note that '<step>' failed" Pass states (one per Task,
each the target of that Task's Catch) are one node, NOTE. Dotted arrows are the other Catch paths.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASL = ROOT / "infra" / "statemachine" / "remediation.asl.json"
GUIDE = ROOT / "docs" / "workflow.md"
NOTE_PREFIX = "Note that '"
_COMPARISONS = {
    "BooleanEquals": "=",
    "StringEquals": "=",
    "NumericEquals": "=",
    "NumericGreaterThan": ">",
    "NumericGreaterThanEquals": ">=",
    "NumericLessThan": "<",
    "NumericLessThanEquals": "<=",
    "StringMatches": "~",
}


def _is_note(name: str) -> bool:
    return name.startswith(NOTE_PREFIX) and name.endswith("' failed")


def _node(index: int, name: str, state: dict) -> str:
    kind = state["Type"]
    text = name.replace('"', "'")
    if kind == "Choice":
        return f'  s{index}{{"{text}"}}'
    if kind == "Wait":
        return f'  s{index}[/"{text}"/]'
    if kind in ("Succeed", "Fail"):
        return f'  s{index}(["{text}"])'
    if kind == "Task" and str(state.get("Resource", "")).endswith(".waitForTaskToken"):
        return f'  s{index}[["{text}"]]'
    return f'  s{index}["{text}"]'


def _variable(rule: dict) -> str:
    return str(rule.get("Variable", "")).removeprefix("$.")


def label(rule: dict) -> str:
    """A Choice rule in a few words: ``loop.stuck=true``, ``action=remediate & path=recreate``."""
    if "And" in rule:
        return " & ".join(label(r) for r in rule["And"])
    if "Or" in rule:
        return " or ".join(label(r) for r in rule["Or"])
    if "Not" in rule:
        return f"not ({label(rule['Not'])})"
    variable = _variable(rule)
    if "IsPresent" in rule:
        return variable if rule["IsPresent"] else f"no {variable}"
    if "IsNull" in rule:
        return f"no {variable}" if rule["IsNull"] else variable
    for key, sign in _COMPARISONS.items():
        if key in rule:
            value = rule[key]
            return f"{variable}{sign}{json.dumps(value) if not isinstance(value, str) else value}"
    return variable


def render(definition: dict) -> str:
    states = definition["States"]
    ids = {name: index for index, name in enumerate(n for n in states if not _is_note(n))}
    lines = ["flowchart TD"]
    lines += [_node(index, name, states[name]) for name, index in ids.items()]
    note_targets = sorted({states[n]["Next"] for n in states if _is_note(n) and "Next" in states[n]})
    if note_targets:
        lines.append('  NOTE["Any Task error (Catch States.ALL):<br/>note which step failed"]')
        lines += [f"  NOTE --> s{ids[target]}" for target in note_targets]

    def target(name: str) -> str:
        return "NOTE" if _is_note(name) else f"s{ids[name]}"

    for name, index in ids.items():
        state = states[name]
        for rule in state.get("Choices", []):
            lines.append(f"  s{index} -->|{label(rule)}| {target(rule['Next'])}")
        if "Default" in state:
            lines.append(f"  s{index} -->|otherwise| {target(state['Default'])}")
        if "Next" in state:
            lines.append(f"  s{index} --> {target(state['Next'])}")
        for catch in state.get("Catch", []):
            if _is_note(catch["Next"]):
                continue  # the NOTE node stands for these
            errors = catch.get("ErrorEquals", [])
            what = "error" if errors == ["States.ALL"] else ", ".join(errors)
            lines.append(f"  s{index} -.->|{what}| {target(catch['Next'])}")
    return "\n".join(lines) + "\n"


def generated() -> str:
    return render(json.loads(ASL.read_text(encoding="utf-8")))


def block_of(text: str) -> str:
    """The Mermaid block of the guide (the first one)."""
    return text.split("```mermaid\n", 1)[1].split("```", 1)[0]


def rewrite(path: Path = GUIDE) -> bool:
    text = path.read_text(encoding="utf-8")
    current = block_of(text)
    fresh = generated()
    if current == fresh:
        return False
    path.write_text(text.replace("```mermaid\n" + current + "```", "```mermaid\n" + fresh + "```", 1), encoding="utf-8")
    return True


if __name__ == "__main__":
    changed = rewrite(Path(sys.argv[1]) if len(sys.argv) > 1 else GUIDE)
    print("docs/workflow.md's state diagram " + ("rewritten" if changed else "is up to date"))
