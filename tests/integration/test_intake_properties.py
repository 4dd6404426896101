"""Property-based: thousands of malformed events, and the intake never crashes, never writes, always says why."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notebook_guard.handlers import intake
from tests.conftest import ROOT
from tests.integration.conftest import write_calls

FIXTURES = ROOT / "tests" / "fixtures"
VALID = {
    "cloudtrail": json.loads((FIXTURES / "cloudtrail_create_notebook.json").read_text()),
    "native": json.loads((FIXTURES / "notebook_state_change.json").read_text()),
}
SETTINGS = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


class Context:
    function_name = "notebook-guard-intake"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:notebook-guard-intake"
    aws_request_id = "req-prop"


def paths(document, prefix=()):
    """Every key path inside a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))


@st.composite
def mutated_events(draw):
    """A real event with one or more of its fields deleted or replaced by arbitrary JSON."""
    event = copy.deepcopy(VALID[draw(st.sampled_from(sorted(VALID)))])
    all_paths = list(paths(event))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(all_paths))
        parent = event
        for key in path[:-1]:
            if not isinstance(parent, dict) or key not in parent:
                break
            parent = parent[key]
        else:
            if isinstance(parent, dict) and path[-1] in parent:
                if draw(st.booleans()):
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = draw(json_values)
    return event


@pytest.fixture
def configured(account, configure):
    """Once per test (not per example): a workflow and a topic that a wrongly accepted event would use."""
    configure(NG_STATE_MACHINE_ARN=account.create_state_machine(), NG_ALERT_TOPIC_ARN=account.topic_arn)
    return account


def check(event, api_calls, log_lines):
    before = len(log_lines())
    result = intake.handler(event, Context())
    assert result["outcome"] in {"ignored", "gone", "compliant"}, result
    assert write_calls(api_calls) == []
    warnings = [line for line in log_lines()[before:] if line["level"] == "WARNING"]
    if result["outcome"] != "compliant":
        assert warnings and warnings[-1].get("reason"), "every dropped event is logged with its reason"


@pytest.mark.slow
@SETTINGS
@given(event=json_values)
def test_arbitrary_json_is_dropped_with_a_reason(configured, api_calls, log_lines, event):
    check(event, api_calls, log_lines)


@pytest.mark.slow
@SETTINGS
@given(event=mutated_events())
def test_mutated_real_events_never_crash_or_write(configured, api_calls, log_lines, event):
    # No notebook exists, so even a mutation that stays valid may only Describe and find nothing.
    check(event, api_calls, log_lines)
