"""`caseflow relay` / `caseflow consume` refuse to start without Kafka, saying what to set."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from caseflow.infra.cli import build


@pytest.mark.parametrize("command", ["relay", "consume"])
def test_stream_commands_without_kafka_exit_2_naming_the_variable(command, monkeypatch, tmp_path):
    monkeypatch.delenv("CASEFLOW_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(build(), [command])
    assert result.exit_code == 2
    assert "CASEFLOW_KAFKA_BOOTSTRAP" in result.output
    assert not any(tmp_path.iterdir())  # nothing created
