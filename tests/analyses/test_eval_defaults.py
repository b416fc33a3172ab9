"""`iclab eval`, the `eval` sweep cell and EvalConfig agree on every default."""

from __future__ import annotations

from defaults_helpers import assert_cell_defaults_match, assert_options_default_to_none, cli_config

from iclab.analyses.eval.cli import eval_command
from iclab.analyses.eval.config import EvalConfig
from iclab.analyses.eval.sweep import EvalCell


def test_cli_options_default_to_the_config() -> None:
    assert_options_default_to_none(eval_command, EvalConfig,
                                   not_config=("out", "cache_dir", "as_json"))


def test_sweep_cell_defaults_are_the_configs() -> None:
    assert_cell_defaults_match(EvalCell, EvalConfig)


def test_the_verb_with_no_options_builds_the_default_config(monkeypatch, tmp_path) -> None:
    cfg = cli_config(monkeypatch, ["eval", "-o", str(tmp_path / "o")],
                     "iclab.analyses.eval.run:run_eval")
    assert cfg == EvalConfig()
    cfg = cli_config(monkeypatch, ["eval", "-o", str(tmp_path / "o"), "--shots", "2",
                                   "--seeds", "5", "--calibrate"],
                     "iclab.analyses.eval.run:run_eval")
    assert cfg == EvalConfig(shots=2, seeds=(5,), calibrate=True)
