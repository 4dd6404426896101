"""A stand-in for the AWS CLI, for running the lifecycle scripts on this machine (tests/unit/test_lifecycle_scripts.py).

Implements exactly the commands the scripts use, against a directory that plays S3 (``$STUB_S3/<bucket>/<key>``):
``aws --version``; ``aws --region R s3 cp [--no-progress] [--checksum-algorithm A] SRC DST``; ``aws --region R s3 sync
[--no-progress] [--no-follow-symlinks] [--exclude PATTERN] [--checksum-algorithm A] SRC DST`` (exit code 2 when it
skips a file it cannot read or a special file, as the CLI documents); ``aws --region R s3api list-objects-v2 --bucket B
--prefix P --output json``. ``STUB_NO_CHECKSUM=1`` refuses ``--checksum-algorithm`` as an old CLI would (exit 255);
``STUB_DENY=1`` refuses every S3 write (exit 1, AccessDenied).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import stat
import sys


def s3_path(uri: str) -> str:
    bucket, _, key = uri[len("s3://"):].partition("/")
    return os.path.join(os.environ["STUB_S3"], bucket, *key.split("/"))


def options(args: list[str]) -> tuple[list[str], dict]:
    positional, flags, excludes = [], {}, []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("--no-progress", "--no-follow-symlinks"):
            flags[arg] = True
        elif arg in ("--checksum-algorithm", "--bucket", "--prefix", "--output", "--exclude"):
            if arg == "--checksum-algorithm" and os.environ.get("STUB_NO_CHECKSUM"):
                sys.stderr.write("Unknown options: --checksum-algorithm\n")
                sys.exit(255)
            if arg == "--exclude":
                excludes.append(args[index + 1])
            else:
                flags[arg] = args[index + 1]
            index += 1
        else:
            positional.append(arg)
        index += 1
    flags["excludes"] = excludes
    return positional, flags


def write(destination: str, source: str) -> None:
    if os.environ.get("STUB_DENY"):
        sys.stderr.write("upload failed: An error occurred (AccessDenied) when calling the PutObject operation\n")
        sys.exit(1)
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    shutil.copyfile(source, destination)


def sync(source: str, destination: str, flags: dict) -> int:
    code = 0
    if source.startswith("s3://"):
        root = s3_path(source)
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                target = os.path.join(destination, os.path.relpath(path, root))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(path, target)
        return 0
    for dirpath, dirs, files in os.walk(source):
        for name in sorted(files) + sorted(d for d in dirs if os.path.islink(os.path.join(dirpath, d))):
            path = os.path.join(dirpath, name)
            relative = os.path.relpath(path, source).replace(os.sep, "/")
            if any(fnmatch.fnmatch(relative, pattern) for pattern in flags["excludes"]):
                continue
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode) and flags.get("--no-follow-symlinks"):
                continue
            if not stat.S_ISREG(os.stat(path).st_mode) or not os.access(path, os.R_OK):
                sys.stderr.write(f"warning: Skipping file {path}. File is not a regular file.\n")
                code = 2
                continue
            write(os.path.join(s3_path(destination), *relative.split("/")), path)
    return code


def main(argv: list[str]) -> int:
    if argv[:1] == ["--version"]:
        print("aws-cli/1.99.0 Python/3.7.16 Linux/5.10 botocore/1.99.0")
        return 0
    if argv[:1] == ["--region"]:
        argv = argv[2:]
    service, command, *rest = argv
    positional, flags = options(rest)
    if (service, command) == ("s3", "cp"):
        source, destination = positional
        if source.startswith("s3://"):
            path = s3_path(source)
            if not os.path.exists(path):
                sys.stderr.write("fatal error: An error occurred (404) when calling the HeadObject operation\n")
                return 1
            shutil.copyfile(path, destination)
        else:
            write(s3_path(destination), source)
        return 0
    if (service, command) == ("s3", "sync"):
        return sync(positional[0], positional[1], flags)
    if (service, command) == ("s3api", "list-objects-v2"):
        root = os.path.join(os.environ["STUB_S3"], flags["--bucket"])
        contents = []
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                key = os.path.relpath(path, root).replace(os.sep, "/")
                if key.startswith(flags["--prefix"]):
                    contents.append({"Key": key, "Size": os.path.getsize(path)})
        print(json.dumps({"Contents": sorted(contents, key=lambda c: c["Key"])}))
        return 0
    sys.stderr.write(f"stub aws: unsupported {argv}\n")
    return 252


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
