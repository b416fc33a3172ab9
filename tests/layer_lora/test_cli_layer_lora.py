"""``iclab layer-lora --json``: last-line JSON summary, files, and the masking curve beside it."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

import iclab.models
from iclab.cli import app
from iclab.models.tiny import tiny_model, tiny_tokenizer

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def tiny(monkeypatch):
    loaded = SimpleNamespace(model=tiny_model("llama"), tokenizer=tiny_tokenizer("llama"))
    monkeypatch.setattr(iclab.models, "load_model", lambda spec: loaded)
    return loaded


ARGS = ["layer-lora", "--model", "tiny", "--task", "word-sentiment", "--every", "2",
        "--n-train", "4", "--n-test", "3", "--max-steps", "1", "--batch-size", "4", "--json"]


def test_layer_lora_cli_json(tiny, tmp_path):
    result = CliRunner().invoke(app, [*ARGS, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["metric"] == "accuracy" and isinstance(out["baseline"], float)
    assert [p["layer"] for p in out["curve"]] == [0, 2]
    assert set(out["curve"][0]) == {"layer", "score", "loss_first", "loss_last"}
    assert out["best_layer"] in (0, 2) and out["n_layers"] == 4
    for name in ("rows.jsonl", "summary.json", "layer_lora.png"):
        assert (tmp_path / name).exists()
    rows = [json.loads(x) for x in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert [r["layer"] for r in rows] == [0, 2]


def test_masking_summary_in_out_is_kept_and_drawn(tiny, tmp_path):
    masking = {"baseline": 0.5, "masks": {"examples": {"baseline": 0.5, "recognition_layer": 1,
                                                       "curve": [{"layer": 0, "score": 0.2}]}}}
    (tmp_path / "summary.json").write_text(json.dumps(masking))
    result = CliRunner().invoke(app, [*ARGS, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "summary.json").read_text()) == masking
    assert (tmp_path / "lora" / "layer_lora.png").exists()
    assert "curve" in json.loads((tmp_path / "lora" / "summary.json").read_text())
