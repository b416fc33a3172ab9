"""The curves ``paper`` preset's remaining settings against the label-relationships paper's code
(jlko/in_context_learning). The prompt texts below were produced by running the paper's
``BaseDataset`` (``llm/datasets.py``) in a scratch script on a toy dataset: 10 training
examples ``x{i}`` labelled ``i % K``, 5 test examples ``t{i}``, 6 demonstrations,
``rng = np.random.default_rng(200 + r)``, ``get_fewshot_prompt('q')``; the calibration numbers
by running ``llm/utils.get_calibrate`` with a stub model. They are data here, not iclab output.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from iclab.analyses.curves.run import (CurvesConfig, moving_average, repeat_prompts, run_curves,
                                   summarize)
from iclab.analyses.curves.model import query_metrics, zero_shot_predictor
from iclab.data._common import make_task
from iclab.data.types import Example
from iclab.engine import Engine
from iclab.engine.query_labels import paper_calibrate, paper_prior
from iclab.models.tiny import tiny_model, tiny_tokenizer
from iclab.prompts import build_prompt

N, P = "negative", "positive"


def _demos(labels):
    return "".join(f"Sentence: '{x}' \nAnswer: {y}\n\n" for x, y in labels)


# paper's get_fewshot_prompt output, repeat 0 (demo indices 6, 2, 6, 3, 0, 5), K = 2
PAPER_TEXT = {
    "default": _demos([("x6", N), ("x2", N), ("x6", N), ("x3", P), ("x0", N), ("x5", P)]),
    # flip_labels_after=2, flip_labels_multi=True
    "flip-every:2": _demos([("x6", N), ("x2", N), ("x6", P), ("x3", N), ("x0", N), ("x5", P)]),
    # flip_labels_after=1, flip_labels_multi=True (the paper's alternating run)
    "flip-every:1": _demos([("x6", N), ("x2", P), ("x6", N), ("x3", N), ("x0", N), ("x5", N)]),
    # ... and flip_labels_multi_lim=2
    "flip-every:2:2": _demos([("x6", N), ("x2", N), ("x6", P), ("x3", P), ("x0", N),
                              ("x5", P)]),
    # replace_labels_by='?'
    "replace-by:?": _demos([(x, "?") for x in ("x6", "x2", "x6", "x3", "x0", "x5")]),
    # replace_labels_by='?', replace_labels_until_step=4
    "replace-by:?:4": _demos([("x6", "?"), ("x2", "?"), ("x6", "?"), ("x3", "?"), ("x0", N),
                              ("x5", P)]),
    # random_labels=True, replace_labels_until_step=3
    "random:3": _demos([("x6", P), ("x2", N), ("x6", P), ("x3", P), ("x0", N), ("x5", P)]),
    # inputs_off_by_one=True
    "off-by-one": _demos([("x2", N), ("x6", N), ("x3", N), ("x0", P), ("x5", N)]),
    # inputs_off_by_one=True, random_labels=True
    "off-by-one+random": _demos([("x2", P), ("x6", N), ("x3", P), ("x0", N), ("x5", P)]),
}
TRIGGER = "In the following, `negative` means `positive` and `positive` means `negative`.\n"
# repeat 1 (demo indices 9, 1, 5, 8, 4, 7): random_labels=True, replace_labels_until_step=4
PAPER_REPEAT1_RANDOM4 = _demos([("x9", P), ("x1", N), ("x5", N), ("x8", N), ("x4", N),
                                ("x7", P)])
# K = 3 (labels i % 3), flip_labels_after=2, flip_labels_multi=True; and TRIGGER_FLIP
PAPER_3 = _demos([("x6", "negative"), ("x2", "positive"), ("x6", "neutral"),
                  ("x3", "neutral"), ("x0", "negative"), ("x5", "positive")])
TRIGGER_3 = ("In the following, `negative` means `neutral` and `neutral` means `positive` and "
             "`positive` means `negative`.\n")
# get_calibrate with a stub whose label probs for its three texts are (.2,.8), (.6,.4),
# (.5,.5); then calibrate(log([[.7,.3],[.35,.65]]))
PRIOR = [-0.9378035722533454, -0.6108604879161034]
CALIBRATED = [[-0.269304341212839, -1.4435452859372848],
              [-0.8498225608714982, -0.5577264368025167]]


def _task(k=2):
    labels = ("negative", "positive") if k == 2 else ("negative", "neutral", "positive")
    train = [Example({"sentence": f"x{i}"}, labels[i % k]) for i in range(10)]
    test = [Example({"sentence": f"t{i}"}, labels[0]) for i in range(5)]
    return make_task(f"lr-toy{k}", "classification", labels, {"train": train, "test": test},
                     input_fields=("sentence",))


@pytest.fixture(scope="module")
def tiny_engine():
    return Engine(tiny_model("llama", seed=3), tiny_tokenizer("llama"))


def _demo_text(prompt):
    return prompt.text[:prompt.text.rindex("Sentence: 't")]


@pytest.mark.parametrize("name", list(PAPER_TEXT))
def test_settings_write_the_papers_prompt(name):
    cfg = CurvesConfig.paper(settings=(name,), repeats=1, shots=6)
    prompt = repeat_prompts(_task(), tiny_tokenizer("llama"), cfg, 0, None)[name]
    assert _demo_text(prompt) == PAPER_TEXT[name]
    assert prompt.text.endswith("\nAnswer:")


def test_scored_positions_are_the_papers_train_labels():
    cfg = CurvesConfig.paper(settings=tuple(PAPER_TEXT), repeats=1, shots=6)
    ps = repeat_prompts(_task(), tiny_tokenizer("llama"), cfg, 0, None)
    gold = (0, 0, 0, 1, 0, 1)  # labels of x6 x2 x6 x3 x0 x5: the paper's train_labels
    for name, p in ps.items():
        expected = gold[:5] if name.startswith("off-by-one") else gold
        assert p.demo_targets == expected, name


def test_random_until_step_repeat_1_and_three_classes():
    tok = tiny_tokenizer("llama")
    cfg = CurvesConfig.paper(settings=("random:4",), repeats=2, shots=6)
    assert _demo_text(repeat_prompts(_task(), tok, cfg, 1, None)["random:4"]) == \
        PAPER_REPEAT1_RANDOM4
    cfg = CurvesConfig.paper(settings=("flip-every:2",), repeats=1, shots=6)
    assert _demo_text(repeat_prompts(_task(3), tok, cfg, 0, None)["flip-every:2"]) == PAPER_3


def test_trigger_flip_prompt():
    tok = tiny_tokenizer("llama")
    cfg = CurvesConfig.paper(settings=("default",), repeats=1, shots=6, instruction="TRIGGER_FLIP")
    assert _demo_text(repeat_prompts(_task(), tok, cfg, 0, None)["default"]) == \
        TRIGGER + PAPER_TEXT["default"]
    cfg = CurvesConfig.paper(settings=("default",), repeats=1, shots=6, instruction="TRIGGER_FLIP")
    three = repeat_prompts(_task(3), tok, cfg, 0, None)["default"]
    assert three.text.startswith(TRIGGER_3 + "Sentence: 'x6' \nAnswer: negative\n\n")


def test_valid_smoothing_is_the_papers_convolution(tiny_engine):
    # np.convolve([1, 3, 5, 7, 9], np.ones(3) / 3, mode='valid') == [3, 5, 7]
    np.testing.assert_allclose(moving_average(np.array([1.0, 3, 5, 7, 9]), 3, "valid"), [3, 5, 7])
    task = _task()
    raw = run_curves(tiny_engine, task, CurvesConfig(settings=("default",), repeats=3, shots=6),
                     "tiny")
    cfg = CurvesConfig.paper(settings=("default",), repeats=3, shots=6, smooth=3, query=False)
    res = run_curves(tiny_engine, task, cfg, "tiny")
    mean = raw.values["default"]["loglik"].mean(axis=0)
    smoothed = [c["mean"] for c in summarize(res)["settings"]["default"]["per_position"]["loglik"]]
    np.testing.assert_allclose(smoothed, np.convolve(mean, np.ones(3) / 3, mode="valid"))
    rows = res.rows()
    assert len(rows) == 3 * 4 and rows[0]["position"] == 0 and rows[0]["window_end"] == 2
    assert summarize(res)["smooth_mode"] == "valid"
    assert "window_end" not in raw.rows()[0]  # iclab default: trailing, same length


def test_paper_calibration_math():
    np.testing.assert_allclose(paper_calibrate(np.log([[0.7, 0.3], [0.35, 0.65]]), PRIOR),
                               CALIBRATED)


class _StubEngine:
    """Returns the stub's label log-probs for the paper's three calibration texts."""

    TABLE = {"Answer: ": [0.2, 0.8], "Sentence: 'A neutral sentence.'\nAnswer: ": [0.6, 0.4],
             "Sentence: .'\nAnswer: ": [0.5, 0.5]}

    def __init__(self):
        self.texts = list(self.TABLE)
        self.tokenizer = lambda text: {"input_ids": [self.texts.index(text)]}

    def score_ids(self, ids, choices, over):
        assert over == "labels" and all(c == [(5,), (7,)] for c in choices)
        from types import SimpleNamespace
        return [SimpleNamespace(logprobs=tuple(np.log(self.TABLE[self.texts[i[0]]])))
                for i in ids]


def test_paper_prior_averages_log_probs_of_the_three_texts():
    from iclab.prompts.labelrel import calibration_texts

    np.testing.assert_allclose(paper_prior(_StubEngine(), calibration_texts("Sentence"), (5, 7)),
                               PRIOR)


def test_query_metrics_read_the_query(tiny_engine):
    task = _task()
    cfg = CurvesConfig.paper(settings=("default",), repeats=2, shots=6)
    prompts = [repeat_prompts(task, tiny_engine.tokenizer, cfg, r, None)["default"]
               for r in range(2)]
    m = query_metrics(tiny_engine, task, prompts)
    direct = [tiny_engine.score([p], mode="first", over="labels")[0] for p in prompts]
    np.testing.assert_allclose(m["query_loglik"], [d.logprobs[d.target] for d in direct],
                               atol=1e-5)
    assert m["query_accuracy"].tolist() == [float(d.prediction == d.target) for d in direct]
    assert set(m) >= {"query_accuracy_calibrated", "query_loglik_calibrated"}
    res = run_curves(tiny_engine, task, cfg, "tiny")
    s = summarize(res)["settings"]["default"]["query"]
    assert s["query_accuracy_calibrated"]["lo"] <= s["query_accuracy_calibrated"]["mean"]
    assert len(res.query_rows()) == 2


def test_predicted_labels_are_the_models_zero_shot_predictions(tiny_engine):
    task = _task()
    predict = zero_shot_predictor(tiny_engine, task, "label-relationships")
    pool = task.split("train")
    expected = []
    for ex in pool:
        p = build_prompt(task, [], ex, "label-relationships", "gold", tiny_engine.tokenizer)
        expected.append(tiny_engine.score([p], mode="first", over="labels")[0].prediction)
    assert predict(list(pool)) == expected
    cfg = CurvesConfig.paper(settings=("predicted", "off-by-one+predicted"), repeats=1, shots=6)
    ps = repeat_prompts(task, tiny_engine.tokenizer, cfg, 0, None, predict)
    shown = re.findall(r"Answer: (\w+)", _demo_text(ps["predicted"]))
    assert shown == [task.labels[expected[i]] for i in (6, 2, 6, 3, 0, 5)]
    off = re.findall(r"Answer: (\w+)", _demo_text(ps["off-by-one+predicted"]))
    assert off == shown[:5]  # the paper: pred_labels[idx] of demo i, input of demo i + 1
    assert ps["predicted"].demo_targets == (0, 0, 0, 1, 0, 1)


@pytest.mark.integration
def test_query_calibration_and_predictions_on_gemma():
    from iclab.data import load_task
    from iclab.models import load_model

    engine = Engine(load_model("gemma-3-270m"))
    task = load_task("lr-sst2")
    cfg = CurvesConfig.paper("lr-sst2", settings=("default", "predicted"), repeats=2, shots=8,
                             flip_at=4, smooth=3)
    res = run_curves(engine, task, cfg, "gemma-3-270m")
    assert res.values["predicted"]["loglik"].shape == (2, 6)
    q = res.query["default"]
    assert np.all(q["query_loglik_calibrated"] <= 0)
    assert q["query_accuracy_calibrated"].shape == (2,)
    assert np.all(np.isfinite(q["query_entropy"]))


def test_cli_paper_preset_smooths_valid_and_scores_the_query(tmp_path):
    import json

    from typer.testing import CliRunner

    from iclab.cli import app

    model_dir = tmp_path / "tiny"
    tiny_model("llama").save_pretrained(model_dir)
    tiny_tokenizer("llama").save_pretrained(model_dir)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "curves", "-m", str(model_dir), "-t", "word-sentiment", "--preset", "paper",
        "--settings", "default,flip-every:2,off-by-one,replace-by:?:3", "--repeats", "2",
        "--demos", "6", "--smooth", "2", "--instruction", "TRIGGER_FLIP", "-o", str(out),
        "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["smooth_mode"] == "valid" and summary["smooth"] == 2
    assert set(summary["settings"]["off-by-one"]["query"]) >= {"query_accuracy_calibrated"}
    full = json.loads((out / "summary.json").read_text())
    assert len(full["settings"]["default"]["per_position"]["loglik"]) == 5  # 6 - 2 + 1
    assert len(full["settings"]["off-by-one"]["per_position"]["loglik"]) == 4
    assert sum(1 for _ in open(out / "query.jsonl")) == 4 * 2
    bad = CliRunner().invoke(app, ["curves", "-m", str(model_dir), "--smooth-mode", "centred",
                                   "-o", str(tmp_path / "o2")])
    assert bad.exit_code != 0 and "smooth_mode" in str(bad.output) + str(bad.exception)
