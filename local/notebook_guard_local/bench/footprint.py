"""Cold-start proxies: each handler's import time next to boto3's alone, and the Lambda code asset's size."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "notebook_guard"
_SNIPPET = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


@dataclass(frozen=True)
class ImportTime:
    module: str
    seconds: float  # fastest of several fresh interpreters


@dataclass(frozen=True)
class AssetSize:
    files: int
    raw_bytes: int
    zip_bytes: int


def handler_modules(lambdas_dir: Path) -> list[str]:
    """Every module under ``notebook_guard/handlers`` that defines a Lambda entry point ``handler``."""
    modules = []
    for path in sorted((lambdas_dir / PACKAGE / "handlers").rglob("*.py")):
        if "__pycache__" in path.parts or "def handler(" not in path.read_text():
            continue
        modules.append(".".join(path.relative_to(lambdas_dir).with_suffix("").parts))
    return modules


def lambda_like_environment(base: dict[str, str]) -> dict[str, str]:
    """What the module sees at a Lambda cold start: the runtime's variables and fake credentials."""
    env = {k: v for k, v in base.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(
        AWS_LAMBDA_FUNCTION_NAME="notebook-guard-bench",
        AWS_EXECUTION_ENV="AWS_Lambda_python3.12",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106  (fake: the bench never reaches AWS)
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        POWERTOOLS_SERVICE_NAME="notebook-guard",
        POWERTOOLS_METRICS_NAMESPACE="NotebookGuard",
    )
    return env


def import_time(module: str, python: str, env: dict[str, str], repeat: int = 5) -> ImportTime:
    """Import time in fresh interpreters: the fastest of ``repeat`` (bytecode compiled by a first, discarded run).

    The minimum, not the median: on a shared machine the noise only ever adds time.
    """
    samples = []
    for attempt in range(repeat + 1):
        result = subprocess.run(
            [python, "-c", _SNIPPET.format(module=module)], env=env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"importing {module} failed: {result.stderr.strip()[-300:]}")
        if attempt:
            samples.append(float(result.stdout.strip().splitlines()[-1]))
    return ImportTime(module, min(samples))


def asset_size(lambdas_dir: Path) -> AssetSize:
    """The zip the stack would upload: ``notebook_guard/`` without caches and tests."""
    buffer = io.BytesIO()
    files = raw = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((lambdas_dir / PACKAGE).rglob("*")):
            parts = path.relative_to(lambdas_dir).parts
            if path.is_dir() or "__pycache__" in parts or "tests" in parts or path.suffix in (".pyc", ".pyo"):
                continue
            archive.write(path, "/".join(parts))
            files += 1
            raw += path.stat().st_size
    return AssetSize(files=files, raw_bytes=raw, zip_bytes=len(buffer.getvalue()))
