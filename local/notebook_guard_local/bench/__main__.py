"""``make bench``: how fast and how frugal the sweep and the audit are, next to Cloud Custodian.

For each size N it starts a moto server seeded with N notebooks (two thirds out of VPC, some exempt) behind a
loopback proxy that adds a simulated round-trip latency per call and counts calls by operation, then times
the sweep (``run_sweep`` in-process), the audit (the CLI as a subprocess) and ``custodian run`` with and
without the latency. It also reports import times (a cold-start proxy) and the Lambda asset size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from notebook_guard_local.bench import custodian, footprint, runner
from notebook_guard_local.bench.server import RemoteAccount
from notebook_guard_local.bench.workflow import measure_workflow_transitions

ROOT = Path(__file__).resolve().parents[3]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "boto3": version("boto3"),
        "moto": version("moto"),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m notebook_guard_local.bench", description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000", help="notebook counts, comma-separated")
    parser.add_argument("--latency-ms", type=float, default=40.0, help="simulated latency per call (0: none)")
    parser.add_argument("--no-custodian", action="store_true", help="skip Cloud Custodian")
    parser.add_argument(
        "--serial", action="store_true", help="run Cloud Custodian's latency runs alone, not alongside (slower)"
    )
    parser.add_argument("--no-footprint", action="store_true", help="skip import times and asset size")
    parser.add_argument("--import-repeat", type=int, default=5, help="fresh interpreters per import timing")
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results", help="where results are written")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be integers, got {args.sizes!r}")
    if any(n < 0 for n in args.sizes) or args.latency_ms < 0:
        parser.error("sizes and latency must not be negative")
    return args


def run(args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    load_at_start = round(os.getloadavg()[0], 1)
    # This process sweeps in-process: from here on it has fake credentials and no route to real AWS.
    os.environ.update(runner.offline_environment(dict(os.environ)))
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(variable, None)
    # Until a run points it at its proxy, any client here goes to a closed loopback port. Setting it now also
    # keeps os.environ's size fixed while the background thread copies it.
    os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"

    executable = None
    custodian_note = "skipped (--no-custodian)" if args.no_custodian else ""
    if not args.no_custodian:
        try:
            executable = custodian.ensure_custodian(ROOT, log)
            custodian_note = custodian.version(executable)
        except custodian.CustodianUnavailable as error:
            custodian_note = f"not available: {error}"
            log(f"Cloud Custodian {custodian_note}")

    latencies = [args.latency_ms, 0.0] if args.latency_ms > 0 else [0.0]
    measurements: list[runner.Measurement] = []
    background = None
    overlap = executable is not None and args.latency_ms > 0 and not args.serial
    if overlap:
        # c7n with latency spends its time waiting (its ListTags go one at a time), so it runs on its own
        # moto server while the sweep and the audit are measured; --serial runs everything one after another.
        background = threading.Thread(
            target=custodian_with_latency,
            args=(args.sizes, args.latency_ms, executable, measurements),
            name="custodian-with-latency",
        )
        background.start()
    for size in args.sizes:
        env = runner.offline_environment(dict(os.environ))
        with RemoteAccount(size, runner.REGION, sys.executable, env) as account:
            log(f"{size} notebooks seeded in {account.seed_seconds:.1f} s")
            for latency in latencies:
                account.set_latency(latency)
                measurements.append(record(runner.measure_sweep(account, latency)))
                measurements.append(record(runner.measure_audit(account, latency)))
                if executable is not None and not (overlap and latency > 0):
                    measurements.append(record(runner.measure_custodian(account, latency, executable)))

    footprint_result = None
    if not args.no_footprint:
        log("import times and asset size")
        footprint_result = measure_footprint(args.import_repeat)
    if background is not None:
        log("waiting for Cloud Custodian's runs with latency")
        background.join()
    order = {"sweep": 0, "audit": 1, "custodian": 2}
    measurements.sort(key=lambda m: (m.notebooks, -m.latency_ms, order[m.tool]))

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load": {"start": load_at_start, "end": round(os.getloadavg()[0], 1)},
        "machine": machine(),
        "latency_ms": args.latency_ms,
        "custodian": custodian_note,
        "custodian_overlapped": overlap,
        "measurements": measurements,
        "workflow": measure_workflow_transitions(ROOT),
        "footprint": footprint_result,
        "bench_seconds": time.perf_counter() - started,
    }


def record(measurement: runner.Measurement) -> runner.Measurement:
    seconds = f"{measurement.seconds:.2f} s" if measurement.seconds is not None else "failed"
    log(
        f"  {measurement.tool:<9} N={measurement.notebooks:<5} latency={measurement.latency_ms:g} ms: "
        f"{seconds} {measurement.note}"
    )
    return measurement


def custodian_with_latency(sizes: list[int], latency_ms: float, executable: Path, into: list) -> None:
    """c7n with latency for every size at once, each on its own moto server: these runs mostly wait."""

    def one(size: int) -> None:
        env = runner.offline_environment(dict(os.environ))
        try:
            with RemoteAccount(size, runner.REGION, sys.executable, env) as account:
                account.set_latency(latency_ms)
                into.append(record(runner.measure_custodian(account, latency_ms, executable)))
        except Exception as error:  # reported in the table, never fatal to the rest of the bench
            into.append(record(runner.Measurement("custodian", size, latency_ms, note=f"bench error: {error}")))

    threads = [threading.Thread(target=one, args=(size,), name=f"custodian-{size}") for size in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def measure_footprint(repeat: int) -> dict:
    lambdas = ROOT / "lambdas"
    env = footprint.lambda_like_environment(dict(os.environ))
    # The workflow's steps share one set of imports (steps/common.py): one of them stands for all, which keeps
    # this part of the bench to seconds rather than a minute.
    handlers = [m for m in footprint.handler_modules(lambdas) if ".steps." not in m]
    modules = ["boto3", *handlers, "notebook_guard.handlers.steps.snapshot"]
    times = [footprint.import_time(module, sys.executable, env, repeat) for module in modules]
    # What the X-Ray SDK (Powertools Tracer, loaded when tracing is on) adds to a cold start.
    sweep = "notebook_guard.handlers.sweep"
    untraced = footprint.import_time(sweep, sys.executable, {**env, "POWERTOOLS_TRACE_DISABLED": "true"}, repeat)
    times.append(footprint.ImportTime(f"{untraced.module} (tracing off)", untraced.seconds))
    return {"imports": times, "asset": footprint.asset_size(lambdas)}


def main(argv: list[str] | None = None) -> int:
    from notebook_guard_local.bench import report

    args = parse_args(argv)
    saved = dict(os.environ)
    try:
        results = run(args)
    finally:  # run() points this process at its fake accounts; leave the caller's environment as it was
        os.environ.clear()
        os.environ.update(saved)
    text = report.render(results)
    print(text)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bench.md").write_text(text + "\n")
    (args.output / "bench.json").write_text(json.dumps(report.to_json(results), indent=2) + "\n")
    log(f"written to {args.output}/bench.md and bench.json; whole bench {results['bench_seconds']:.0f} s")
    wrong = [m for m in results["measurements"] if m.seconds is not None and not m.correct]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
