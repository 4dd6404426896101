"""Files the local tools read that live outside Python modules: the state machine's ASL file.

The ASL file stays where the stack reads it, ``infra/statemachine/remediation.asl.json`` (one file, one
source). An installed package carries a copy as package data, ``notebook_guard_local/statemachine/`` (setup.py
maps that data package onto ``infra/statemachine``); a repository checkout reads the file itself.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from notebook_guard.workflow_steps import ASL_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGED_DIRECTORY = "statemachine"


def asl_path() -> Path:
    """The ASL file: the installed copy, else the repository's; FileNotFoundError names both places."""
    name = Path(ASL_PATH).name
    packaged = resources.files("notebook_guard_local").joinpath(PACKAGED_DIRECTORY, name)
    if packaged.is_file():
        return Path(str(packaged))
    repository = REPO_ROOT / ASL_PATH
    if repository.is_file():
        return repository
    raise FileNotFoundError(f"the state machine definition is neither packaged ({packaged}) nor at {repository}")
