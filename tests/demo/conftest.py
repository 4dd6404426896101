"""A simulated account (embedded moto server, the stack's resources, the real workflow) per test."""

from __future__ import annotations

import json

import pytest

from notebook_guard_local.demo.engine import Actor, Player
from notebook_guard_local.demo.simulation import Simulation, simulated_account
from tests.conftest import ROOT

FULL_FIELDS = ROOT / "examples" / "full-fields.json"


@pytest.fixture
def simulation():
    with simulated_account() as account:
        yield account


def full_fields_request() -> dict:
    (request,) = json.loads(FULL_FIELDS.read_text())
    return request


def remediated(simulation: Simulation, request: dict) -> tuple[Player, dict]:
    """Seed ``request`` as an existing notebook and let a sweep (action remediate) recreate it."""
    player = Player(simulation)
    player.seed_existing(Actor(request, arrival="existing"))
    simulation.set_actions("remediate", "remediate")
    player.sweep()
    (record,) = player.conclude()
    assert record.outcome == "remediated", record.actions
    return player, record
