"""The curves ``paper`` preset against the label-relationships paper's code (jlko/
in_context_learning, ``llm/datasets.py``): per repeat r, ``rng = np.random.default_rng(200 + r)``;
``test_indices = rng.choice(range(T), n_test, replace=False)``; ``fewshot_indices =
rng.choice(range(P), N)``; each random label is the label of ``rng.choice(range(P), 1)[0]``
drawn from the same generator, in demo order. The literals were produced by running those lines
(P = 10, T = 5, N = 6) in a scratch script; the flip points are the paper's ``runs.md``."""

from __future__ import annotations

import re

import pytest

from iclab.analyses.curves.run import PAPER_RUNS, CurvesConfig, repeat_prompts, resolve_setting
from iclab.data._common import make_task
from iclab.data.types import Example
from iclab.models.tiny import tiny_tokenizer

# repeat -> (test index, demo indices, random-label pool indices)
PAPER_DRAWS = {0: (0, [6, 2, 6, 3, 0, 5], [1, 8, 5, 4, 5, 4]),
               1: (1, [9, 1, 5, 8, 4, 7], [5, 8, 6, 8, 5, 5])}
FRESH = {0: [8, 6, 5, 2, 3, 0], 1: [4, 5, 7, 9, 0, 1]}  # np.random.default_rng(r), iclab default


def _task():
    labels = tuple(f"l{i}" for i in range(10))
    train = [Example({"sentence": f"x{i}"}, f"l{i}") for i in range(10)]
    test = [Example({"sentence": f"t{i}"}, "l0") for i in range(5)]
    return make_task("lr-toy", "classification", labels, {"train": train, "test": test},
                     input_fields=("sentence",))


def _shown(text: str) -> list[int]:
    return [int(m) for m in re.findall(r"Answer: l(\d)", text)]


@pytest.mark.parametrize("repeat", [0, 1])
def test_random_labels_continue_the_repeats_generator(repeat):
    test_idx, demo_idx, label_idx = PAPER_DRAWS[repeat]
    tok = tiny_tokenizer("llama")
    cfg = CurvesConfig.paper(settings=("default", "random"), repeats=2, shots=6)
    prompts = repeat_prompts(_task(), tok, cfg, repeat, None)
    assert _shown(prompts["default"].text)[:6] == demo_idx
    assert _shown(prompts["random"].text)[:6] == label_idx
    assert f"t{test_idx}" in prompts["random"].text
    fresh = repeat_prompts(_task(), tok, CurvesConfig(settings=("random",), shots=6), repeat, None)
    assert _shown(fresh["random"].text)[:6] == FRESH[repeat]  # iclab default kept


def test_paper_flip_points():
    assert PAPER_RUNS["lr-sst2"] == (140, 60) and PAPER_RUNS["lr-mrpc"] == (40, 17)
    assert PAPER_RUNS["lr-rte"] == (30, 10) and PAPER_RUNS["lr-subj"] == (80, 30)
    cfg = CurvesConfig.paper("lr-sst2")
    assert (cfg.shots, cfg.flip_at, cfg.random_stream) == (140, 60, "continue")
    assert resolve_setting("flip", cfg.shots, cfg.flip_at) == "flip-after:60"
    assert resolve_setting("flip-f2d", 60) == "flip-after:30:f2d"  # iclab default: N // 2
    assert CurvesConfig().random_stream == "fresh" and CurvesConfig().flip_at is None
