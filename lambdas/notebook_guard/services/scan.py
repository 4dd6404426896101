"""Scan every notebook of a region: list (paginated), Describe with bounded concurrency, tags only for violators.

Shared by the sweep Lambda and the ``notebook-guard audit`` command, so both judge notebooks the same way.
One notebook's error is recorded in its item and never aborts the scan.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from notebook_guard.aws import sagemaker
from notebook_guard.aws.errors import error_code, error_message
from notebook_guard.domain.models import Evaluation
from notebook_guard.services.detection import evaluate_described, today
from notebook_guard.settings import Settings


@dataclass
class ScanItem:
    name: str
    evaluation: Evaluation | None = None  # None: gone since it was listed, or an error
    error: str | None = None
    extra: object = None  # what a caller's ``then`` returned for this notebook

    @property
    def gone(self) -> bool:
        return self.evaluation is None and self.error is None


def scan(
    settings: Settings,
    names: Iterable[str] | None = None,
    on_day: date | None = None,
    then: Callable[[Evaluation], object] | None = None,
    concurrency: int | None = None,
) -> Iterator[ScanItem]:
    """Yield one item per notebook, in listing order; ``then`` runs on each evaluation inside the pool."""
    day = on_day or today()
    listed = names if names is not None else sagemaker.iter_notebook_names(settings.region)

    def one(name: str) -> ScanItem:
        item = ScanItem(name=name)
        try:
            describe = sagemaker.describe_notebook(name, settings.region)
            if describe is None:
                return item
            item.evaluation = evaluate_described(describe, settings, day)
            if then is not None:
                item.extra = then(item.evaluation)
        except Exception as error:  # one notebook's failure is reported, never fatal to the scan
            code = error_code(error)
            item.error = f"{code}: {error_message(error)}" if code else f"{type(error).__name__}: {error}"
        return item

    # Each notebook runs in a copy of the caller's context, so context variables (the Powertools logger's keys,
    # the local simulation's calling principal) reach the pool's threads as they would a sequential scan.
    caller = contextvars.copy_context()

    def in_context(name: str) -> ScanItem:
        return caller.copy().run(one, name)

    # map() keeps listing order and bounds the number of requests in flight to the pool size.
    with ThreadPoolExecutor(max_workers=concurrency or settings.sweep_concurrency) as pool:
        yield from pool.map(in_context, listed)
