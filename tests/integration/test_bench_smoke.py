"""`make bench` end to end on a tiny account (no Cloud Custodian, no import timings), so it does not rot."""

from __future__ import annotations

import json

from notebook_guard_local.bench.__main__ import main


def test_bench_runs_and_prints_the_table(tmp_path, capsys, monkeypatch):
    from notebook_guard_local.bench import workflow as bench_workflow

    monkeypatch.setattr(bench_workflow, "SEEDS", (1,))  # one sampled run per lossy row is enough here
    code = main(["--sizes", "30", "--latency-ms", "5", "--no-custodian", "--no-footprint", "--output", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "| 30 | 5 ms | sweep |" in out and "| 30 | 0 ms | audit |" in out
    assert "Remediation time and state transitions (workflow): simulated timeline" in out
    assert "| events delivered | 15.1 min | +4 s | +1.0 s | 28 | 28 | 0 |" in out
    assert "| polling only (60 s, x2, capped at 180 s) | 18.0 min | +180 s | +45.0 s | 58 |" in out
    assert "28 transitions per remediation with events delivered vs 298 with fixed 10 s polling" in out
    assert "AWS API calls per remediation (events delivered" in out and "the Preflight's reads: " in out
    # What data preservation adds, on the simulated timeline: the fixed part, and per GB (two copies at 60 MB/s).
    assert "Data preservation (an existing notebook;" in out and "+34 s per GB" in out
    workflow = json.loads((tmp_path / "bench.json").read_text())["workflow"]
    lost = workflow["scenarios"]["every event dropped, reconciler down"]
    assert lost["resumed_by"] == {} and lost["polls"] == 4  # completed by polling, each wait within its bound
    # One read per resource: no Preflight read is repeated, however many target subnets and repositories.
    reads = workflow["full_notebook_preflight_reads"]
    assert reads and max(reads.values()) <= 2 and reads["sagemaker:DescribeCodeRepository"] == 1
    preservation = workflow["preservation"]
    assert round(preservation["per_gb_seconds"]) == 34  # 2 x 1024 MB / 60 MB/s, polling overshoot aside
    from notebook_guard.domain.preservation import FIXED_EXTRA_SECONDS

    # The plan's estimate of the fixed part is what the bench measures.
    assert preservation["empty_seconds"] - preservation["without_seconds"] == FIXED_EXTRA_SECONDS
    results = json.loads((tmp_path / "bench.json").read_text())
    for measurement in results["measurements"]:
        assert measurement["found"] == measurement["expected"]
        calls = {k.split(":")[1]: v for k, v in measurement["calls"].items()}
        assert calls == measurement["minimum"]
    assert (tmp_path / "bench.md").read_text().startswith("## notebook-guard bench")
