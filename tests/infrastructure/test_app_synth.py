"""`python app.py` synthesizes offline: no AWS credentials, no Docker, default and existing-network settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.infrastructure.conftest import EXISTING_NETWORK


def _synth(tmp_path, context: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        {
            "CDK_OUTDIR": str(tmp_path),  # as the CDK CLI runs the app
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "DOCKER_HOST": "unix:///nonexistent/docker.sock",
            "PATH": os.environ.get("PATH", ""),
        }
    )
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)
    return subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.mark.slow
@pytest.mark.parametrize("context", [None, EXISTING_NETWORK], ids=["default", "existing-network"])
def test_app_synthesizes_without_credentials(tmp_path, context):
    result = _synth(tmp_path, context)
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "NotebookGuard.template.json").read_text())
    assert any(r["Type"] == "AWS::StepFunctions::StateMachine" for r in template["Resources"].values())


def test_a_bad_setting_stops_synth_with_its_name(tmp_path):
    result = _synth(tmp_path, {"event_action": "destroy"})
    assert result.returncode != 0
    assert "invalid setting event_action=destroy: expected one of notify, quarantine, remediate" in result.stderr
    assert not (tmp_path / "NotebookGuard.template.json").exists()
