"""The bench's printed table (Markdown, so it pastes into docs/performance.md) and its JSON record."""

from __future__ import annotations

import dataclasses

from notebook_guard_local.bench.runner import Measurement


def _seconds(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _speedup(measurement: Measurement, by_key: dict) -> str:
    if measurement.tool == "custodian" or measurement.seconds is None:
        return ""
    reference = by_key.get(("custodian", measurement.notebooks, measurement.latency_ms))
    if reference is None or reference.seconds is None:
        return "-"
    return f"{reference.seconds / measurement.seconds:.1f}x"


def measurement_rows(measurements: list[Measurement]) -> list[str]:
    by_key = {(m.tool, m.notebooks, m.latency_ms): m for m in measurements}
    rows = [
        "| notebooks | latency | tool | wall s | notebooks/s | List | Describe | ListTags | other | calls | "
        "minimum | found/expected | faster than c7n |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        calls = m.sagemaker_calls
        rate = f"{m.rate:.0f}" if m.rate else "-"
        found = f"{m.found}/{m.expected}" if m.found is not None else f"-/{m.expected}"
        if m.found is not None and not m.correct:
            found += " WRONG"
        rows.append(
            f"| {m.notebooks:,} | {m.latency_ms:g} ms | {m.tool} | {_seconds(m.seconds)} | {rate} | "
            f"{calls['ListNotebookInstances']} | {calls['DescribeNotebookInstance']} | {calls['ListTags']} | "
            f"{calls['other']} | {sum(m.calls.values())} | {sum(m.minimum.values())} | {found} | "
            f"{_speedup(m, by_key)} |"
        )
    return rows


def render(results: dict) -> str:
    machine = results["machine"]
    lines = [
        f"## notebook-guard bench, {results['when']}",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores; Python {machine['python']}, boto3 {machine['boto3']}, "
        f"moto {machine['moto']} (server in its own process); Cloud Custodian: {results['custodian']}. "
        f"Load average (1 min) {results['load']['start']} at start, {results['load']['end']} at the end.",
        f"Latency: {results['latency_ms']:g} ms added per call by a loopback proxy, and 0 ms (moto alone). "
        "Calls are counted at the proxy, per HTTP request. *minimum* = list pages + one Describe per notebook + "
        "ListTags per notebook in violation. *found/expected*: sweep and audit count violators that are not "
        "exempt, c7n counts notebooks with no SubnetId (its policy has no exemptions).",
        "Cloud Custodian's runs with latency ran on moto servers of their own (one per size, at the same time) "
        "alongside the sweep and audit runs (they mostly wait; `--serial` isolates them)."
        if results.get("custodian_overlapped")
        else "Every run ran alone.",
        "",
        *measurement_rows(results["measurements"]),
        "",
    ]
    notes = [m for m in results["measurements"] if m.note]
    for m in notes:
        lines.append(f"- {m.tool}, {m.notebooks} notebooks, {m.latency_ms:g} ms: {m.note}")
    if notes:
        lines.append("")
    workflow = results["workflow"]
    lines += ["Remediation time and state transitions (workflow): " + workflow.message, ""]
    footprint = results["footprint"]
    if footprint:
        imports = footprint["imports"]
        baseline = imports[0].seconds if imports else None
        lines += [
            "Import time (cold-start proxy; fastest of fresh interpreters, Lambda-like environment, tracing on):",
            "",
            "| module | import ms | vs boto3 alone |",
            "|---|---:|---:|",
        ]
        for item in imports:
            ratio = f"{item.seconds / baseline:.1f}x" if baseline else "-"
            lines.append(f"| {item.module} | {item.seconds * 1000:.0f} | {ratio} |")
        asset = footprint["asset"]
        lines += [
            "",
            f"Lambda code asset (lambdas/notebook_guard, no caches or tests): {asset.files} files, "
            f"{asset.raw_bytes / 1024:.1f} KiB, {asset.zip_bytes / 1024:.1f} KiB zipped.",
        ]
    lines += ["", f"Whole bench: {results['bench_seconds']:.0f} s."]
    return "\n".join(lines)


def to_json(results: dict) -> dict:
    footprint = results["footprint"]
    return {
        **{k: v for k, v in results.items() if k not in ("measurements", "workflow", "footprint")},
        "measurements": [m.to_dict() for m in results["measurements"]],
        "workflow": dataclasses.asdict(results["workflow"]),
        "footprint": None
        if footprint is None
        else {
            "imports": [dataclasses.asdict(i) for i in footprint["imports"]],
            "asset": dataclasses.asdict(footprint["asset"]),
        },
    }
