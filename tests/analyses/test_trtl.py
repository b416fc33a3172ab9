"""TR/TL grid end to end on a real, changing checkpoint series; checkpoint parsing; CLI."""

import json

import pytest
import torch
from typer.testing import CliRunner

from iclab.analyses.trtl.checkpoints import (Checkpoint, from_directory, parse_checkpoint_arg,
                                        parse_step, train_checkpoint_series)
from iclab.metrics.competition import competition
from iclab.analyses.trtl.run import TrTlConfig, checkpoint_curves, run_grid, summarize
from iclab.cli import app
from iclab.errors import IclabError


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        root = tmp_path_factory.mktemp("series")
        return root, train_checkpoint_series(root, steps=(0, 15, 40, 80))
    finally:
        torch.set_num_threads(threads)


def test_checkpoint_names_and_errors(tmp_path):
    assert parse_step("step4000") == 4000 and parse_step("out/checkpoint-500/") == 500
    with pytest.raises(IclabError, match="training step"):
        parse_step("main")
    hub = parse_checkpoint_arg("EleutherAI/pythia-410m@step13000,step4000")
    assert [(c.series, c.step, c.spec) for c in hub] == [
        ("pythia-410m", 4000, "EleutherAI/pythia-410m@step4000"),
        ("pythia-410m", 13000, "EleutherAI/pythia-410m@step13000")]
    assert parse_checkpoint_arg("gemma-3-270m") == [Checkpoint("gemma-3-270m", 0, "gemma-3-270m")]
    with pytest.raises(IclabError, match="no checkpoints"):
        from_directory(tmp_path)


@pytest.mark.slow
def test_grid_competition_and_resume(series, tmp_path, monkeypatch):
    root, cks = series
    assert [c.step for c in cks] == [0, 15, 40, 80] and from_directory(root) == [
        Checkpoint(root.name, c.step, c.spec) for c in cks]
    cfg = TrTlConfig(checkpoints=tuple(cks), tasks=("word-sentiment",), seeds=(13,), limit=8,
                     scoring="generate", max_new_tokens=4)
    rows = run_grid(cfg, tmp_path)
    assert len(rows) == 4 * 3 and {r["setting"] for r in rows} == {"gold", "random", "abstract"}
    s = summarize(cfg, rows)
    entry = s["models"]["tiny-gpt_neox"]
    curve = checkpoint_curves(rows)[("tiny-gpt_neox",)]
    assert [c["tr"] for c in entry["checkpoints"]] == curve["tr"]
    comp = competition(curve["tr"], curve["tl"], cfg.alpha_avg)
    assert entry["hard"] == comp["hard"] and len(entry["hard"]) == 3
    assert len(entry["cumulative"]) == 4 and entry["cumulative"][0] == 0.0
    # the series alternates word and symbol training, so its abilities move (a changing model)
    assert len({c["tr"] for c in entry["checkpoints"]} | {c["tl"] for c in entry["checkpoints"]}) > 1
    # a re-run is served from the cells' cache: no model is loaded at all
    monkeypatch.setattr("iclab.models.load_model", lambda *a, **k: pytest.fail("model loaded"))
    assert run_grid(cfg, tmp_path) == rows


def test_cli_json_contract_with_ensemble(series, tmp_path):
    root, cks = series
    result = CliRunner().invoke(app, [
        "trtl", "-c", str(root), "--tasks", "word-sentiment", "--seeds", "13", "--limit", "6",
        "--max-new-tokens", "3", "--scoring", "rank", "--ensemble-tr", cks[1].spec,
        "--ensemble-tl", cks[2].spec, "--ensemble-limit", "8", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    model = summary["models"][root.name]
    assert {"hard", "intensity", "mean_intensity", "cumulative"} <= set(model)
    assert set(model["checkpoints"][0]) == {"step", "golden", "tr", "tl"}
    assert {"n", "pearson_r", "spearman_rho"} <= set(summary["correlation"])
    table = summary["ensemble"]["table"][0]
    assert table["task"] == "word-sentiment" and "ensemble" in table
    assert (tmp_path / f"trtl_{root.name}.png").is_file()


@pytest.mark.integration
def test_gemma_golden_well_above_chance(tmp_path):
    cfg = TrTlConfig(checkpoints=(Checkpoint("gemma", 0, "gemma-3-270m"),), tasks=("glue-sst2",),
                     seeds=(13,), limit=32, scoring="rank")
    rows = run_grid(cfg, tmp_path)
    golden = next(r["accuracy"] for r in rows if r["setting"] == "gold")
    assert golden >= 0.65  # sst2 has two labels; chance is 0.5
