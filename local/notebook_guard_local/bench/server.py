"""A seeded moto server behind the latency proxy: in-process for tests, or as a subprocess for the bench.

As a subprocess (``python -m notebook_guard_local.bench.server --notebooks N``) it prints one JSON line with
its URLs, then obeys one command per stdin line, answering one JSON line each:
``latency MS``, ``reset``, ``counts``, ``quit``. It exits when stdin closes (the bench died) or after
``--max-seconds``. Running moto in its own process keeps the server's CPU off the measured client's core.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from collections import Counter

from notebook_guard_local.bench.proxy import LatencyProxy
from notebook_guard_local.bench.seed import SeededNotebook, plan_account, seed_backend


class SeededAccount:
    """moto's ThreadedMotoServer on a free loopback port, seeded, with a LatencyProxy in front."""

    def __init__(
        self, notebooks: list[SeededNotebook], region: str = "us-east-1", latency_ms: float = 0.0,
        max_seconds: float = 1800.0,
    ) -> None:
        self.notebooks = notebooks
        self.region = region
        self.latency_ms = latency_ms
        self.max_seconds = max_seconds
        self.seed_seconds = 0.0
        self._moto = None
        self.proxy: LatencyProxy | None = None

    def start(self) -> SeededAccount:
        import logging

        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
        _speed_up_moto_dispatch()
        # Same 40 ms delayed-ACK stall as in the proxy (headers and body are written separately).
        MotoRequestHandler.disable_nagle_algorithm = True
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        started = time.perf_counter()
        seed_backend(self.notebooks, self.region)
        self.seed_seconds = time.perf_counter() - started
        self.proxy = LatencyProxy(self.moto_url, self.latency_ms, max_seconds=self.max_seconds).start()
        return self

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        # moto's backends are process-wide: leave none of this account behind for the next one.
        from moto.sagemaker.models import sagemaker_backends

        sagemaker_backends.reset()

    @property
    def moto_url(self) -> str:
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """Where clients point ``AWS_ENDPOINT_URL``: the proxy."""
        return self.proxy.url

    def __enter__(self) -> SeededAccount:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _speed_up_moto_dispatch() -> None:
    """moto's server lists its own package directory (one stat per service) on every request to find the
    backend; the answer never changes while it runs, so remember it. A third of moto's time per call."""
    import functools

    from moto import backends

    if not getattr(backends.list_of_moto_modules, "cache_info", None):
        listed = backends.list_of_moto_modules
        backends.list_of_moto_modules = functools.cache(lambda: tuple(listed()))


def serve(args: argparse.Namespace) -> int:
    account = SeededAccount(plan_account(args.notebooks), args.region, args.latency_ms, args.max_seconds).start()
    # Past the deadline the process goes, whatever the bench is doing.
    threading.Timer(args.max_seconds, lambda: _exit_now(account)).start()
    reply({"url": account.url, "moto_url": account.moto_url, "seed_seconds": round(account.seed_seconds, 3)})
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "latency":
            account.proxy.latency_ms = float(argument)
            reply({"latency_ms": account.proxy.latency_ms})
        elif command == "reset":
            account.proxy.reset()
            reply({"reset": True})
        elif command == "counts":
            reply({"counts": dict(account.proxy.counts())})
        elif command == "quit":
            reply({"quit": True})
            break
        else:
            reply({"error": f"unknown command {command!r}"})
    _exit_now(account)
    return 0


def _exit_now(account: SeededAccount) -> None:
    import os

    try:
        account.proxy.stop()
    finally:
        os._exit(0)  # the moto server thread is not a daemon worth waiting for


def reply(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notebooks", type=int, required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    return serve(parser.parse_args(argv))


class RemoteAccount:
    """The bench's handle on a ``server`` subprocess."""

    def __init__(self, notebooks: int, region: str, python: str, env: dict, max_seconds: float = 1800.0) -> None:
        import subprocess

        self.notebooks = plan_account(notebooks)
        self.region = region
        self._process = subprocess.Popen(
            [python, "-m", "notebook_guard_local.bench.server", "--notebooks", str(notebooks),
             "--region", region, "--max-seconds", str(max_seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        hello = self._read()
        self.url = hello["url"]
        self.seed_seconds = hello["seed_seconds"]
        self.moto_url = hello["moto_url"]

    def _read(self) -> dict:
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the bench server exited (code {self._process.poll()})")
        return json.loads(line)

    def _ask(self, command: str) -> dict:
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return self._read()

    def set_latency(self, latency_ms: float) -> None:
        self._ask(f"latency {latency_ms}")

    def reset_counts(self) -> None:
        self._ask("reset")

    def counts(self) -> Counter[str]:
        return Counter(self._ask("counts")["counts"])

    def close(self) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                self._ask("quit")
            try:
                self._process.wait(timeout=10)
            except Exception:
                self._process.kill()
        for stream in (self._process.stdin, self._process.stdout):
            if stream:
                stream.close()

    def __enter__(self) -> RemoteAccount:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(main())
