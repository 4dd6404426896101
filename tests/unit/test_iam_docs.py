"""The README's IAM tables are generated from the permission table and fail this test when they drift."""

from __future__ import annotations

from notebook_guard_local import iam_docs
from tests.conftest import ROOT


def test_the_readme_iam_section_is_the_generated_one():
    section = iam_docs.section_of((ROOT / "README.md").read_text(encoding="utf-8"))
    assert section == iam_docs.generated(), "run: python -m notebook_guard_local.iam_docs"


def test_the_readme_no_longer_claims_a_service_linked_role_creates_the_interface():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "its own service-linked role" not in text


def test_every_api_row_names_an_aws_page():
    from notebook_guard.permissions import table

    for api in table.APIS:
        assert api.source.url.startswith("https://docs.aws.amazon.com/"), api.call
