"""Powertools metrics in local runs (demo, CLI, bench): discarded at each flush, never printed.

In Lambda, ``@metrics.log_metrics`` prints one EMF line per invocation and CloudWatch turns it into metrics. In a
local run that line would land in the middle of the demo's output. Setting ``POWERTOOLS_METRICS_DISABLED`` is
not enough: Powertools then skips the print in ``flush_metrics`` but also keeps the values, and once one metric
holds 100 values ``add_metric`` prints the set by itself (``len(metric["Value"]) == MAX_METRICS``), whatever
the setting. So a local run empties the set at every flush instead: values never accumulate, nothing is printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock


@contextmanager
def discarded_metrics() -> Iterator[None]:
    """Every flush of the package's metrics (one per handler invocation) empties the set without printing it.

    ``@metrics.log_metrics`` flushes through the EMF provider, not the ``Metrics`` facade, so the provider's
    ``flush_metrics`` is the one replaced (patching the facade's leaves the decorator's flush untouched).
    """
    from notebook_guard.handlers.observability import metrics

    def discard(self, raise_on_empty_metrics: bool = False) -> None:
        self.clear_metrics()

    metrics.clear_metrics()  # values left by earlier code in this process (a test, a previous demo)
    with mock.patch.object(type(metrics.provider), "flush_metrics", discard):
        try:
            yield
        finally:
            metrics.clear_metrics()
