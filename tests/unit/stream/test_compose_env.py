"""docker-compose.yml (and the Dockerfile) configure the app only through settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from caseflow.infra.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
PREFIX = "CASEFLOW_"


def compose_variables() -> dict[str, str]:
    """Every CASEFLOW_* variable set anywhere in the compose file (anchors included)."""
    found: dict[str, str] = {}

    def walk(node) -> None:  # noqa: ANN001 - YAML tree
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and key.startswith(PREFIX):
                    found[key] = str(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, str) and item.startswith(PREFIX) and "=" in item:
                    key, _, value = item.partition("=")  # list form: - CASEFLOW_X=value
                    found[key] = value
                walk(item)

    text = (ROOT / "docker-compose.yml").read_text()
    walk(yaml.safe_load(text))
    for name in re.findall(r"\$\{(CASEFLOW_[A-Z0-9_]+)", text):  # ${CASEFLOW_X:-default}
        found.setdefault(name, "")
    return found


def dockerfile_variables() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text()
    return dict(re.findall(r"\b(CASEFLOW_[A-Z0-9_]+)=(\S+)", text))


def field_of(variable: str) -> str:
    return variable[len(PREFIX) :].lower()


def test_compose_file_sets_the_stream_and_database_settings():
    names = set(compose_variables())
    assert {"CASEFLOW_DATABASE_URL", "CASEFLOW_KAFKA_BOOTSTRAP"} <= names


@pytest.mark.parametrize("variable", sorted(compose_variables() | dockerfile_variables()))
def test_every_caseflow_variable_is_a_settings_field(variable):
    assert field_of(variable) in Settings.model_fields, (
        f"{variable} is set for the containers but Settings has no field "
        f"{field_of(variable)!r}: it would be silently ignored"
    )


def test_compose_and_dockerfile_values_parse_as_settings(monkeypatch):
    for variable, value in {**dockerfile_variables(), **compose_variables()}.items():
        if value:
            monkeypatch.setenv(variable, value)
    settings = Settings()
    assert settings.kafka_bootstrap == compose_variables()["CASEFLOW_KAFKA_BOOTSTRAP"]
