"""Docs that do not drift: the README's configuration table is the one `Settings` generates,
every `CASEFLOW_*` the docs name is a setting, and the curl walk-through lives in one place."""

from __future__ import annotations

import re
from pathlib import Path

from caseflow.infra.settings import Settings
from caseflow.infra.settings_doc import BEGIN, END, rewrite

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_SETTINGS = {"CASEFLOW_TEST_DATABASE_URL", "CASEFLOW_TEST_KAFKA_BOOTSTRAP"}  # tests' own


def test_the_readme_configuration_table_is_the_generated_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == rewrite(readme), (
        "the README's settings table is stale: "
        "python -m caseflow.infra.settings_doc --write README.md"
    )
    table = readme[readme.index(BEGIN) : readme.index(END)]
    for name in Settings.model_fields:
        assert f"`CASEFLOW_{name.upper()}`" in table
    assert "(undescribed)" not in table


def test_every_caseflow_variable_the_docs_name_is_a_setting():
    named = {
        v
        for doc in DOCS
        for v in re.findall(r"CASEFLOW_[A-Z0-9_]*[A-Z0-9]", doc.read_text(encoding="utf-8"))
    }
    unknown = {
        v
        for v in named - NOT_SETTINGS
        if v[len("CASEFLOW_") :].lower() not in Settings.model_fields
    }
    assert unknown == set()


def test_the_curl_walk_through_lives_in_one_place_and_the_readme_links_to_it():
    holding = [doc.name for doc in DOCS if "as() {" in doc.read_text(encoding="utf-8")]
    assert holding == ["api.md"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/api.md#one-cases-life-with-curl)" in readme
    assert "## One case's life, with curl" in (ROOT / "docs" / "api.md").read_text("utf-8")
