"""Render the backup and restore lifecycle configurations from the package's fixed templates.

Pure. Every value is checked against a strict pattern and then quoted with ``shlex.quote``; placeholders are replaced
once, values never re-scanned, so nothing a notebook is called can change what the script does. Each rendered script
is base64-encoded and must fit SageMaker's limit of 16,384 characters per script (``NotebookInstanceLifecycleHook``,
SageMaker API Reference).

A configuration of ours is recognised by its name prefix (``ng-``) and by the ``notebook-guard-lifecycle:`` header
line, a JSON document in a comment (kind, bucket, prefix, execution), which ``header_of`` reads back: the local
simulation runs what the header says, and the Delete step refuses to delete a notebook that still carries one.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT_LIMIT = 16384  # characters of base64 per script (SageMaker API Reference, NotebookInstanceLifecycleHook)
HEADER_MARK = "# notebook-guard-lifecycle: "
VOLUME = "/home/ec2-user/SageMaker"  # the notebook's storage volume, the only thing that survives a stop
BACKUP, RESTORE = "backup", "restore"

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]{1,900}/$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_EXECUTION = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_PATH = re.compile(r"^/[A-Za-z0-9_./-]{1,200}$")
_GUARDABLE = re.compile(r"^#!\s*(/usr)?/bin/(env\s+)?(ba)?sh\b")


class TemplateError(ValueError):
    """A value does not fit the template, or the rendered script does not fit SageMaker's limit."""


@dataclass(frozen=True)
class Values:
    bucket: str
    prefix: str  # ends with "/": backups/<notebook>/<execution>/
    region: str
    execution: str
    volume: str = VOLUME

    def checked(self) -> Values:
        for name, pattern in (
            ("bucket", _BUCKET),
            ("prefix", _PREFIX),
            ("region", _REGION),
            ("execution", _EXECUTION),
            ("volume", _PATH),
        ):
            value = getattr(self, name)
            if not pattern.fullmatch(value) or ".." in value:
                raise TemplateError(f"{name} {value!r} does not fit the lifecycle template")
        return self

    @property
    def work(self) -> str:
        return f"/tmp/notebook-guard-{self.execution}"  # noqa: S108 (the notebook's own disk, root-only work files)

    @property
    def flag(self) -> str:
        return f"/run/notebook-guard-restoring-{self.execution}"


def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _header(kind: str, values: Values) -> str:
    return json.dumps(
        {"kind": kind, "bucket": values.bucket, "prefix": values.prefix, "region": values.region,
         "execution": values.execution, "volume": values.volume},
        sort_keys=True,
    )


def _fill(template: str, replacements: dict[str, str]) -> str:
    """Replace each ``@@NAME@@`` once, in one pass (a value is never scanned for placeholders)."""
    def one(match: re.Match) -> str:
        key = match.group(1)
        if key not in replacements:
            raise TemplateError(f"unknown placeholder @@{key}@@")
        return replacements[key]

    filled = re.sub(r"@@([A-Z]+)@@", one, template)
    return filled


def tool_source() -> bytes:
    return (HERE / "ngdata.py").read_bytes()


def _tool() -> str:
    """ngdata.py, gzip-compressed and base64-encoded (76-character lines): the scripts would not fit SageMaker's
    limit with it in plain text. Deterministic (no time in the gzip header), so a rendered script is reproducible and
    its header names the SHA-256 of the file it carries."""
    packed = base64.b64encode(gzip.compress(tool_source(), mtime=0)).decode("ascii")
    return "\n".join(packed[i : i + 76] for i in range(0, len(packed), 76))


def _render(template_name: str, kind: str, values: Values) -> str:
    values = values.checked()
    quoted = {
        "BUCKET": shlex.quote(values.bucket),
        "PREFIX": shlex.quote(values.prefix),
        "REGION": shlex.quote(values.region),
        "EXECUTION": shlex.quote(values.execution),
        "VOLUME": shlex.quote(values.volume),
        "WORK": shlex.quote(values.work),
        "FLAG": shlex.quote(values.flag),
        "HEADER": _header(kind, values),
        "NGDATA": _tool(),
        "NGDATASHA": hashlib.sha256(tool_source()).hexdigest(),
    }
    return _fill(_read(template_name), quoted)


def encode(script: str) -> str:
    content = base64.b64encode(script.encode("utf-8")).decode("ascii")
    if len(content) > SCRIPT_LIMIT:
        raise TemplateError(f"the script is {len(content)} characters of base64, SageMaker allows {SCRIPT_LIMIT}")
    return content


def backup_script(values: Values) -> str:
    return _render("backup_on_start.sh", BACKUP, values)


def restore_script(values: Values) -> str:
    return _render("restore_on_create.sh", RESTORE, values)


def guarded_on_start(original_content: str | None, values: Values) -> str | None:
    """The restore configuration's OnStart: the original's OnStart, skipped while the data comes back (the first
    boot, when OnCreate's restore is still running). An original that is not a shell script, or too long to take
    the guard, is kept as it is. None: the original had no OnStart."""
    if not original_content:
        return None
    try:
        original = base64.b64decode(original_content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return original_content
    first = original.split("\n", 1)[0]
    if first.startswith("#!") and not _GUARDABLE.match(first):
        return original_content
    values = values.checked()
    guard = (
        "#!/bin/bash\n"
        "# notebook-guard: the notebook's own OnStart script follows; it is skipped during the first start, while\n"
        "# notebook-guard restores the data (it would run against a half-restored volume).\n"
        f"{HEADER_MARK}{_header('restore-on-start', values)}\n"
        f"if [ -e {shlex.quote(values.flag)} ]; then echo 'notebook-guard: restore in progress, OnStart skipped'; "
        "exit 0; fi\n"
    )
    guarded = base64.b64encode((guard + original).encode("utf-8")).decode("ascii")
    return guarded if len(guarded) <= SCRIPT_LIMIT else original_content


@dataclass(frozen=True)
class Configuration:
    """A CreateNotebookInstanceLifecycleConfig request: name and base64 scripts (None: no such hook)."""

    name: str
    on_create: str | None
    on_start: str | None

    def request(self) -> dict:
        request: dict = {"NotebookInstanceLifecycleConfigName": self.name}
        if self.on_create:
            request["OnCreate"] = [{"Content": self.on_create}]
        if self.on_start:
            request["OnStart"] = [{"Content": self.on_start}]
        return request


def backup_configuration(name: str, values: Values) -> Configuration:
    return Configuration(name, None, encode(backup_script(values)))


def restore_configuration(name: str, values: Values, original: dict | None) -> Configuration:
    """OnCreate restores the data; OnStart is the original's OnStart (guarded during the restore)."""
    on_start = ((original or {}).get("OnStart") or [{}])[0].get("Content")
    return Configuration(name, encode(restore_script(values)), guarded_on_start(on_start, values))


def header_of(content: str | None) -> dict | None:
    """The header of one of our scripts (base64 content as SageMaker holds it), or None."""
    if not content:
        return None
    try:
        text = base64.b64decode(content, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
    for line in text.splitlines()[:5]:
        if line.startswith(HEADER_MARK):
            try:
                header = json.loads(line[len(HEADER_MARK):])
            except ValueError:
                return None
            return header if isinstance(header, dict) and header.get("kind") else None
    return None
