"""What happened: a creation or a restart, judged on the notebook's CreationTime against the event's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notebook_guard.domain.models import Trigger
from notebook_guard.domain.triggers import parse_trigger, state_change_trigger
from notebook_guard.settings import Settings

EVENT = datetime(2026, 11, 27, 9, 16, 41, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (EVENT - timedelta(minutes=2), Trigger.CREATE),
        (EVENT - WINDOW, Trigger.CREATE),
        (EVENT - WINDOW - timedelta(seconds=1), Trigger.RESTART),
        (EVENT - timedelta(days=400), Trigger.RESTART),
        (EVENT + timedelta(minutes=1), Trigger.CREATE),  # a new incarnation, created after the event
        (None, Trigger.CREATE),
    ],
)
def test_a_state_change_is_a_creation_only_within_the_window(created, expected):
    assert state_change_trigger(created, EVENT, WINDOW) is expected


def test_naive_times_are_utc():
    assert state_change_trigger(datetime(2020, 1, 1), EVENT, WINDOW) is Trigger.RESTART


def test_execution_inputs_name_their_trigger_and_the_legacy_event_means_create():
    assert parse_trigger("event") is Trigger.CREATE
    assert parse_trigger(None) is Trigger.MANUAL and parse_trigger("restart") is Trigger.RESTART
    with pytest.raises(ValueError):
        parse_trigger("finding-typo")


def test_each_trigger_has_its_action_and_restart_defaults_to_the_sweeps():
    settings = Settings(event_action="remediate", sweep_action="quarantine")
    assert settings.action_for(Trigger.CREATE).value == "remediate"
    assert settings.action_for(Trigger.SWEEP).value == "quarantine"
    assert settings.action_for(Trigger.RESTART).value == "quarantine"
    assert Settings(restart_action="notify", sweep_action="remediate").action_for(Trigger.RESTART).value == "notify"
    assert settings.action_for(Trigger.MANUAL).value == "remediate"
