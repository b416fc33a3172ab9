"""`iclab trtl`, the `tr-tl` sweep cell and TrTlConfig agree on every default."""

from __future__ import annotations

import pytest
from defaults_helpers import assert_cell_defaults_match, assert_options_default_to_none, cli_config

from iclab.analyses.trtl.checkpoints import Checkpoint
from iclab.analyses.trtl.cli import trtl_command
from iclab.analyses.trtl.config import TrTlConfig
from iclab.analyses.trtl.sweep import TrTlCell

ENTRY = "iclab.analyses.trtl.run:run_grid"
NOT_CONFIG = ("ensemble_tr", "ensemble_tl", "ensemble_reference", "ensemble_rule", "preset",
              "ensemble_limit", "out", "as_json")


def test_cli_options_default_to_the_config() -> None:
    assert_options_default_to_none(trtl_command, TrTlConfig, not_config=NOT_CONFIG)


def test_sweep_cell_defaults_are_the_configs() -> None:
    assert_cell_defaults_match(TrTlCell, TrTlConfig)
    assert TrTlCell.model_fields["seed"].default == TrTlConfig.seeds[0]
    assert TrTlCell.model_fields["model"].default == TrTlConfig.checkpoints[0].spec


def test_the_verb_builds_the_config(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    out = ["-o", str(tmp_path / "o")]
    assert cli_config(monkeypatch, ["trtl", *out], ENTRY) == TrTlConfig()
    cfg = cli_config(monkeypatch, ["trtl", *out, "-c", "smollm2-135m", "--tasks", "trec",
                                   "--seeds", "5", "--shots", "2", "--scoring", "rank",
                                   "--limit", "3", "--template", "trtl-natural"], ENTRY)
    assert cfg == TrTlConfig(checkpoints=(Checkpoint("smollm2-135m", 0, "smollm2-135m"),),
                             tasks=("trec",), seeds=(5,), shots=2, scoring="rank", limit=3,
                             template="trtl-natural")


def test_paper_preset_builds_the_paper_config(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    cfg = cli_config(monkeypatch, ["trtl", "--preset", "paper", "-o", str(tmp_path / "o")],
                     ENTRY)
    assert cfg == TrTlConfig.paper() and cfg.decimals == 2
    assert TrTlConfig().decimals is None


def test_unknown_template_is_refused(tmp_path) -> None:
    from typer.testing import CliRunner

    from iclab.cli import app

    result = CliRunner().invoke(app, ["trtl", "--template", "nosuch", "-o", str(tmp_path / "o")])
    assert result.exit_code != 0 and "nosuch" in str(result.output) + str(result.exception)
