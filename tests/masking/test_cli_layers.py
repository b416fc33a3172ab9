"""``iclab layers --json``: the contract's last-line JSON object (tiny model patched in)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from typer.testing import CliRunner

import iclab.models
from iclab.cli import app
from iclab.models.tiny import tiny_model, tiny_tokenizer


def test_layers_cli_json(monkeypatch, tmp_path):
    tiny = SimpleNamespace(model=tiny_model("llama"), tokenizer=tiny_tokenizer("llama"))
    monkeypatch.setattr(iclab.models, "load_model", lambda spec: tiny)
    result = CliRunner().invoke(app, [
        "layers", "--model", "tiny", "--task", "word-sentiment", "--mask", "examples",
        "--mask", "instructions,examples", "--instruction", "Classify each word.",
        "--shots", "2", "--n", "3", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(out["baseline"], float)
    assert [p["layer"] for p in out["curve"]] == [0, 1, 2, 3]
    assert out["recognition_layer"] is None or 0 <= out["recognition_layer"] < 4
    assert set(out["masks"]) == {"examples", "instructions,examples"}
    assert (tmp_path / "layers.png").exists() and (tmp_path / "summary.json").exists()
