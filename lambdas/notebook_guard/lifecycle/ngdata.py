"""notebook-guard's data tool: runs ON THE NOTEBOOK, inside the backup and restore lifecycle scripts.

The scripts embed this file verbatim (a quoted here-document) and run it with the notebook's ``python3`` (Amazon
Linux 2 ships 3.7): standard library only, no annotations, nothing newer than Python 3.7. The Lambda side imports
the pure parts (``parse_manifest``, ``listing_problems``, ``summary_of``) to verify what the notebook wrote, so
both sides read one format.

Subcommands (each exits 1 with the reason on stderr and in ``--reason-file`` when given):
- ``scan ROOT STATE``: lstat every entry under ROOT (the top-level ``lost+found`` excluded); writes the summary
  and each file's size and modification time, before the upload.
- ``manifest ROOT STATE MANIFEST SUMMARY``: one JSON line per entry (path, type, size, sha256, mode, owner,
  modification time, link target), after the upload; fails when a file changed since ``scan`` (the notebook
  was in use: what was uploaded may not be what was hashed).
- ``check-listing MANIFEST LISTING DATA_PREFIX``: every file of the manifest has an object of the same size
  (LISTING: ``aws s3api list-objects-v2 --output json``).
- ``apply MANIFEST ROOT RESULT``: after the download, recreate directories and links, verify every file's size
  and SHA-256 against the manifest, restore mode, owner and modification time.
- ``marker OUT STATE [--summary FILE] [--result FILE] [--reason TEXT]``: a marker document.
- ``sha256 FILE``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
import sys
import time

SCHEMA = "notebook-guard/manifest"
MARKER_SCHEMA = "notebook-guard/marker"
VERSION = 1
# The filesystem's own directory at the volume's root (ext4's lost+found, root-only): never user data. AWS's
# sample excludes "*/lost+found/*"; the aws s3 sync filter below names the top-level one.
EXCLUDED = ("lost+found",)
FILE, DIRECTORY, LINK, SPECIAL = "file", "dir", "link", "special"
CHUNK = 1024 * 1024
MAX_REPORTED = 50


class Refused(Exception):
    """The data cannot be trusted; the message says why."""


def _relative(root, path):
    return os.path.relpath(path, root).replace(os.sep, "/")


def _walk(root):
    """(relative path, absolute path, lstat) of every entry under root, sorted, lost+found excluded."""
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.abspath(dirpath) == os.path.abspath(root):
            dirnames[:] = [d for d in dirnames if d not in EXCLUDED]
        dirnames.sort()
        names = sorted(dirnames) + sorted(filenames)
        for name in names:
            path = os.path.join(dirpath, name)
            yield _relative(root, path), path, os.lstat(path)


def _kind(mode):
    if stat.S_ISLNK(mode):
        return LINK
    if stat.S_ISDIR(mode):
        return DIRECTORY
    if stat.S_ISREG(mode):
        return FILE
    return SPECIAL


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def summary_of(entries):
    """Counts of a manifest's entries: files and their bytes, directories, links, special files."""
    summary = {"files": 0, "bytes": 0, "directories": 0, "links": 0, "special": 0}
    for entry in entries:
        kind = entry.get("type")
        if kind == FILE:
            summary["files"] += 1
            summary["bytes"] += int(entry.get("size") or 0)
        elif kind == DIRECTORY:
            summary["directories"] += 1
        elif kind == LINK:
            summary["links"] += 1
        else:
            summary["special"] += 1
    return summary


def scan(root):
    """The state before the upload: path -> [type, size, mtime_ns] for every entry."""
    state = {}
    for relative, _path, info in _walk(root):
        state[relative] = [_kind(info.st_mode), info.st_size, info.st_mtime_ns]
    return state


def manifest_entries(root, before=None):
    """Every entry with what a restore needs; raises Refused when a file changed since ``before`` (scan)."""
    entries, changed = [], []
    for relative, path, info in _walk(root):
        kind = _kind(info.st_mode)
        entry = {
            "path": relative,
            "type": kind,
            "mode": stat.S_IMODE(info.st_mode),
            "uid": info.st_uid,
            "gid": info.st_gid,
            "mtime_ns": info.st_mtime_ns,
        }
        if kind == FILE:
            entry["size"] = info.st_size
            entry["sha256"] = sha256_of(path)
            after = os.lstat(path)
            if (after.st_size, after.st_mtime_ns) != (info.st_size, info.st_mtime_ns):
                changed.append(relative)
        elif kind == LINK:
            entry["target"] = os.readlink(path)
        if before is not None and kind == FILE:
            earlier = before.get(relative)
            if earlier is None or earlier[1:] != [info.st_size, info.st_mtime_ns]:
                changed.append(relative)
        entries.append(entry)
    if before is not None:
        seen = {e["path"] for e in entries}
        changed += [p for p, v in before.items() if v[0] == FILE and p not in seen]
    if changed:
        shown = ", ".join(sorted(set(changed))[:MAX_REPORTED])
        raise Refused(
            f"{len(set(changed))} file(s) changed while the backup ran (the notebook was in use): {shown}"
        )
    return entries


def encode_manifest(entries, root):
    header = {"schema": SCHEMA, "version": VERSION, "root": root, "summary": summary_of(entries)}
    lines = [json.dumps(header, sort_keys=True)]
    lines += [json.dumps(entry, sort_keys=True, ensure_ascii=False) for entry in entries]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


def parse_manifest(data):
    """(header, entries) of a manifest's bytes; raises Refused when it is not one."""
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise Refused("the manifest is empty")
    try:
        header = json.loads(lines[0])
        entries = [json.loads(line) for line in lines[1:]]
    except ValueError as error:
        raise Refused(f"the manifest is not JSON lines: {error}") from None
    if header.get("schema") != SCHEMA or header.get("version") != VERSION:
        raise Refused(f"not a notebook-guard manifest (schema {header.get('schema')!r})")
    if summary_of(entries) != header.get("summary"):
        raise Refused("the manifest's entries do not add up to its summary")
    return header, entries


def listing_problems(entries, listing, data_prefix):
    """Why the uploaded objects (key -> size) do not match the manifest's files (empty: they do)."""
    problems = []
    for entry in entries:
        if entry.get("type") != FILE:
            continue
        key = data_prefix + entry["path"]
        if key not in listing:
            problems.append(f"missing object for {entry['path']}")
        elif int(listing[key]) != int(entry["size"]):
            problems.append(f"object for {entry['path']} has {listing[key]} bytes, the file {entry['size']}")
    return problems


def listing_of(document):
    """key -> size from ``aws s3api list-objects-v2 --output json`` (all pages: the CLI joins them)."""
    return {item["Key"]: item["Size"] for item in (document or {}).get("Contents") or []}


def apply(entries, root):
    """Recreate directories and links, verify files, restore metadata; (result summary, problems). Directories get
    their metadata last, deepest first: creating what they hold changes their modification time."""
    problems = []
    directories = []
    for entry in entries:
        path = os.path.join(root, *entry["path"].split("/"))
        kind = entry["type"]
        try:
            if kind == DIRECTORY:
                if not os.path.isdir(path):
                    os.makedirs(path)
            elif kind == LINK:
                if os.path.lexists(path):
                    os.remove(path)
                os.symlink(entry["target"], path)
            elif kind == FILE:
                if not os.path.isfile(path):
                    problems.append(f"{entry['path']} was not restored")
                    continue
                size = os.path.getsize(path)
                if size != entry["size"]:
                    problems.append(f"{entry['path']} has {size} bytes, the backup {entry['size']}")
                    continue
                if sha256_of(path) != entry["sha256"]:
                    problems.append(f"{entry['path']} differs from the backup (SHA-256)")
                    continue
            else:
                continue  # a socket or a device is not data; the backup refused them anyway
            if kind == DIRECTORY:
                directories.append((path, entry))
                continue
            _restore_metadata(path, entry)
        except OSError as error:
            problems.append(f"{entry['path']}: {error}")
    for path, entry in sorted(directories, key=lambda item: -item[1]["path"].count("/")):
        try:
            _restore_metadata(path, entry)
        except OSError as error:
            problems.append(f"{entry['path']}: {error}")
    return summary_of(entries), problems


def _restore_metadata(path, entry):
    os.lchown(path, entry["uid"], entry["gid"])
    if entry["type"] != LINK:
        os.chmod(path, entry["mode"])
        os.utime(path, ns=(entry["mtime_ns"], entry["mtime_ns"]))


def marker(state, summary=None, result=None, reason=None):
    document = {
        "schema": MARKER_SCHEMA,
        "state": state,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "execution": os.environ.get("NG_EXECUTION"),
        "aws_cli": os.environ.get("NG_CLI_VERSION"),
        "checksum_algorithm": os.environ.get("NG_CHECKSUM") or None,
    }
    document.update(summary or {})
    document.update(result or {})
    if reason:
        document["reason"] = reason[:4000]
    return document


def _read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _write(path, data):
    with open(path, "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def _fail(arguments, reason):
    sys.stderr.write(reason + "\n")
    if getattr(arguments, "reason_file", None):
        _write(arguments.reason_file, reason)
    return 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ngdata")
    parser.add_argument("--reason-file")
    commands = parser.add_subparsers(dest="command")
    command = commands.add_parser("scan")
    command.add_argument("root")
    command.add_argument("state")
    command = commands.add_parser("manifest")
    for name in ("root", "state", "manifest", "summary"):
        command.add_argument(name)
    command = commands.add_parser("check-listing")
    for name in ("manifest", "listing", "data_prefix"):
        command.add_argument(name)
    command = commands.add_parser("apply")
    for name in ("manifest", "root", "result"):
        command.add_argument(name)
    command = commands.add_parser("marker")
    command.add_argument("out")
    command.add_argument("state")
    command.add_argument("--summary")
    command.add_argument("--result")
    command.add_argument("--reason")
    command = commands.add_parser("sha256")
    command.add_argument("file")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "scan":
            state = scan(arguments.root)
            _write(arguments.state, json.dumps(state))
            counted = summary_of({"type": v[0], "size": v[1]} for v in state.values())
            sys.stdout.write(json.dumps(counted) + "\n")
        elif arguments.command == "manifest":
            entries = manifest_entries(arguments.root, _read_json(arguments.state))
            _write(arguments.manifest, encode_manifest(entries, arguments.root))
            _write(arguments.summary, json.dumps(summary_of(entries)))
        elif arguments.command == "check-listing":
            with open(arguments.manifest, "rb") as handle:
                _, entries = parse_manifest(handle.read())
            problems = listing_problems(entries, listing_of(_read_json(arguments.listing)), arguments.data_prefix)
            if problems:
                return _fail(arguments, f"{len(problems)} upload problem(s): {'; '.join(problems[:20])}")
        elif arguments.command == "apply":
            with open(arguments.manifest, "rb") as handle:
                _, entries = parse_manifest(handle.read())
            summary, problems = apply(entries, arguments.root)
            result = dict(summary, verified=not problems, problem_count=len(problems), problems=problems[:20])
            _write(arguments.result, json.dumps(result))
            if problems:
                return _fail(arguments, f"{len(problems)} restore problem(s): {'; '.join(problems[:20])}")
        elif arguments.command == "marker":
            summary = _read_json(arguments.summary) if arguments.summary and os.path.exists(arguments.summary) else {}
            result = _read_json(arguments.result) if arguments.result and os.path.exists(arguments.result) else {}
            _write(arguments.out, json.dumps(marker(arguments.state, summary, result, arguments.reason)))
        elif arguments.command == "sha256":
            sys.stdout.write(sha256_of(arguments.file) + "\n")
        else:
            parser.print_usage(sys.stderr)
            return 2
    except Refused as error:
        return _fail(arguments, str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
