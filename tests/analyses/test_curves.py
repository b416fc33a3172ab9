"""ICL curves: one-pass positions equal separate prefix runs; targets per setting; metrics."""

import numpy as np
import pytest

from iclab.analyses.curves.run import (CurvesConfig, moving_average, position_metrics,
                                   repeat_prompts, resolve_setting, run_curves, summarize,
                                   write_outputs)
from iclab.data.types import Example, Task
from iclab.engine import Engine
from iclab.errors import IclabError
from iclab.models.tiny import tiny_model, tiny_tokenizer
from iclab.prompts import build_prompt

SENTENCES = ["the movie was great", "a terrible plot", "the actor is good", "bad film",
             "good review of the film", "the plot was bad", "a great actor", "terrible movie"]


def _task(n=40):
    ex = [Example({"sentence": SENTENCES[i % 8] + f" {i}"}, ("positive", "negative")[i % 8 in (1, 3, 5, 7)])
          for i in range(n)]
    return Task("toy-sentiment", "classification", ("negative", "positive"),
                {"train": tuple(ex[:30]), "test": tuple(ex[30:])})


@pytest.fixture(scope="module")
def tiny_engine():
    return Engine(tiny_model("llama", seed=3), tiny_tokenizer("llama"))


def _separate_runs(engine, task, prompt_demos, setting, n):
    """Per-position label log-probs from n separate prompts: demos[:k] then demo k as query."""
    rows = []
    for k in range(n):
        p = build_prompt(task, prompt_demos[:k], prompt_demos[k], "label-relationships", "gold",
                         engine.tokenizer)
        rows.append(engine.score([p], mode="first", over="labels")[0].logprobs)
    return np.array(rows)


def _check_one_pass_equals_separate(engine, task, n):
    cfg = CurvesConfig(settings=("default",), repeats=1, shots=n)
    prompt = repeat_prompts(task, engine.tokenizer, cfg, 0, engine.max_length)["default"]
    one_pass = np.array(engine.curves([prompt])[0].logprobs)
    pool = task.split("train")
    from iclab.prompts import sample_iid
    draw = sample_iid(len(pool), n, 0, test_size=len(task.split("test")), n_test=1)
    demos = [pool[i] for i in draw.demo_indices]
    separate = _separate_runs(engine, task, demos, "gold", n)
    np.testing.assert_allclose(one_pass, separate, atol=1e-4)


@pytest.mark.slow
def test_one_pass_equals_separate_prefix_runs_tiny(tiny_engine):
    _check_one_pass_equals_separate(tiny_engine, _task(), 10)


@pytest.mark.integration
def test_one_pass_equals_separate_prefix_runs_gemma():
    from iclab.data import load_task
    from iclab.models import load_model

    engine = Engine(load_model("gemma-3-270m"))
    _check_one_pass_equals_separate(engine, load_task("lr-sst2"), 8)


def test_setting_names_and_targets(tiny_engine):
    assert resolve_setting("default", 60) == "gold"
    assert resolve_setting("random", 60) == "random-empirical"
    assert resolve_setting("flip", 60) == "flip-after:30"
    assert resolve_setting("flip-f2d", 61) == "flip-after:30:f2d"
    assert resolve_setting("replacement:rating_1", 60) == "replacement:rating_1"
    task = _task()
    cfg = CurvesConfig(settings=("default", "random", "flip", "alternating", "replacement:flip"),
                       repeats=1, shots=12)
    ps = repeat_prompts(task, tiny_engine.tokenizer, cfg, 0, None)
    gold = ps["default"].demo_targets
    # every variant of a repeat shares examples and order
    assert len({tuple(s.char_start for s in p.spans_of("demo_input")) for p in ps.values()}) == 1
    for name in ("random", "flip", "alternating"):
        assert ps[name].demo_targets == gold  # scored against gold
    # replacement 'flip' swaps the verbalizer: class c is shown (and scored) as the other word
    rep = ps["replacement:flip"]
    assert rep.label_words == ("positive", "negative") and rep.demo_targets == gold
    rep_shown = [rep.text[s.char_start:s.char_end] for s in rep.spans_of("demo_label")]
    assert rep_shown == [task.labels[1 - t] for t in gold]
    shown = [ps["flip"].text[s.char_start:s.char_end] for s in ps["flip"].spans_of("demo_label")]
    words = task.labels
    assert shown[:6] == [words[t] for t in gold[:6]]
    assert shown[6:] == [words[1 - t] for t in gold[6:]]


def test_position_metrics_and_smoothing():
    lp = np.log(np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]))
    m = position_metrics(lp, [0, 0, 0])
    np.testing.assert_allclose(m["loglik"], np.log([0.5, 0.9, 0.2]))
    assert m["accuracy"].tolist() == [1.0, 1.0, 0.0]  # an exact tie goes to the first label
    np.testing.assert_allclose(m["entropy"][0], np.log(2))
    np.testing.assert_allclose(moving_average(np.array([1.0, 3.0, 5.0, 7.0]), 2), [1, 2, 4, 6])


@pytest.mark.slow
def test_run_summary_and_outputs(tiny_engine, tmp_path):
    cfg = CurvesConfig(settings=("default", "random"), repeats=4, shots=6, final_window=2,
                       label_mass=False)
    res = run_curves(tiny_engine, _task(), cfg, "tiny")
    assert res.values["default"]["loglik"].shape == (4, 6)
    s = summarize(res)
    fin = s["settings"]["default"]["final"]["loglik"]
    assert fin["lo"] <= fin["mean"] <= fin["hi"]
    assert "default-random" in s["gaps"] and s["chance_accuracy"] == 0.5
    files = write_outputs(res, s, tmp_path)
    assert (tmp_path / "summary.json").is_file() and len(files) == 5
    assert sum(1 for _ in open(tmp_path / "rows.jsonl")) == 2 * 4 * 6


def test_config_errors():
    with pytest.raises(IclabError, match="repeats"):
        CurvesConfig(repeats=0)
    with pytest.raises(IclabError, match="sampling"):
        CurvesConfig(sampling="stratified")
