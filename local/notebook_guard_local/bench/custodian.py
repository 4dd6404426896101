"""Cloud Custodian, the yardstick: installed into its own venv (.venv-bench/) and run as ``custodian run``.

c7n 0.9.53 pins boto3 1.43.x, which conflicts with the project's boto3, so it cannot share ``.venv``; it is a
bench-only tool and never a dependency of notebook-guard. The policy is the equivalent of the sweep's main
check: ``aws.sagemaker-notebook`` with ``SubnetId: absent``. c7n lists the notebooks, Describes each
(3 threads) and then calls ListTags for every notebook, one after another (its ``augment``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICY_NAME = "sagemaker-notebook-outside-vpc"
POLICY = {
    "policies": [
        {
            "name": POLICY_NAME,
            "resource": "aws.sagemaker-notebook",
            "filters": [{"SubnetId": "absent"}],
        }
    ]
}


class CustodianUnavailable(RuntimeError):
    """Cloud Custodian could not be installed or run here; the message says why."""


def ensure_custodian(root: Path, log=print) -> Path:
    """The ``custodian`` executable of ``root/.venv-bench``, installing it from requirements-bench.txt once."""
    requirements = root / "requirements-bench.txt"
    venv = root / ".venv-bench"
    executable = venv / "bin" / "custodian"
    stamp = venv / ".installed"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if executable.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return executable
    log(f"installing Cloud Custodian into {venv.relative_to(root)}/ (first run only) ...")
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.CalledProcessError as error:
        tail = (error.stderr or error.stdout or "").strip().splitlines()[-3:]
        raise CustodianUnavailable(f"pip could not install c7n: {' / '.join(tail)}") from None
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CustodianUnavailable(f"could not install c7n: {error}") from None
    if not executable.exists():
        raise CustodianUnavailable("c7n installed but no 'custodian' executable was found")
    stamp.write_text(wanted + "\n")
    log(f"installed Cloud Custodian in {time.perf_counter() - started:.0f} s")
    return executable


def version(executable: Path) -> str:
    try:
        result = subprocess.run([str(executable), "version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"


def run_policy(executable: Path, region: str, env: dict[str, str]) -> tuple[float, int]:
    """Run the policy against ``env``'s AWS_ENDPOINT_URL; returns (wall seconds, resources matched)."""
    with tempfile.TemporaryDirectory(prefix="ng-bench-c7n-") as workdir:
        policy = Path(workdir) / "policy.json"
        policy.write_text(json.dumps(POLICY))
        output = Path(workdir) / "out"
        command = [
            str(executable), "run", "--cache-period", "0", "--region", region, "-s", str(output), str(policy),
        ]
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            tail = " / ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
            raise CustodianUnavailable(f"custodian run failed (exit {result.returncode}): {tail}")
        resources = output / POLICY_NAME / "resources.json"
        if not resources.exists():
            raise CustodianUnavailable(f"custodian wrote no {resources.name}: {result.stderr.strip()[-300:]}")
        return seconds, len(json.loads(resources.read_text()))
