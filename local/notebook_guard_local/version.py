"""The installed package's version, as ``notebook-guard --version`` and the reports give it."""

from __future__ import annotations

import platform
from functools import lru_cache
from importlib import metadata

DISTRIBUTION = "notebook-guard"


@lru_cache(maxsize=1)
def package_version() -> str:
    """The version the package was installed with (pyproject.toml's), or "unknown" when run from a bare tree."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def version_line() -> str:
    """``notebook-guard 0.1.0 (Python 3.11.7, boto3 1.44.8, botocore 1.44.8)``, like ``aws --version``."""
    parts = [f"Python {platform.python_version()}"]
    for name in ("boto3", "botocore"):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} missing")
    return f"{DISTRIBUTION} {package_version()} ({', '.join(parts)})"
