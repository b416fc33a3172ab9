"""``iclab tasks list`` and ``iclab tasks show``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from iclab.cli import app

runner = CliRunner()


def test_tasks_list(data_root: Path) -> None:
    result = runner.invoke(app, ["tasks", "list"])
    assert result.exit_code == 0, result.output
    assert "glue-sst2" in result.output and "local" in result.output
    assert "lr-ag_news" in result.output and "hub" in result.output
    assert "antonyms" in result.output


def test_tasks_show_registry_task(data_root: Path) -> None:
    result = runner.invoke(app, ["tasks", "show", "lr-wnli"])
    assert result.exit_code == 0, result.output
    assert "train: 635" in result.output and "test: 71" in result.output
    assert "not entailment: 323" in result.output
    assert result.output.count("sentence1: ") == 3 and "label: " in result.output


def test_tasks_show_spec(tmp_path: Path) -> None:
    (tmp_path / "d.tsv").write_text("text\tlab\nnice\t1\nbad\t0\nok\t1\nmeh\t0\n")
    (tmp_path / "t.yaml").write_text("name: tiny\nformat: tsv\nfiles: {train: d.tsv}\n"
                                     "input: ['{text}']\nlabel: lab\n"
                                     "labels: {'0': negative, '1': positive}\n")
    result = runner.invoke(app, ["tasks", "show", str(tmp_path / "t.yaml")])
    assert result.exit_code == 0, result.output
    assert "negative: 2" in result.output and "positive: 2" in result.output
    assert "text: nice" in result.output and "text: meh" not in result.output


def test_tasks_show_unknown_name() -> None:
    result = runner.invoke(app, ["tasks", "show", "trek"])
    assert result.exit_code != 0
    assert "did you mean 'trec'" in str(result.exception) + result.output
