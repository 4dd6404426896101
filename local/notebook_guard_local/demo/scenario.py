"""Scenario files: a JSON list of CreateNotebookInstance requests in boto3's parameter shape (tags included).

Each request is checked against botocore's own model of CreateNotebookInstance before the simulated account
is set up: the parameter validation a boto3 call performs (names, types, required members), plus the model's
constraints AWS enforces and boto3 does not check on the client (enumerations such as InstanceType, patterns
such as the notebook name's, maximum lengths). A bad entry is named in one line: its position and its name.
An optional top-level object form is accepted too: ``{"notebooks": [...]}``.

Nothing here imports moto: a bad file is refused in a fraction of a second.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from notebook_guard.domain.models import Action


class ScenarioError(ValueError):
    """The scenario file cannot be used; the message says where and why, on one line."""


def load_requests(path: str | Path) -> list[dict]:
    try:
        document = json.loads(Path(path).read_text())
    except OSError as error:
        raise ScenarioError(f"cannot read scenario {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ScenarioError(f"scenario {path} is not JSON: {error.msg} (line {error.lineno})") from None
    requests = document.get("notebooks") if isinstance(document, dict) else document
    if not isinstance(requests, list) or not requests:
        raise ScenarioError(f"scenario {path}: expected a non-empty JSON list of CreateNotebookInstance requests")
    names: dict[str, int] = {}
    for index, request in enumerate(requests, 1):
        name = request.get("NotebookInstanceName") if isinstance(request, dict) else None
        label = f"scenario {path}, notebook #{index}" + (f" ({name})" if isinstance(name, str) and name else "")
        problems = request_problems(request)
        if problems:
            raise ScenarioError(f"{label}: " + "; ".join(problems))
        if name in names:
            raise ScenarioError(f"{label}: the name {name} is already used by #{names[name]}")
        names[name] = index
    return requests


@lru_cache(maxsize=1)
def _create_shape():
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model("CreateNotebookInstance").input_shape


def request_problems(request: object) -> list[str]:
    """Every problem of one request (empty when CreateNotebookInstance would accept it)."""
    from botocore.validate import ParamValidator

    if not isinstance(request, dict):
        return ["not a JSON object"]
    shape = _create_shape()
    report = ParamValidator().validate(request, shape)
    if report.has_errors():
        # generate_report() is the error lines alone (the exception adds the "Parameter validation failed" header).
        return [" ".join(line.split()) for line in report.generate_report().splitlines() if line.strip()]
    return constraint_problems(request, shape, "")


def constraint_problems(value: object, shape, where: str) -> list[str]:
    """The model's constraints botocore does not check on the client: enum, pattern, maximum."""
    problems: list[str] = []
    label = where or "request"
    if shape.type_name == "structure" and isinstance(value, dict):
        for member, member_value in value.items():
            problems += constraint_problems(member_value, shape.members[member], f"{where}.{member}".lstrip("."))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            problems += constraint_problems(item, shape.member, f"{where}[{index}]")
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{label}: at most {shape.metadata['max']} items, got {len(value)}")
    elif shape.type_name == "string" and isinstance(value, str):
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            close = [e for e in enum if e.lower().startswith(value.lower()[:5])][:3]
            hint = f" (e.g. {', '.join(close)})" if close else ""
            problems.append(f"{label}: {value!r} is not one of the {len(enum)} values the API accepts{hint}")
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{label}: at most {shape.metadata['max']} characters, got {len(value)}")
        pattern = _pattern(shape.metadata.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            problems.append(f"{label}: {value!r} does not match the API's pattern {shape.metadata['pattern']}")
    elif shape.type_name in ("integer", "long") and isinstance(value, int):
        maximum = shape.metadata.get("max", value)
        if value > maximum:
            problems.append(f"{label}: at most {maximum}, got {value}")
    return problems


@lru_cache(maxsize=64)
def _pattern(text: str | None) -> re.Pattern | None:
    """The model's (Java) pattern in Python's dialect: \\p{L}/\\p{N} letters and digits, \\p{Z} separators."""
    if not text:
        return None
    python = text.replace(r"\p{L}", r"\w").replace(r"\p{N}", r"\w").replace(r"\p{Z}", r"\s")
    try:
        return re.compile(python)
    except re.error:
        return None


def scenario_actors(
    requests: list[dict], event_action: Action, sweep_action: Action, offline_needs: dict[str, bool] | None = None
) -> list:
    """``offline_needs``: per notebook name, whether it needs the internet where the target has none."""
    from notebook_guard_local.demo.engine import Actor, expected_outcome

    today = datetime.now(UTC).date()
    needs = offline_needs or {}
    return [
        Actor(
            request,
            expected=expected_outcome(
                request,
                event_action,
                sweep_action,
                today,
                needs_internet_offline=needs.get(request["NotebookInstanceName"], False),
            ),
            note="from the scenario",
        )
        for request in requests
    ]
