"""How the command line reaches AWS: profile, endpoint, regions, fail-fast retries, one-line errors.

Below the commands and the operations (plan, restore, audit): nothing here knows about argparse. The clients
themselves come from ``notebook_guard.aws.clients`` (the Lambda code's), configured here for a person at a
terminal: a short connect timeout, at most two attempts per call, and a word on stderr while a call waits
or is retried.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TextIO
from urllib.parse import urlsplit

from botocore.config import Config

# A person is waiting: an unreachable endpoint must fail in seconds, not after the Lambda functions' eleven
# adaptive attempts (about 20 s of back-off). Two attempts in all, 4 s to connect each: a black-holed endpoint
# fails in under 10 s, a refused connection in about one. Adaptive mode still slows down after a throttle.
CLI_CONFIG = Config(
    retries={"mode": "adaptive", "total_max_attempts": 2},
    connect_timeout=4,
    read_timeout=20,
    max_pool_connections=32,
)
MAX_ATTEMPTS = 2
SLOW_CALL_SECONDS = 1.5  # a call waiting longer than this is announced on stderr


class CommandError(Exception):
    """A problem the user can fix (bad option, no region, AWS refused): printed as one line, exit 2."""


@dataclass(frozen=True)
class Access:
    """How to reach AWS, as the global options chose it."""

    profile: str | None = None
    endpoint_url: str | None = None
    quiet: bool = False
    verbose: bool = False


def configure(access: Access) -> None:
    """Clients made from now on use the profile, endpoint and fail-fast configuration; calls are announced."""
    from notebook_guard.aws import clients

    if access.endpoint_url:
        validate_endpoint(access.endpoint_url)
    notices = CallNotices(quiet=access.quiet, verbose=access.verbose)
    clients.configure(
        profile=access.profile, endpoint_url=access.endpoint_url, config=CLI_CONFIG, on_session=notices.register
    )


def validate_endpoint(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"invalid endpoint URL {url!r}: expected http(s)://host[:port]")
    return url


# --- regions ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _partitions() -> tuple[tuple[str, re.Pattern, frozenset[str]], ...]:
    """(partition, region regex, known regions) from botocore's endpoint data."""
    import botocore.session

    data = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    return tuple(
        (p["partition"], re.compile(p["regionRegex"]), frozenset(p.get("regions", {}))) for p in data["partitions"]
    )


def custom_endpoint() -> str | None:
    """The endpoint every call goes to instead of AWS's, when one is set (--endpoint-url, AWS_ENDPOINT_URL)."""
    from notebook_guard.aws import clients

    return clients.configured_endpoint() or os.environ.get("AWS_ENDPOINT_URL")


def validate_region(name: str) -> str:
    """``name`` if it is a region botocore knows, in any partition; a one-line CommandError otherwise.

    Without this, a made-up region reaches an endpoint that does not exist (a DNS failure after every retry)
    or, behind a local endpoint, an HTML error page. With a custom endpoint (a local emulator, a private
    endpoint), a name of a partition's region pattern is allowed too (``eu-west-9``; never ``mars-north-9``).
    """
    partitions = _partitions()
    if any(name in regions for _, _, regions in partitions):
        return name
    if custom_endpoint() and any(pattern.fullmatch(name) for _, pattern, _ in partitions):
        return name
    known = sorted(set().union(*(regions for _, _, regions in partitions)))
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise CommandError(
        f"unknown region {name!r}{hint}: not a region of any AWS partition botocore {_botocore_version()} knows"
    )


def _botocore_version() -> str:
    import botocore

    return botocore.__version__


def partition_of(region: str) -> str:
    for partition, pattern, regions in _partitions():
        if region in regions or pattern.fullmatch(region):
            return partition
    return "aws"


def resolve_region(requested: str | None) -> str:
    """--region, else AWS_REGION, else what boto3 resolves (AWS_DEFAULT_REGION, then the profile); validated.

    botocore reads AWS_DEFAULT_REGION and the profile but not AWS_REGION (which the AWS CLI v2 and Lambda
    set), so AWS_REGION is consulted here before handing over to boto3.
    """
    if requested:
        return validate_region(requested)
    if os.environ.get("AWS_REGION"):
        return validate_region(os.environ["AWS_REGION"])
    from notebook_guard.aws import clients

    region = clients.session().region_name
    if not region:
        raise CommandError("no AWS region: pass --region REGION or set AWS_REGION")
    return validate_region(region)


def sagemaker_regions(partition: str) -> frozenset[str]:
    """Regions where botocore knows a SageMaker endpoint in this partition."""
    from notebook_guard.aws import clients

    return frozenset(clients.session().get_available_regions("sagemaker", partition_name=partition))


# --- errors ----------------------------------------------------------------------------------------------


def describe_aws_error(error: BaseException) -> str:
    """One line for an AWS or botocore failure, naming the cause a user can act on."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
    )
    from botocore.parsers import ResponseParserError

    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE (or --profile) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    if isinstance(error, ProfileNotFound):
        return f"{error} (profiles come from AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, ~/.aws by default)"
    if isinstance(error, PartialCredentialsError | NoRegionError):
        return str(error)
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError | EndpointConnectionError | ConnectionClosedError):
        parts = urlsplit(getattr(error, "kwargs", {}).get("endpoint_url", ""))
        url = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "(unknown)"
        reason = "timed out" if isinstance(error, ConnectTimeoutError | ReadTimeoutError) else "connection failed"
        return f"cannot reach the AWS endpoint {url} ({reason} after {MAX_ATTEMPTS} attempts)"
    if isinstance(error, ResponseParserError):
        return "the endpoint's answer is not an AWS response (is the endpoint right?)"
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        operation = getattr(error, "operation_name", "") or "the AWS call"
        code, message = details.get("Code", "Error"), one_line(details.get("Message", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if message.lstrip().startswith("<") or code.isdigit():
            # Not an AWS error document (an HTML page from a proxy or a local server): say so, not the page.
            return (
                f"{operation} failed: the endpoint answered HTTP {status or code} with no AWS error "
                "(is the endpoint right?)"
            )
        hint = _HINTS.get(code, "")
        return f"{operation} failed: {code}: {message}".rstrip(": ") + hint
    return one_line(f"{type(error).__name__}: {error}")


_HINTS = {
    "UnrecognizedClientException": " (are the credentials valid, and is the region enabled for the account?)",
    "InvalidClientTokenId": " (are the credentials valid, and is the region enabled for the account?)",
    "ExpiredTokenException": " (refresh the credentials, e.g. aws sso login)",
}


def one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- what a waiting person sees ------------------------------------------------------------------------------


class CallNotices:
    """botocore event hooks: a line on stderr when a call waits long or is retried; each call with --verbose.

    Registered on the clients' session, so every client made from it reports. ``before-send`` and
    ``response-received`` bracket each attempt (``response-received`` also fires when the attempt raised);
    botocore's ``amz-sdk-request`` header tells which attempt is being sent.
    """

    def __init__(
        self,
        *,
        quiet: bool = False,
        verbose: bool = False,
        stream: TextIO | None = None,
        slow_after: float | None = None,
    ) -> None:
        self.quiet, self.verbose = quiet, verbose
        self._stream = stream
        self.slow_after = SLOW_CALL_SECONDS if slow_after is None else slow_after
        self._lock = threading.Lock()
        self._in_flight: dict[int, list] = {}  # thread id -> [started, operation, host, announced]
        self._last_error: dict[int, str] = {}
        self._watcher: threading.Thread | None = None

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr  # looked up at print time (tests capture stderr)

    def register(self, session) -> None:
        if self.quiet:
            return
        session.events.register("before-send", self._sending)
        session.events.register("response-received", self._received)

    def say(self, text: str) -> None:
        print(f"notebook-guard: {text}", file=self.stream, flush=True)

    def _sending(self, request, event_name: str, **_) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        host = urlsplit(request.url).netloc
        attempt = _attempt_of(request.headers)
        thread = threading.get_ident()
        if attempt > 1:
            why = self._last_error.get(thread, "an error")
            self.say(f"{operation} to {host} failed ({why}); retrying (attempt {attempt} of {MAX_ATTEMPTS})")
        with self._lock:
            self._in_flight[thread] = [time.monotonic(), operation, host, False]
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="notebook-guard-notices", daemon=True)
                self._watcher.start()

    def _received(self, event_name: str, exception=None, response_dict=None, **_) -> None:
        thread = threading.get_ident()
        with self._lock:
            started, operation, host, _ = self._in_flight.pop(thread, [time.monotonic(), "?", "?", False])
        status = (response_dict or {}).get("status_code")
        if exception is not None:
            self._last_error[thread] = one_line(_short_reason(exception), 120)
        elif status and status >= 400:
            self._last_error[thread] = f"HTTP {status}"
        if self.verbose:
            outcome = type(exception).__name__ if exception is not None else f"HTTP {status}"
            self.say(f"{operation} {host}: {outcome} in {time.monotonic() - started:.2f} s")

    def _watch(self) -> None:
        while True:
            time.sleep(min(0.25, self.slow_after / 2))
            now = time.monotonic()
            with self._lock:
                if not self._in_flight:
                    self._watcher = None  # the next call starts another watcher
                    return
                due = [e for e in self._in_flight.values() if not e[3] and now - e[0] >= self.slow_after]
                hosts = {entry[2] for entry in due}
                for entry in due:
                    entry[3] = True
            for host in sorted(hosts):
                self.say(f"waiting for {host} ...")


def _attempt_of(headers) -> int:
    value = headers.get("amz-sdk-request") or ""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    match = re.search(r"attempt=(\d+)", value)
    return int(match.group(1)) if match else 1


def _short_reason(error: BaseException) -> str:
    """Why an attempt failed, in a few words: the socket's error rather than botocore's wrapper."""
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    if isinstance(error, ConnectTimeoutError):
        return "connect timeout"
    if isinstance(error, ReadTimeoutError):
        return "read timeout"
    text = str(getattr(error, "kwargs", {}).get("error") or error)
    for marker in ("[Errno", "Name or service not known", "timed out"):
        if marker in text:
            return text[text.index(marker) :].rstrip(")'\"")
    return f"{type(error).__name__}: {text}"
