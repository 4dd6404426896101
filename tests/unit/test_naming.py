import re

from notebook_guard.domain.naming import execution_name, is_valid_notebook_name

ARN = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/ml-feature-exploration"


def test_execution_name_is_valid_for_step_functions_and_readable():
    name = execution_name(ARN, "2026-11-27T09:14:07+00:00", "remediate")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name)
    assert "ml-feature-exploration" in name


def test_same_instance_and_action_collapse_other_incarnations_do_not():
    first = execution_name(ARN, "2026-11-27T09:14:07+00:00", "remediate")
    assert first == execution_name(ARN, "2026-11-27T09:14:07+00:00", "remediate")
    # The recreated notebook keeps the ARN but not the creation time.
    assert first != execution_name(ARN, "2026-11-27T09:40:00+00:00", "remediate")
    # A notebook flagged by the sweep can still be remediated once the team opts in.
    assert first != execution_name(ARN, "2026-11-27T09:14:07+00:00", "notify")


def test_long_names_fit_in_80_characters():
    arn = ARN.rsplit("/", 1)[0] + "/" + "a" * 63
    assert len(execution_name(arn, None, "quarantine")) <= 80


def test_notebook_name_pattern():
    assert is_valid_notebook_name("ml-feature-exploration")
    for bad in ("", "-x", "x_y", "a" * 64, None, 3, "x--"):
        assert not is_valid_notebook_name(bad)
