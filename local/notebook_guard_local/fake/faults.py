"""Fault injection at a named AWS call, and a record of every call made.

Kinds: ``throttling``, ``server-error`` and ``access-denied`` fail the call (it has no effect);
``lost-response`` lets the call take effect and then answers a 500, as when AWS acted but its answer was lost
(the caller's retry then meets the effect of its own first try). A fault applies to every call, to the next
``times`` calls, after ``after`` calls, or while ``active_while()`` is true (e.g. a virtual clock's window).

Installed as the first ``before-send`` handler of every botocore session created afterwards (the same
mechanism moto's in-process mock uses), so a fault is answered before moto sees the request and botocore's
own retry logic handles it exactly as it would a real error. Works whether requests would go to the in-process
mock or to a moto server.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

import botocore.handlers
import botocore.session
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

FAULT_KINDS = ("throttling", "server-error", "access-denied")
LOST_RESPONSE = "lost-response"  # the call takes effect, then the caller gets a 500

# (kind, protocol) -> (HTTP status, error code)
_ERRORS = {
    ("throttling", "json"): (400, "ThrottlingException"),
    ("throttling", "query"): (400, "Throttling"),
    ("throttling", "ec2"): (503, "RequestLimitExceeded"),
    ("throttling", "rest-xml"): (503, "SlowDown"),
    ("server-error", "json"): (500, "InternalFailure"),
    ("server-error", "query"): (500, "InternalFailure"),
    ("server-error", "ec2"): (500, "InternalError"),
    ("server-error", "rest-xml"): (500, "InternalError"),
    ("access-denied", "json"): (400, "AccessDeniedException"),
    ("access-denied", "query"): (403, "AccessDenied"),
    ("access-denied", "ec2"): (403, "UnauthorizedOperation"),
    ("access-denied", "rest-xml"): (403, "AccessDenied"),
}
_protocols: dict[str, str] = {}
_loader_lock = threading.Lock()


# botocore's event names use the service id ("sfn"), its loader the service's model name ("stepfunctions").
_MODEL_NAMES = {"sfn": "stepfunctions"}


def _protocol(service: str) -> str:
    with _loader_lock:
        if service not in _protocols:
            model = _MODEL_NAMES.get(service, service)
            _protocols[service] = botocore.session.get_session().get_service_model(model).protocol
        return _protocols[service]


def error_response(url: str, service: str, kind: str, operation: str) -> AWSResponse:
    protocol = _protocol(service)
    kind = "server-error" if kind == LOST_RESPONSE else kind
    status, code = _ERRORS[(kind, protocol if protocol in ("json", "query", "ec2", "rest-xml") else "json")]
    message = f"injected {kind} fault at {service}:{operation}"
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"x-amzn-RequestId": "fault", "Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}
    elif protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>fault</RequestID></Response>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>fault</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    else:
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>".encode()
        headers = {"Content-Type": "application/xml"}
    return AWSResponse(url, status, headers, MockRawResponse(body))


@dataclass
class Fault:
    call: str  # "service:Operation", e.g. "sagemaker:DeleteNotebookInstance"
    kind: str  # one of FAULT_KINDS
    times: int | None = None  # None: every call; else the next ``times`` calls
    after: int = 0  # let this many calls through first
    hits: int = 0
    active_while: Callable[[], bool] | None = None  # None: always active


class Faults:
    """Install with ``with Faults() as faults:``; then ``faults.inject("sagemaker:StopNotebookInstance", ...)``."""

    def __init__(self, services: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._seen: Counter[str] = Counter()
        self.calls: list[str] = []  # every call, in order (including retries)
        self._services = services  # empty: record all services

    def inject(
        self,
        call: str,
        kind: str,
        times: int | None = None,
        after: int = 0,
        active_while: Callable[[], bool] | None = None,
    ) -> Fault:
        if kind not in (*FAULT_KINDS, LOST_RESPONSE):
            raise ValueError(f"unknown fault kind {kind!r}; one of {(*FAULT_KINDS, LOST_RESPONSE)}")
        with self._lock:
            fault = Fault(call, kind, times, after + self._seen[call], active_while=active_while)  # ``after``: from now
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __call__(self, request, event_name: str, **kwargs):
        # event_name: before-send.<service-id>.<Operation>
        _, service, operation = event_name.split(".", 2)
        call = f"{service}:{operation}"
        if self._services and service not in self._services:
            return None
        with self._lock:
            self.calls.append(call)
            self._seen[call] += 1
            for fault in self._faults:
                if fault.call != call or self._seen[call] <= fault.after:
                    continue
                if fault.times is not None and fault.hits >= fault.times:
                    continue
                if fault.active_while is not None and not fault.active_while():
                    continue
                fault.hits += 1
                # botocore calls every before-send handler and keeps the first answer. A failed call has no
                # effect: mark the request so moto's in-process stubber does not execute it. A lost response
                # is left unmarked, so the stubber executes it, and this 500 is still the answer the caller sees.
                if fault.kind != LOST_RESPONSE:
                    request.notebook_guard_fault = True
                return error_response(request.url, service, fault.kind, operation)
        return None

    def __enter__(self) -> Faults:
        # First in the list, so its answer wins over moto's own before-send stubber.
        botocore.handlers.BUILTIN_HANDLERS.insert(0, ("before-send", self))
        original = BotocoreStubber.__call__

        def stubber(stub, event_name, request, **kwargs):
            if getattr(request, "notebook_guard_fault", False):
                return None
            return original(stub, event_name, request, **kwargs)

        self._stubber_patch = mock.patch.object(BotocoreStubber, "__call__", stubber)
        self._stubber_patch.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stubber_patch.stop()
        botocore.handlers.BUILTIN_HANDLERS.remove(("before-send", self))
