"""`iclab curves`, the `curves` sweep cell and CurvesConfig agree on every default."""

from __future__ import annotations

import pytest
from defaults_helpers import assert_cell_defaults_match, assert_options_default_to_none, cli_config

from iclab.analyses.curves.cli import curves_command
from iclab.analyses.curves.config import CurvesConfig
from iclab.analyses.curves.sweep import CurvesCell

ENTRY = "iclab.analyses.curves.run:run_curves"


def test_cli_options_default_to_the_config() -> None:
    assert_options_default_to_none(curves_command, CurvesConfig,
                                   not_config=("model", "task", "out", "as_json", "device",
                                               "dtype"))


def test_sweep_cell_defaults_are_the_configs() -> None:
    # shots unset (None) means the preset's N: the config's, or the paper's for its tasks
    # task_instruction, instruction and query unset (None): the preset's too
    assert_cell_defaults_match(CurvesCell, CurvesConfig,
                               skip=("shots", "task_instruction", "instruction", "query"))
    for name in ("shots", "task_instruction", "instruction", "query"):
        assert CurvesCell.model_fields[name].default is None


def test_label_mass_is_on_everywhere() -> None:
    """The resolved drift: the CLI and the sweep cells always logged the label mass."""
    assert CurvesConfig().label_mass and CurvesConfig.paper("lr-sst2").label_mass


def test_the_verb_builds_the_config(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    out = ["-t", "word-sentiment", "-o", str(tmp_path / "o")]
    assert cli_config(monkeypatch, ["curves", *out], ENTRY, CurvesConfig) == CurvesConfig()
    cfg = cli_config(monkeypatch, ["curves", *out, "--shots", "8", "--no-label-mass",
                                   "--settings", "default,flip"], ENTRY, CurvesConfig)
    assert cfg == CurvesConfig(shots=8, label_mass=False, settings=("default", "flip"))
    assert cli_config(monkeypatch, ["curves", *out, "--demos", "8"], ENTRY, CurvesConfig).shots == 8


def test_paper_preset_builds_the_paper_config(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    cfg = cli_config(monkeypatch, ["curves", "--preset", "paper", "-o", str(tmp_path / "o")],
                     ENTRY, CurvesConfig)
    assert cfg == CurvesConfig.paper("lr-sst2")
    assert (cfg.shots, cfg.flip_at) == (140, 60)  # the paper's N and F for SST-2
    cfg = cli_config(monkeypatch, ["curves", "--preset", "paper", "-t", "word-sentiment",
                                   "--shots", "6", "-o", str(tmp_path / "o")], ENTRY, CurvesConfig)
    assert cfg == CurvesConfig.paper("word-sentiment", shots=6)


def test_cell_takes_shots_or_the_old_demos_with_one_id() -> None:
    from iclab.runs import expand, parse_config

    cells = [expand(parse_config({"analysis": "curves", "grid": {"repeat": [0]},
                                  "params": {key: 6}}))[0] for key in ("shots", "demos")]
    assert cells[0].id == cells[1].id  # stored under the old key: old run directories resume
    assert cells[0]["demos"] == 6
