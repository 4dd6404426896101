"""What notebook-guard's lifecycle configurations do on a notebook, simulated: a storage volume per notebook, the
backup that OnStart runs and the restore that OnCreate runs, with their effects in moto's S3.

The fake recognises OUR configurations by their header (``notebook_guard.lifecycle.templates.header_of``: the JSON
line every script of ours carries) and runs what the scripts do, in Python, with the same manifest format
(``lifecycle.ngdata``): the scripts themselves are run in bash against a stand-in AWS CLI by
``tests/unit/test_lifecycle_scripts.py``. Anybody else's scripts keep the behaviour of ``fake/paths.py``.

The notebook's traffic is the notebook's, not the workflow's: it is checked here against what AWS would check for
the notebook's execution role (its identity policies and permissions boundary, the bucket policy, and for the KMS
key of the bucket's default encryption a grant to the role, or its identity policy): without access nothing is
written, as the script's ``aws s3 cp`` would fail. Each job finishes after a number of Describe polls (a run with
zero waits) or, when the notebook fake's timeline is in seconds, after a simulated time derived from the volume's
bytes and a throughput (the bench measures what that costs the workflow).

Behaviours per notebook (``backup_behaviour[name]``, ``restore_behaviour[name]``): ``ok``; the backup's
``partial`` (a file skipped: aws s3 sync exit code 2), ``failed`` (exit code 1), ``in-use`` (a file changed while
it ran), ``missing-objects`` (a complete marker whose objects are not all there: what the workflow's own
verification must catch), ``slow`` (20 times longer), ``timeout`` (never ends); the restore's ``failed``,
``corrupt`` (a file differs from the manifest), ``timeout``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

from notebook_guard.domain import preservation
from notebook_guard.lifecycle import ngdata, templates

ROOT = templates.VOLUME
MB = 1024 * 1024
ATTEMPTS = 10  # of the scripts' first S3 call, as the scripts retry it


@dataclass
class Entry:
    kind: str  # ngdata.FILE | DIRECTORY | LINK | SPECIAL
    data: bytes = b""
    mode: int = 0o644
    uid: int = 1000
    gid: int = 1000
    mtime_ns: int = 1_700_000_000_000_000_000
    target: str | None = None


@dataclass
class Volume:
    """A notebook's /home/ec2-user/SageMaker: relative path -> entry; ``extra_bytes`` only count in the timing (a large
    volume the bench measures without storing its bytes)."""

    entries: dict[str, Entry] = field(default_factory=dict)
    extra_bytes: int = 0

    def write(self, path: str, data: bytes, mode: int = 0o644) -> None:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            self.entries.setdefault("/".join(parts[:depth]), Entry(ngdata.DIRECTORY, mode=0o755))
        self.entries[path] = Entry(ngdata.FILE, data, mode)

    def mkdir(self, path: str) -> None:
        self.entries.setdefault(path, Entry(ngdata.DIRECTORY, mode=0o755))

    def link(self, path: str, target: str) -> None:
        self.entries[path] = Entry(ngdata.LINK, mode=0o777, target=target)

    def files(self) -> dict[str, bytes]:
        return {p: e.data for p, e in self.entries.items() if e.kind == ngdata.FILE}

    def view(self) -> dict[str, tuple]:
        """Everything a restore must bring back, comparable between two volumes."""
        return {
            p: (e.kind, e.data if e.kind == ngdata.FILE else None, e.mode, e.uid, e.gid, e.target)
            for p, e in self.entries.items()
        }

    def manifest_entries(self) -> list[dict]:
        entries = []
        for path in sorted(self.entries):
            entry = self.entries[path]
            item = {"path": path, "type": entry.kind, "mode": entry.mode, "uid": entry.uid, "gid": entry.gid,
                    "mtime_ns": entry.mtime_ns}
            if entry.kind == ngdata.FILE:
                item["size"] = len(entry.data)
                item["sha256"] = hashlib.sha256(entry.data).hexdigest()
            elif entry.kind == ngdata.LINK:
                item["target"] = entry.target
            entries.append(item)
        return entries

    @property
    def bytes(self) -> int:
        return sum(len(e.data) for e in self.entries.values()) + self.extra_bytes


@dataclass
class Job:
    kind: str  # "backup" | "restore"
    name: str
    role_arn: str
    header: dict
    behaviour: str
    polls_left: float
    due: float | None
    # The script's first write (backup) or read (restore) is retried while the access is not there yet (a grant or a
    # bucket policy still propagating, or rewritten meanwhile): attempts left, one per poll.
    waiting_for_access: int = 0


class FakeLifecycle:
    """Owned by ``FakeNotebooks``: volumes, behaviours and the jobs our scripts would run."""

    def __init__(self, notebooks) -> None:
        self.notebooks = notebooks
        self.volumes: dict[str, Volume] = {}
        self.backup_behaviour: dict[str, str] = {}
        self.restore_behaviour: dict[str, str] = {}
        self.jobs: dict[str, Job] = {}
        self.extra_bytes: dict[str, int] = {}  # backup prefix -> the volume's uncounted bytes (timing only)
        self.log: list[tuple[str, str]] = []  # (notebook, line): what the scripts would write to their log
        self.polls = 2  # Describe polls a job takes when the timeline is in polls
        self.fixed_seconds = 60.0  # start, scan and markers
        self.throughput = 60 * MB  # bytes per second: hash and upload (backup), download and verify (restore)

    def reset(self) -> None:
        for state in (self.volumes, self.backup_behaviour, self.restore_behaviour, self.jobs, self.extra_bytes):
            state.clear()
        self.log.clear()

    def volume(self, name: str) -> Volume:
        return self.volumes.setdefault(name, Volume())

    # Hooks called by FakeNotebooks --------------------------------------------------------------------------------
    def created(self, name: str) -> None:
        self.volumes[name] = Volume()  # a new notebook: a new, empty volume

    def stopped(self, name: str) -> None:
        self.jobs.pop(name, None)  # stopping the instance ends the background job

    def deleted(self, name: str) -> None:
        self.volumes.pop(name, None)
        self.jobs.pop(name, None)

    def in_service(self, backend, notebook, created: bool) -> None:
        """The notebook came up: run what its lifecycle configuration of ours starts (OnCreate only when created)."""
        config = backend.notebook_instance_lifecycle_configurations.get(notebook.lifecycle_config_name or "")
        if config is None:
            return
        hooks = [("OnStart", config.on_start)] + ([("OnCreate", config.on_create)] if created else [])
        for _hook, scripts in hooks:
            header = templates.header_of(((scripts or [{}])[0]).get("Content"))
            if header is None or header.get("kind") not in (templates.BACKUP, templates.RESTORE):
                continue
            self._begin(backend, notebook, header)

    def tick(self, backend, name: str) -> None:
        """One Describe poll of ``name``: progress its job."""
        job = self.jobs.get(name)
        if job is None:
            return
        if job.waiting_for_access:
            notebook = backend.notebook_instances[name]
            del self.jobs[name]
            self._begin(backend, notebook, job.header, job.waiting_for_access - 1)
            return
        job.polls_left -= 1
        if job.polls_left > 0 and not (job.due is not None and self.notebooks.clock.now >= job.due):
            return
        del self.jobs[name]
        if job.behaviour == "timeout":
            self.jobs[name] = Job(**{**job.__dict__, "polls_left": float("inf"), "due": None})
            return
        (self._finish_backup if job.kind == templates.BACKUP else self._finish_restore)(backend, job)

    # The jobs ------------------------------------------------------------------------------------------------------
    def _begin(self, backend, notebook, header: dict, attempts: int = ATTEMPTS) -> None:
        name, kind = notebook.notebook_instance_name, header["kind"]
        behaviours = self.backup_behaviour if kind == templates.BACKUP else self.restore_behaviour
        behaviour = behaviours.get(name, "ok")
        s3 = _S3(backend.account_id, backend.region_name, header["bucket"])
        backup = kind == templates.BACKUP
        first = header["prefix"] + (preservation.STARTED if backup else preservation.COMPLETE)
        denied = s3.denied(notebook.role_arn, "put" if backup else "get", first)
        if denied:
            what = "write to" if backup else "read"
            self.log.append((name, f"{kind}: cannot {what} s3://{header['bucket']}/{first}: {denied}"))
            if attempts > 1:  # the script tries again (NG_RETRY_SECONDS later)
                self.jobs[name] = Job(kind, name, notebook.role_arn, header, behaviour, 0, None, attempts)
            return
        if backup:
            volume = self.volume(name)
            summary = ngdata.summary_of(volume.manifest_entries())
            s3.put(header["prefix"] + preservation.STARTED, _marker("started", header, summary))
            size = volume.bytes
        else:
            size = self._backup_bytes(s3, header)
        seconds = self.fixed_seconds + size / self.throughput
        if behaviour == "slow":
            seconds *= 20
        timed = bool(self.notebooks.timeline.seconds)
        self.jobs[name] = Job(
            kind,
            name,
            notebook.role_arn,
            header,
            behaviour,
            float("inf") if timed else self.polls * (20 if behaviour == "slow" else 1),
            self.notebooks.clock.now + seconds if timed else None,
        )

    def _backup_bytes(self, s3, header: dict) -> int:
        complete = s3.get(header["prefix"] + preservation.COMPLETE)
        counted = int(json.loads(complete).get("bytes") or 0) if complete else 0
        return counted + self.extra_bytes.get(header["prefix"], 0)

    def _finish_backup(self, backend, job: Job) -> None:
        header, behaviour = job.header, job.behaviour
        s3 = _S3(backend.account_id, backend.region_name, header["bucket"])
        prefix, data = header["prefix"], header["prefix"] + preservation.DATA
        volume = self.volume(job.name)
        entries = volume.manifest_entries()
        files = [e for e in entries if e["type"] == ngdata.FILE]
        skipped = {files[-1]["path"]} if behaviour in ("partial", "missing-objects") and files else set()
        for entry in files:
            if entry["path"] in skipped:
                continue
            if s3.denied(job.role_arn, "put", data + entry["path"]):
                self.log.append((job.name, "backup failed: aws s3 sync exited with code 1 (AccessDenied)"))
                return  # and the failure marker cannot be written either
            s3.put(data + entry["path"], volume.entries[entry["path"]].data)
        summary = ngdata.summary_of(entries)
        reasons = {
            "partial": "aws s3 sync exited with code 2: at least one file was skipped",
            "failed": "aws s3 sync exited with code 1",
            "in-use": f"manifest: 1 file(s) changed while the backup ran (the notebook was in use): "
            f"{files[0]['path'] if files else '?'}",
        }
        if behaviour in reasons:
            s3.put(prefix + preservation.FAILED, _marker("failed", header, summary, reason=reasons[behaviour]))
            return
        manifest = ngdata.encode_manifest(entries, ROOT)
        s3.put(prefix + preservation.MANIFEST, manifest)
        self.extra_bytes[prefix] = volume.extra_bytes
        result = {"manifest_sha256": hashlib.sha256(manifest).hexdigest()}
        s3.put(prefix + preservation.COMPLETE, _marker("complete", header, summary, result))

    def _finish_restore(self, backend, job: Job) -> None:
        header, behaviour = job.header, job.behaviour
        s3 = _S3(backend.account_id, backend.region_name, header["bucket"])
        prefix = header["prefix"]
        volume = self.volume(job.name)

        def fail(reason: str) -> None:
            s3.put(prefix + preservation.RESTORE_FAILED, _marker("restore-failed", header, {}, reason=reason))

        complete, manifest = s3.get(prefix + preservation.COMPLETE), s3.get(prefix + preservation.MANIFEST)
        if complete is None or manifest is None:
            return fail("cannot read the backup's completion marker")
        if json.loads(complete).get("manifest_sha256") != hashlib.sha256(manifest).hexdigest():
            return fail("the manifest does not match its completion marker (SHA-256)")
        if behaviour == "failed":
            return fail("aws s3 sync exited with code 1")
        _, entries = ngdata.parse_manifest(manifest)
        problems = []
        for entry in entries:
            kind, path = entry["type"], entry["path"]
            if kind == ngdata.DIRECTORY:
                volume.entries.setdefault(path, Entry(ngdata.DIRECTORY))
            elif kind == ngdata.LINK:
                volume.entries[path] = Entry(ngdata.LINK, target=entry["target"])
            elif kind == ngdata.FILE:
                body = s3.get(prefix + preservation.DATA + path)
                if body is None:
                    problems.append(f"{path} was not restored")
                    continue
                if behaviour == "corrupt" and not problems:
                    body = bytes([body[0] ^ 0xFF]) + body[1:] if body else b"x"
                volume.entries[path] = Entry(ngdata.FILE, body)
                if hashlib.sha256(body).hexdigest() != entry["sha256"]:
                    problems.append(f"{path} differs from the backup (SHA-256)")
                    continue
            else:
                continue
            restored = volume.entries[path]
            restored.mode, restored.uid, restored.gid = entry["mode"], entry["uid"], entry["gid"]
            restored.mtime_ns = entry["mtime_ns"]
        volume.extra_bytes = self.extra_bytes.get(prefix, 0)
        summary = ngdata.summary_of(entries)
        result = {**summary, "verified": not problems, "problem_count": len(problems), "problems": problems[:20]}
        if problems:
            return fail(f"verification: {len(problems)} restore problem(s): {'; '.join(problems[:20])}")
        s3.put(prefix + preservation.RESTORED, _marker("restored", header, {}, result))
        return None


def _marker(state: str, header: dict, summary: dict, result: dict | None = None, reason: str | None = None) -> bytes:
    document = ngdata.marker(state, summary, result, reason)
    document.update(
        execution=header.get("execution"),
        aws_cli="aws-cli/2.x (simulated)",
        checksum_algorithm="SHA256",
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    return json.dumps(document).encode()


class _S3:
    """The backup bucket as the notebook's scripts reach it: moto's backend, behind the notebook role's access."""

    def __init__(self, account: str, region: str, bucket: str) -> None:
        from moto.s3.models import s3_backends

        self.account, self.region, self.bucket = account, region, bucket
        self.backend = s3_backends[account]["aws"]

    def put(self, key: str, body: bytes) -> None:
        self.backend.put_object(self.bucket, key, body)

    def get(self, key: str) -> bytes | None:
        found = self.backend.get_object(self.bucket, key)
        return found.value if found is not None else None

    def denied(self, role_arn: str, what: str, key: str) -> str | None:
        """Why the notebook's role may not put or get ``key`` (None: it may), S3 then KMS."""
        from notebook_guard_local.fake.access import kms_denied, s3_denied

        action = "s3:PutObject" if what == "put" else "s3:GetObject"
        reason = s3_denied(role_arn, action, self.bucket, key, self.account, self.region)
        if reason:
            return reason
        encryption = (self.backend.get_bucket(self.bucket).encryption or {}).get("Rule", {})
        key_id = encryption.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
        if key_id:
            return kms_denied(role_arn, "GenerateDataKey" if what == "put" else "Decrypt", key_id, self.account,
                              self.region)
        return None
