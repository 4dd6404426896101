"""Fault injection at data preservation's calls to KMS and S3 (SageMaker's are in test_faults_preservation.py)."""

from __future__ import annotations

import pytest

from tests.workflow.test_faults import notebook_name
from tests.workflow.test_faults_preservation import KINDS, PRESERVATION_CALLS, inject_and_run


@pytest.mark.parametrize("call", sorted(c for c in PRESERVATION_CALLS if not c.startswith("sagemaker:")))
def test_preservation_survives_a_fault_at(shared_harness, call):
    for kind in KINDS:
        inject_and_run(shared_harness, call, kind, notebook_name(call, kind, "p-"))
