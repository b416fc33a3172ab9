"""ICL vs fine-tuning on a tiny model: matching presets, ICL evaluation, FT/LoRA, circuit
shift, patching recovery, table/summary shape, outputs and the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch
from typer.testing import CliRunner

from iclab.analyses.icl_vs_ft.circuit_shift import patching_recovery, relative_change, shift
from iclab.analyses.icl_vs_ft.run import IclVsFtConfig, build_tasks, run_icl_vs_ft, training_pairs
from iclab.analyses.icl_vs_ft.eval import (
    INSTRUCTIONS,
    IclVsFtError,
    answer_matches,
    best_of_shots,
    evaluate,
    gold_answer,
    k_shot_prompts,
)
from iclab.analyses.icl_vs_ft.summary import summarize, write_outputs
from iclab.engine import Engine
from iclab.models.tiny import tiny_model, tiny_tokenizer

pytestmark = pytest.mark.usefixtures("one_thread")

SMALL = dict(tasks=("expression", "boolean"), shots=(0, 1, 2), best_range=(1, 2), n_test=3,
             samples=(2,), ft_shots=(0, 1), n_circuit=2, circuit_shots=1, batch_size=2)


@pytest.fixture(scope="module")
def engine():
    return Engine(tiny_model("llama"), tiny_tokenizer("llama"))


@pytest.fixture(scope="module")
def result(engine):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        weights = {k: v.clone() for k, v in engine.model.state_dict().items()}
        cfg = IclVsFtConfig(**SMALL)
        res = run_icl_vs_ft(engine, cfg)
        unchanged = all(torch.equal(weights[k], v) for k, v in engine.model.state_dict().items())
    finally:
        torch.set_num_threads(before)
    return cfg, res, unchanged


def test_exact_vs_substring_preset():
    assert answer_matches(" 2 ", "2") and answer_matches("\n-4\nmore", "-4")
    assert not answer_matches("10", "1")
    assert answer_matches("10", "1", "substring")  # the paper's metric: "1" in "10"
    assert not answer_matches("", "1", "substring")
    assert not answer_matches("2 3", "2") and answer_matches("2 3", "2", "substring")
    with pytest.raises(IclVsFtError, match="match"):
        answer_matches("1", "1", "fuzzy")  # type: ignore[arg-type]


def test_k_shot_prompts_share_demos_and_end_with_query(engine):
    task = build_tasks(IclVsFtConfig(**{**SMALL, "tasks": ("algebra",)}))[("algebra", "normal")]
    zero = k_shot_prompts(task, engine.tokenizer, 0, 0)
    two = k_shot_prompts(task, engine.tokenizer, 2, 0)
    assert len(zero) == len(two) == 3
    for z, t, ex in zip(zero, two, task.split("test")):
        assert z.text == INSTRUCTIONS["algebra"] + " \n" + ex.fields["input"]
        assert t.text.endswith(" \n " + ex.fields["input"]) and z.target == ex.label
        assert t.text.count(" \n ") == 2 and dict(t.meta)["shots"] == 2
    with pytest.raises(IclVsFtError, match="shots"):
        k_shot_prompts(task, engine.tokenizer, len(task.split("train")) + 1, 0)


def test_evaluate_scores_generated_answers(engine):
    tasks = list(build_tasks(IclVsFtConfig(**SMALL)).values())
    cells = evaluate(engine, tasks, (0, 1), seed=0, match="exact", max_new_tokens=3)
    assert [(c.task, c.split, c.shots) for c in cells][:2] == [("expression", "normal", 0),
                                                                ("expression", "normal", 1)]
    gens = engine.generate(k_shot_prompts(tasks[0], engine.tokenizer, 1, 0), max_new_tokens=3,
                           stop=("\n",), skip_leading_whitespace=True)
    assert cells[1].outputs == tuple(g.text for g in gens)
    for c in cells:
        answers = [ex.label for ex in next(t for t in tasks if t.name ==
                                          f"synthetic-{c.task}-{c.split}").split("test")]
        exact = [answer_matches(o, a) for o, a in zip(c.outputs, answers)]
        assert c.accuracy == sum(exact) / len(exact) and c.n == 3
    sub = evaluate(engine, tasks, (1,), seed=0, match="substring", max_new_tokens=3)
    assert all(s.accuracy >= e.accuracy for s, e in zip(sub, cells[1::2]))


def test_gold_answer_is_the_label_string(engine):
    """Classification families (relation, boolean, parity) carry an index target; the answer
    compared with the output is the label word, for every family."""
    for name in ("relation", "boolean", "parity", "algebra"):
        task = build_tasks(IclVsFtConfig(**{**SMALL, "tasks": (name,)}))[(name, "misleading")]
        prompts = k_shot_prompts(task, engine.tokenizer, 1, 0)
        assert [gold_answer(p) for p in prompts] == [ex.label for ex in task.split("test")]


def test_best_of_shots_range_and_ties():
    from iclab.analyses.icl_vs_ft.eval import ShotAccuracy

    cells = [ShotAccuracy("t", "normal", k, acc, 4, ()) for k, acc in
             [(0, 0.9), (1, 0.25), (2, 0.5), (4, 0.5), (32, 1.0)]]
    best = best_of_shots(cells, 1, 16)[("t", "normal")]
    assert (best.shots, best.accuracy) == (2, 0.5)


def test_training_pairs_mix_tasks(engine):
    tasks = build_tasks(IclVsFtConfig(**SMALL))
    pairs = training_pairs(tasks, 2, engine.tokenizer)
    assert len(pairs) == 4
    assert pairs[0][0].startswith(INSTRUCTIONS["expression"])
    assert pairs[1][0].startswith(INSTRUCTIONS["boolean"])
    train = tasks[("expression", "normal")].split("train")
    assert [a for _, a in pairs[::2]] == [train[0].label, train[1].label]


def test_config_validation():
    with pytest.raises(IclVsFtError, match="unknown task"):
        IclVsFtConfig(tasks=("nope",))
    with pytest.raises(IclVsFtError, match="methods"):
        IclVsFtConfig(methods=("adapter",))
    with pytest.raises(IclVsFtError, match="best_range"):
        IclVsFtConfig(shots=(0, 32), best_range=(1, 16))
    with pytest.raises(IclVsFtError, match="n_circuit"):
        IclVsFtConfig(n_test=2, n_circuit=3)
    assert IclVsFtConfig().n_pool == 32


def test_relative_change_by_hand():
    base = torch.tensor([[[3.0, 4.0]], [[1.0, 0.0]]])  # (N=2, L=1, d=2)
    x = torch.tensor([[[3.0, 4.0]], [[1.0, 1.0]]])
    assert relative_change(x, base).tolist() == [pytest.approx(0.5)]  # (0/5 + 1/1) / 2
    with pytest.raises(ValueError, match="shapes"):
        relative_change(x[:1], base)


def test_patching_recovery_by_hand(engine):
    task = build_tasks(IclVsFtConfig(**SMALL))[("expression", "normal")]
    zero_p = k_shot_prompts(task, engine.tokenizer, 0, 0)
    icl_p = k_shot_prompts(task, engine.tokenizer, 2, 0)
    zero, icl = engine.activations(zero_p), engine.activations(icl_p)
    answers = [gold_answer(p) for p in zero_p]
    same = patching_recovery(engine, zero_p, zero, zero, answers)
    assert torch.isnan(same.recovery).all()  # ICL == 0-shot: nothing to recover
    got = patching_recovery(engine, zero_p, zero, icl, answers)
    assert got.recovery.shape == (4, 4) and got.n_queries >= 1
    from iclab.analyses.icl_vs_ft.circuit_shift import logit_targets

    num, den = torch.zeros(16), 0.0
    for i, (g, b) in enumerate(logit_targets(engine, zero, answers)):
        if g == b:
            continue
        lz = engine.patch_heads(zero_p[i], zero.heads[i], [()], token_ids=[g, b])[0]
        li = engine.patch_heads(zero_p[i], icl.heads[i],
                                [tuple((l, h) for l in range(4) for h in range(4))],
                                token_ids=[g, b])[0]  # all heads patched = the ICL run
        one = engine.patch_heads(zero_p[i], icl.heads[i],
                                 [((l, h),) for l in range(4) for h in range(4)],
                                 token_ids=[g, b])
        num += (one[:, 0] - one[:, 1]) - (lz[0] - lz[1])
        den += float((li[0] - li[1]) - (lz[0] - lz[1]))
    torch.testing.assert_close(got.delta.flatten(), num, atol=1e-4, rtol=1e-3)
    assert got.ld_icl - got.ld_zero == pytest.approx(den, rel=1e-3, abs=1e-4)
    if den > 0:
        torch.testing.assert_close(got.recovery.flatten(), num / den, atol=1e-4, rtol=1e-3)
    else:
        assert torch.isnan(got.recovery).all()


def test_run_table_shape(result):
    cfg, res, unchanged = result
    assert unchanged  # fine-tuning trained copies; the base model is untouched
    methods = ["base 0-shot", "ICL best", "FT n=2", "FT n=2 + 1-shot", "LoRA n=2",
               "LoRA n=2 + 1-shot"]
    keys = [(t, s) for t in cfg.tasks for s in cfg.splits]
    for t, s in keys:
        rows = [r for r in res.table if (r["task"], r["split"]) == (t, s)]
        assert [r["method"] for r in rows] == methods
        base = {c.shots: c.accuracy for c in res.base if (c.task, c.split) == (t, s)}
        assert rows[0]["accuracy"] == base[0]
        assert rows[1]["accuracy"] == max(base[1], base[2])
    assert [r.label for r in res.trained] == ["FT n=2", "LoRA n=2"]
    assert res.trained[0].info["n_pairs"] == 4 and res.trained[0].info["steps"] == 2
    assert res.trained[1].info["n_trainable"] < res.trained[0].info["n_trainable"]


def test_circuit_rows_and_shift(result):
    cfg, res, _ = result
    for task in cfg.tasks:
        assert set(res.shifts[task]) == {"ICL", "FT n=2", "LoRA n=2"}
        for method, s in res.shifts[task].items():
            assert s.heads.shape == (4, 4) and s.mlp.shape == (4,)
            assert s.head_mean > 0 and math.isfinite(s.mlp_mean)
        rows = [r for r in res.circuit if r["task"] == task]
        by = {(r["method"], r["measure"]) for r in rows}
        assert ("ICL", "patching recovery") in by and ("LoRA n=2", "MLP output change") in by
        heads = [r for r in rows if r["method"] == "FT n=2" and
                 r["measure"] == "head output change"]
        assert sorted((r["layer"], r["head"]) for r in heads) == [(l, h) for l in range(4)
                                                                  for h in range(4)]


def test_summary_and_outputs(result, tmp_path):
    cfg, res, _ = result
    summary = summarize(res, cfg, "tiny-llama")
    assert set(summary["winners"]) == {f"{t}/{s}" for t in cfg.tasks for s in cfg.splits}
    for w in summary["winners"].values():
        assert w["methods"] and 0 <= w["accuracy"] <= 1
    circ = summary["circuit"]
    assert set(circ["per_method"]) == {"ICL", "FT n=2", "LoRA n=2"}
    icl = circ["per_method"]["ICL"]["head_shift"]
    assert circ["icl_head_shift_exceeds"] == {m: icl > v["head_shift"] for m, v in
                                              circ["per_method"].items() if m != "ICL"}
    assert summary["icl_per_shot"]["boolean/misleading"].keys() == {"0", "1", "2"}
    paths = write_outputs(res, summary, tmp_path)
    names = {p.name for p in paths}
    assert {"table.csv", "icl_shots.csv", "circuit.csv", "summary.json",
            "heatmap_head_output_change.png", "heatmap_mlp_output_change.png",
            "heatmap_patching_recovery.png"} <= names
    assert (tmp_path / "heatmap_head_output_change.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "summary.json").read_text())["model"] == "tiny-llama"
    assert len((tmp_path / "table.csv").read_text().splitlines()) == 1 + 4 * 6


def test_report_section_renders(result):
    import pandas as pd

    from iclab.analyses.icl_vs_ft.section import icl_vs_ft_section

    _, res, _ = result
    frame = pd.DataFrame(res.table + res.circuit)
    section = icl_vs_ft_section(frame, {"config_keys": []})
    kinds = [type(b).__name__ for b in section.blocks]
    assert kinds.count("Table") == 1 and kinds.count("Figure") >= 3


def test_cli_json_last_line(tmp_path, one_thread):
    from iclab.cli import app

    model_dir = tmp_path / "tiny"
    tiny_model("gpt_neox").save_pretrained(model_dir)
    tiny_tokenizer("gpt_neox").save_pretrained(model_dir)
    out = tmp_path / "out"
    args = ["icl-vs-ft", "--model", str(model_dir), "--tasks", "parity", "--split", "normal",
            "--shots", "0", "--shots", "1", "--samples", "1", "--method", "lora",
            "--ft-shots", "0", "--n-test", "2", "--n-circuit", "1", "--json", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["tasks"] == ["parity"] and summary["config"]["samples"] == [1]
    assert set(summary["circuit"]["per_method"]) == {"ICL", "LoRA n=1"}
    assert (out / "summary.json").exists() and (out / "heatmap_head_output_change.png").exists()
