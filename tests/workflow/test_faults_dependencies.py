"""Fault injection at the workflow's calls to S3, DynamoDB, EC2, IAM, KMS and SNS (SageMaker's are in
test_faults.py; split only so that pytest-xdist's loadfile spreads the work over two workers)."""

from __future__ import annotations

import pytest

from notebook_guard_local.fake import FAULT_KINDS
from tests.workflow.test_faults import RECREATE_CALLS, TRANSIENT_ONCE, full_notebook, inject_and_run, notebook_name


@pytest.mark.parametrize("call", sorted(c for c in RECREATE_CALLS if not c.startswith("sagemaker:")))
def test_recreate_path_survives_a_fault_at(shared_harness, call):
    for kind in (*FAULT_KINDS, TRANSIENT_ONCE):
        inject_and_run(shared_harness, full_notebook, call, kind, notebook_name(call, kind))
