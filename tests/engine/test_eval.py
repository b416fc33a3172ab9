"""``iclab eval``: outputs, the --json contract, the cache, resume after interruption."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from iclab.cli import app
from iclab.engine import EngineError
from iclab.analyses.eval.run import EvalConfig, run_eval
from iclab.models.tiny import tiny_tokenizer


def _cfg(tiny_dir, **kw):
    base = dict(model=tiny_dir, task="word-sentiment", shots=4, seeds=(1, 2), limit=6,
                template="metaicl-minimal", device="cpu")
    return EvalConfig(**{**base, **kw})


def test_eval_writes_outputs_and_reruns_from_cache(tiny_dir, tmp_path):
    summary = run_eval(_cfg(tiny_dir), tmp_path)
    assert summary["n"] == 12 and summary["cache"] == {"cached": 0, "computed": 12}
    assert 0.0 <= summary["accuracy"] <= 1.0 and set(summary["accuracy_per_seed"]) == {"1", "2"}
    rows = [json.loads(x) for x in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and {"prompt_hash", "label_logprobs", "prediction", "target"} <= set(rows[0])
    assert json.loads((tmp_path / "summary.json").read_text())["accuracy"] == summary["accuracy"]
    again = run_eval(_cfg(tiny_dir), tmp_path)
    assert again["cache"] == {"cached": 12, "computed": 0}
    assert again["accuracy"] == summary["accuracy"]
    other = run_eval(_cfg(tiny_dir, mode="first"), tmp_path)  # another scoring mode: no hit
    assert other["cache"]["computed"] == 12


def test_interrupted_cache_resumes(tiny_dir, tmp_path):
    """A record whose chunk never committed (as after a kill mid-chunk) is recomputed."""
    import sqlite3

    first = run_eval(_cfg(tiny_dir, seeds=(1,)), tmp_path)
    with sqlite3.connect(tmp_path / "cache" / "results.sqlite") as conn:
        (last,) = conn.execute("SELECT max(rowid) FROM samples").fetchone()
        conn.execute("DELETE FROM samples WHERE rowid=?", (last,))
    resumed = run_eval(_cfg(tiny_dir, seeds=(1,)), tmp_path)
    assert resumed["cache"] == {"cached": 5, "computed": 1}
    assert resumed["accuracy"] == first["accuracy"]
    assert run_eval(_cfg(tiny_dir, seeds=(1,)), tmp_path)["cache"]["computed"] == 0


def test_generate_scoring(tiny_dir, tmp_path):
    summary = run_eval(_cfg(tiny_dir, scoring="generate", max_new_tokens=4, seeds=(1,)), tmp_path)
    row = json.loads((tmp_path / "samples.jsonl").read_text().splitlines()[0])
    assert {"generation", "prediction", "top5_per_step"} <= set(row)
    assert summary["n"] == 6


def test_calibrated_eval(tiny_dir, tmp_path):
    from iclab.data import load_task
    from iclab.analyses.eval.run import content_free_prompts

    cfg = _cfg(tiny_dir, calibrate=True, seeds=(1,))
    summary = run_eval(cfg, tmp_path)
    assert summary["cache"]["computed"] == 6 and cfg.scoring_key == "rank:sum:calibrated"
    cf = content_free_prompts(cfg, 1, load_task("word-sentiment"), tiny_tokenizer("llama"), None)
    assert [p.text.rsplit("\n\n\n", 1)[-1] for p in cf] == ["N/A", "", "[MASK]"]
    with pytest.raises(EngineError, match="rank scoring only"):
        _cfg(tiny_dir, calibrate=True, scoring="generate")


def test_cli_json_contract(tiny_dir, tmp_path):
    result = CliRunner().invoke(app, [
        "eval", "--model", tiny_dir, "--task", "word-sentiment", "--shots", "2", "--seeds", "3",
        "--limit", "4", "--device", "cpu", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"accuracy", "n", "model", "task"} <= set(summary)
    assert summary["n"] == 4 and summary["task"] == "word-sentiment"


def test_bad_config():
    with pytest.raises(EngineError, match="scoring"):
        EvalConfig(scoring="vote")  # type: ignore[arg-type]
    with pytest.raises(EngineError, match="seed"):
        EvalConfig(seeds=())
    with pytest.raises(EngineError, match="mode"):
        EvalConfig(mode="max")


def _shared_first_token_task(tmp_path):
    """A task whose label words share their first token (" good movie" / " good film")."""
    rows = [{"text": f"review {i}", "y": i % 2} for i in range(8)]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: shared\nformat: jsonl\nfiles: {train: d.jsonl, test: d.jsonl}\n"
                    "input: ['{text}']\nlabel: y\nlabels: {'0': good movie, '1': good film}\n")
    return str(spec)


def test_same_first_token_is_refused_before_the_model_loads(tiny_dir, tmp_path, monkeypatch):
    """Under --mode first both labels would score " good": always a tie, the first wins."""
    import iclab.models

    def no_model(*a, **k):
        raise AssertionError("the model must not load")

    monkeypatch.setattr(iclab.models, "load_model", no_model)
    task = _shared_first_token_task(tmp_path)
    with pytest.raises(EngineError, match=r"good movie' and '.*good film' score the same "
                                          r"tokens .* under mode 'first'"):
        run_eval(_cfg(tiny_dir, task=task, mode="first", seeds=(1,)), tmp_path / "out")
    assert not (tmp_path / "out" / "summary.json").exists()


def test_engine_refuses_choices_that_always_tie(tiny_dir):
    """Every analysis scoring through the engine gets the same check."""
    from iclab.engine import Engine
    from iclab.models import load_model
    from iclab.prompts.types import Prompt

    engine = Engine(load_model(tiny_dir, device="cpu"))
    ids = tuple(engine.tokenizer("the movie was", add_special_tokens=False)["input_ids"])
    prompt = Prompt(text="the movie was", input_ids=ids, spans=(),
                    choices=(" good movie", " good film"), target=0)
    with pytest.raises(EngineError, match="always tie"):
        engine.score([prompt], mode="first")
    assert len(engine.score([prompt], mode="sum")) == 1
