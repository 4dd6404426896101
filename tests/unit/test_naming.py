import re
from datetime import UTC, datetime

from notebook_guard.domain.naming import execution_arn, execution_name, execution_name_of, is_valid_notebook_name

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:notebook-guard-remediation"
NOW = datetime(2026, 11, 27, 9, 14, 7, tzinfo=UTC)


def test_execution_name_is_valid_for_step_functions_and_readable():
    name = execution_name("create", "ml-feature-exploration", NOW, "ab12cd34")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name)
    assert name == "create-ml-feature-exploration-20261127T091407Z-ab12cd34"


def test_every_attempt_gets_a_name_of_its_own():
    # A name is neither a lock nor a retry policy: Step Functions refuses a closed execution's name for 90 days.
    names = {execution_name("restart", "analysis", NOW) for _ in range(50)}
    assert len(names) == 50


def test_long_names_fit_in_80_characters():
    assert len(execution_name("restart", "a" * 63, NOW)) <= 80


def test_the_execution_arn_is_known_before_the_start():
    arn = execution_arn(MACHINE, "create-x-1")
    assert arn == "arn:aws:states:us-east-1:123456789012:execution:notebook-guard-remediation:create-x-1"
    assert execution_name_of(arn) == "create-x-1" and execution_name_of(None) == ""


def test_notebook_name_pattern():
    assert is_valid_notebook_name("ml-feature-exploration")
    for bad in ("", "-x", "x_y", "a" * 64, None, 3, "x--"):
        assert not is_valid_notebook_name(bad)
