"""Every verb that runs a model takes ``--device`` and ``--dtype`` and runs in bf16 on CPU
(a tiny Llama saved as a local model directory; each run checks the dtype it recorded)."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from iclab.cli import app

pytestmark = pytest.mark.usefixtures("one_thread")

HALF = ["--device", "cpu", "--dtype", "bfloat16"]


def _json(args: list[str]) -> dict:
    result = CliRunner().invoke(app, args + HALF + ["--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_eval_bf16(tiny_dir, tmp_path):
    out = _json(["eval", "-m", tiny_dir, "-t", "word-sentiment", "--shots", "2", "--seeds", "3",
                 "--limit", "4", "-o", str(tmp_path)])
    assert out["model_key"].endswith(":bfloat16") and 0 <= out["accuracy"] <= 1


def test_curves_bf16(tiny_dir, tmp_path):
    out = _json(["curves", "-m", tiny_dir, "-t", "word-sentiment", "--settings", "default",
                 "--repeats", "2", "--shots", "4", "-o", str(tmp_path)])
    final = out["settings"]["default"]["final"]["loglik"]["mean"]
    assert math.isfinite(final) and final < 0


def test_layers_bf16(tiny_dir, tmp_path):
    out = _json(["layers", "-m", tiny_dir, "-t", "word-sentiment", "--k", "2", "--n", "2",
                 "-o", str(tmp_path)])
    assert [p["layer"] for p in out["curve"]] == [0, 1, 2, 3]


def test_layer_lora_bf16(tiny_dir, tmp_path):
    out = _json(["layer-lora", "-m", tiny_dir, "-t", "word-sentiment", "--layers", "0",
                 "--n-train", "4", "--n-test", "2", "--max-steps", "1", "--batch-size", "2",
                 "-o", str(tmp_path)])
    assert [p["layer"] for p in out["curve"]] == [0]


def test_icl_vs_ft_bf16(tiny_dir, tmp_path):
    """The verb that crashed in bf16 (circuit shift's logit targets)."""
    out = _json(["icl-vs-ft", "-m", tiny_dir, "--tasks", "parity", "--split", "normal",
                 "--shots", "0", "--shots", "1", "--samples", "1", "--method", "lora",
                 "--ft-shots", "0", "--n-test", "2", "--n-circuit", "2", "-o", str(tmp_path)])
    assert out["model"].endswith(":bfloat16")
    assert set(out["circuit"]["per_method"]) == {"ICL", "LoRA n=1"}


def test_trtl_bf16(tiny_dir, tmp_path):
    out = _json(["trtl", "-c", tiny_dir, "--tasks", "word-sentiment", "--seeds", "13",
                 "--shots", "2", "--limit", "3", "--scoring", "rank", "-o", str(tmp_path)])
    keys = {json.loads(line)["model_key"]
            for line in (tmp_path / "rows.jsonl").read_text().splitlines()}
    assert out["models"] and keys and all(k.endswith(":bfloat16") for k in keys)


def test_run_config_dtype_override(tiny_dir, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"analysis: curves\nname: t\ngrid:\n  repeat: [0]\nparams:\n"
                      f"  model: {tiny_dir}\n  task: word-sentiment\n  demos: 3\n")
    result = CliRunner().invoke(app, ["run", str(config), "-o", str(tmp_path / "run"),
                                      "--device", "cpu", "--dtype", "bfloat16", "--no-progress"])
    assert result.exit_code == 0, result.output
    from iclab.runs.results import load_results

    frame = load_results(tmp_path / "run")
    assert len(frame) == 3 and set(frame["dtype"]) == {"bfloat16"}


@pytest.mark.parametrize("verb", ["eval", "curves", "layers", "layer-lora", "icl-vs-ft", "trtl",
                                  "demo"])
def test_every_model_verb_has_device_and_dtype(verb):
    result = CliRunner().invoke(app, [verb, "--help"], terminal_width=200)
    assert "--device" in result.output and "--dtype" in result.output
