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
    # This process sweeps in-process: from here on it has fake credentials and no route to real AWS.
    os.environ.update(runner.offline_environment(dict(os.environ)))
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(variable, None)

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
    for size in args.sizes:
        env = runner.offline_environment(dict(os.environ))
        with RemoteAccount(size, runner.REGION, sys.executable, env) as account:
            log(f"{size} notebooks seeded in {account.seed_seconds:.1f} s")
            for latency in latencies:
                account.set_latency(latency)
                for tool in ("sweep", "audit", "custodian"):
                    if tool == "custodian" and executable is None:
                        continue
                    if tool == "sweep":
                        measurement = runner.measure_sweep(account, latency)
                    elif tool == "audit":
                        measurement = runner.measure_audit(account, latency)
                    else:
                        measurement = runner.measure_custodian(account, latency, executable)
                    measurements.append(measurement)
                    seconds = f"{measurement.seconds:.2f} s" if measurement.seconds is not None else "failed"
                    log(f"  {tool:<9} N={size:<5} latency={latency:g} ms: {seconds} {measurement.note}")

    footprint_result = None
    if not args.no_footprint:
        log("import times and asset size")
        footprint_result = measure_footprint(args.import_repeat)

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "latency_ms": args.latency_ms,
        "custodian": custodian_note,
        "measurements": measurements,
        "workflow": measure_workflow_transitions(ROOT),
        "footprint": footprint_result,
        "bench_seconds": time.perf_counter() - started,
    }


def measure_footprint(repeat: int) -> dict:
    lambdas = ROOT / "lambdas"
    env = footprint.lambda_like_environment(dict(os.environ))
    modules = ["boto3", *footprint.handler_modules(lambdas)]
    times = [footprint.import_time(module, sys.executable, env, repeat) for module in modules]
    return {"imports": times, "asset": footprint.asset_size(lambdas)}


def main(argv: list[str] | None = None) -> int:
    from notebook_guard_local.bench import report

    args = parse_args(argv)
    results = run(args)
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
