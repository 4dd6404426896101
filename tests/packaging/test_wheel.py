"""The built wheel is the tool: it carries the ASL file and the stack's settings code, declares its
dependencies, and ``notebook-guard --version`` / ``notebook-guard demo`` work from it, outside the repository.

The wheel is built without build isolation (setuptools is pinned in requirements-dev.txt) and installed with
``--no-deps`` into a fresh virtual environment that borrows the project's installed dependencies through a
``.pth`` line (only plain paths: the project's own editable install is not seen), so the package itself comes
from the wheel alone. ``make install-check`` does the full thing: a clean venv, ``pip install .`` and
``pipx install .`` with every dependency resolved.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

ASL = ROOT / "infra" / "statemachine" / "remediation.asl.json"


# What the build reads. Copied first: setuptools builds in the source tree (build/, *.egg-info) and would reuse
# a stale build/ of the repository.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "lambdas", "local", "infra")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=180,
        cwd=out,
    )
    (built,) = out.glob("notebook_guard-*.whl")
    return built


def test_the_wheel_carries_the_asl_file_and_the_pure_stack_settings(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert archive.read("notebook_guard_local/statemachine/remediation.asl.json") == ASL.read_bytes()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert {"notebook_guard_local/stack/settings.py", "notebook_guard_local/stack/constants.py"} <= names
    assert not [n for n in names if n.startswith("notebook_guard_local/stack/") and "stack.py" in n]
    assert not [n for n in names if "constructs/" in n or n.endswith("permissions.py")]  # no CDK code
    assert "notebook_guard/handlers/steps/preflight.py" in names and "notebook_guard_local/cli.py" in names
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    for name in ("boto3<", "aws-lambda-powertools[parser,tracer]<", "pydantic<", "moto["):
        assert any(r.startswith(name) for r in requires), (name, requires)
    assert any(r.startswith("moto[") and "server" in r and "sagemaker" in r for r in requires)
    assert any(r.startswith("aws-cdk-lib") and 'extra == "dev"' in r for r in requires)


def test_the_stacks_settings_import_without_the_cdk():
    """The command line ships infra/settings.py: it must stay importable with no aws_cdk or constructs."""
    program = (
        "import sys; sys.modules.update(aws_cdk=None, constructs=None, cdk_nag=None); "
        "import infra.settings; print(infra.settings.StackSettings.from_context({}).root_access)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "lambdas"))}
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "disabled"


@pytest.mark.slow
def test_the_installed_wheel_runs_version_and_the_demo_outside_the_repository(wheel, tmp_path):
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    # The project's dependencies, as a plain path (its editable install's .pth files are not processed there).
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-compile",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AWS_ENDPOINT_URL")}
    command = environment / "bin" / "notebook-guard"

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([command, *argv], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)

    where = subprocess.check_output(
        [python, "-c", "import notebook_guard, notebook_guard_local; print(notebook_guard.__file__, "
         "notebook_guard_local.__file__)"],
        cwd=elsewhere, env=env, text=True,
    )  # fmt: skip
    assert str(ROOT) not in where and where.count(str(site)) == 2

    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("notebook-guard 0.1.0 (Python 3.")

    # The stack's settings validation is in the package: a bad cdk.json is refused with the stack's words.
    (elsewhere / "cdk.json").write_text(json.dumps({"context": {"root_access": "sometimes"}}))
    refused = run("audit", "--region", "us-east-1")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "notebook-guard: error: cdk.json: invalid setting root_access=sometimes: "
        "expected disabled (root access is a violation) or allowed"
    )

    demo = run("demo", "-q")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stdout.strip() == "VERDICT: all 7 notebooks as expected"
