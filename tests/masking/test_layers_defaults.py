"""`iclab layers`, the `layers` sweep cell and LayersConfig agree on every default."""

from __future__ import annotations

from defaults_helpers import assert_cell_defaults_match, assert_options_default_to_none, cli_config

from iclab.analyses.layers.cli import layers_command
from iclab.analyses.layers.config import LayersConfig
from iclab.analyses.layers.sweep import LayersCell

TARGET = "iclab.analyses.layers.run:run_layers"


def test_cli_options_default_to_the_config() -> None:
    assert_options_default_to_none(
        layers_command, LayersConfig, renames={"mask": "masks"},
        not_config=("model", "task", "flores_dev", "out", "as_json", "device", "dtype"))


def test_sweep_cell_defaults_are_the_configs() -> None:
    # rows, sink and self_visible are None in the cell: "the preset's" (iclab or paper)
    assert_cell_defaults_match(LayersCell, LayersConfig, skip=("row_scope", "sink", "self_visible"))
    assert LayersCell.model_fields["mask"].default == LayersConfig().masks[0]


def test_the_verb_builds_the_configs_defaults(monkeypatch, tmp_path) -> None:
    out = ["-o", str(tmp_path / "o")]
    assert cli_config(monkeypatch, ["layers", *out], TARGET) == LayersConfig()
    assert cli_config(monkeypatch, ["layers", "--preset", "paper", *out], TARGET) == \
        LayersConfig.paper()
    got = cli_config(monkeypatch, ["layers", "--preset", "paper", "--sink", "1", "--mask",
                                   "examples", "--mask", "query", "-k", "2", *out], TARGET)
    assert got == LayersConfig.paper(sink=1, masks=("examples", "query"), shots=2)
