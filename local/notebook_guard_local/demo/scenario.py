"""Scenario files: a JSON list of CreateNotebookInstance requests in boto3's parameter shape (tags included).

Each request is checked against botocore's own model of CreateNotebookInstance, so a typo fails here with the
field's name instead of deep inside the simulation. An optional top-level object form is accepted too:
``{"notebooks": [...]}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from notebook_guard.domain.models import Action
from notebook_guard_local.demo.engine import Actor, expected_outcome


class ScenarioError(ValueError):
    """The scenario file cannot be used; the message says where and why."""


def load_requests(path: str | Path) -> list[dict]:
    try:
        document = json.loads(Path(path).read_text())
    except OSError as error:
        raise ScenarioError(f"cannot read scenario {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ScenarioError(f"scenario {path} is not JSON: {error}") from None
    requests = document.get("notebooks") if isinstance(document, dict) else document
    if not isinstance(requests, list) or not requests:
        raise ScenarioError(f"scenario {path}: expected a non-empty JSON list of CreateNotebookInstance requests")
    names = set()
    for index, request in enumerate(requests):
        problems = request_problems(request)
        if problems:
            raise ScenarioError(f"scenario {path}, notebook #{index + 1}: " + "; ".join(problems))
        if request["NotebookInstanceName"] in names:
            raise ScenarioError(f"scenario {path}: {request['NotebookInstanceName']} appears twice")
        names.add(request["NotebookInstanceName"])
    return requests


def request_problems(request: object) -> list[str]:
    """Validate against botocore's service model (the same validation a boto3 call performs)."""
    import botocore.session
    from botocore.validate import ParamValidator

    if not isinstance(request, dict):
        return ["not a JSON object"]
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateNotebookInstance").input_shape
    report = ParamValidator().validate(request, shape)
    if not report.has_errors():
        return []
    return [line.strip() for line in report.generate_report().splitlines()[1:] if line.strip()]


def scenario_actors(
    requests: list[dict], event_action: Action, sweep_action: Action, offline_needs: dict[str, bool] | None = None
) -> list[Actor]:
    """``offline_needs``: per notebook name, whether it needs the internet where the target has none."""
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
