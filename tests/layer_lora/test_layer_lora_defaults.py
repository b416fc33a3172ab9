"""`iclab layer-lora` and LayerLoraConfig agree on every default (the verb has no sweep cell)."""

from __future__ import annotations

from defaults_helpers import assert_options_default_to_none, cli_config

from iclab.analyses.layer_lora.cli import layer_lora_command
from iclab.analyses.layer_lora.config import LayerLoraConfig

TARGET = "iclab.analyses.layer_lora.run:run_layer_lora"


def test_cli_options_default_to_the_config() -> None:
    assert_options_default_to_none(
        layer_lora_command, LayerLoraConfig,
        not_config=("model", "task", "layers", "every", "flores_dev", "masking", "out",
                    "as_json", "device", "dtype"))


def test_the_verb_builds_the_configs_defaults(monkeypatch, tmp_path) -> None:
    out = ["-o", str(tmp_path / "o")]
    assert cli_config(monkeypatch, ["layer-lora", *out], TARGET) == LayerLoraConfig()
    assert (cli_config(monkeypatch, ["layer-lora", "--preset", "paper", *out], TARGET)
            == LayerLoraConfig.paper())
    assert (cli_config(monkeypatch, ["layer-lora", "--preset", "paper", "--lr", "0.001",
                                     "--layers", "0,2", *out], TARGET)
            == LayerLoraConfig.paper(lr=0.001, layers=(0, 2)))
