"""The label-relationships paper's extra prompt pieces and label settings, against its code
(jlko/in_context_learning ``llm/datasets.py``, ``llm/utils.py``). Strings are the paper's
``default_prompt_string`` values and the text its ``TRIGGER_FLIP`` branch builds, copied as
data; the block-flip / replace-by / until-step patterns were produced by running
``BaseDataset.get_fewshot_examples`` on a toy dataset in a scratch script."""

from __future__ import annotations

import pytest

from iclab.data.types import Example, Task
from iclab.errors import PromptError
from iclab.prompts import apply_setting, parse_setting
from iclab.prompts.labelrel import (
    TASK_INSTRUCTIONS,
    calibration_texts,
    compose_instruction,
    inputs_off_by_one,
    trigger_flip_instruction,
)

LABELS = ("negative", "positive")
GOLD = [0, 1, 1, 0, 1, 0, 0, 1]


def _plan(spec, gold=GOLD, labels=LABELS, **kw):
    demos = tuple(Example({"sentence": f"s{i}"}, labels[y]) for i, y in enumerate(gold))
    task = Task("t", "classification", labels, {"train": demos})
    return apply_setting(spec, task, demos, Example({"sentence": "q"}, labels[0]), pool=demos,
                         **kw)


def test_trigger_flip_text_is_the_papers():
    assert trigger_flip_instruction(["negative", "positive"]) == (
        "In the following, `negative` means `positive` and `positive` means `negative`.")
    assert trigger_flip_instruction(["negative", "neutral", "positive"]) == (
        "In the following, `negative` means `neutral` and `neutral` means `positive` and "
        "`positive` means `negative`.")
    with pytest.raises(PromptError, match="2 class names"):
        trigger_flip_instruction(["only"])


def test_task_instructions_verbatim_and_joined_by_newline():
    assert TASK_INSTRUCTIONS["lr-sst2"] == ("Is the sentiment of the following sentence "
                                            "`positive` or `negative`. Respond with `positive` "
                                            "or `negative.")
    assert TASK_INSTRUCTIONS["lr-ag_news"] == (
        "To which category does the following news article belong: `world`, `sport`, "
        "`busines`, or `science and technology`?")
    assert TASK_INSTRUCTIONS["lr-rte"] == ("Does Sentence 1 entail Sentence 1? Respond with "
                                           "`entailment` or `not entailment`.")
    assert len(TASK_INSTRUCTIONS) == 9
    both = compose_instruction("lr-subj", True, "TRIGGER_FLIP", ("objective", "subjective"))
    assert both == ("Is the following sentence `objective` or `subjective`. Respond with "
                    "`objective` or `subjective`.\nIn the following, `objective` means "
                    "`subjective` and `subjective` means `objective`.")
    assert compose_instruction("lr-subj", False, "", ("a", "b")) == ""
    assert compose_instruction("x", False, "Classify.", ("a", "b")) == "Classify."
    with pytest.raises(PromptError, match="no label-relationships instruction"):
        compose_instruction("toy", True, "", ("a", "b"))


def test_calibration_texts_are_the_papers():
    assert calibration_texts("Sentence") == (
        "Answer: ", "Sentence: 'A neutral sentence.'\nAnswer: ", "Sentence: .'\nAnswer: ")


def test_inputs_off_by_one_pairs_next_input_with_own_label():
    demos = [Example({"sentence": f"x{i}"}, LABELS[i % 2]) for i in range(4)]
    shifted = inputs_off_by_one(demos)
    assert [(d.fields["sentence"], d.label) for d in shifted] == [
        ("x1", "negative"), ("x2", "positive"), ("x3", "negative")]
    with pytest.raises(PromptError, match="at least 2"):
        inputs_off_by_one(demos[:1])


def test_block_flips_follow_flip_labels_multi():
    # (i // F) % 2 == 1 flips; none after the limit. Gold 0,1,1,0,1,0,0,1.
    assert _plan("flip-every:2").shown == tuple(LABELS[c] for c in [0, 1, 0, 1, 1, 0, 1, 0])
    assert _plan("flip-every:1").shown == _plan("alternating").shown
    assert _plan("flip-every:3").shown == tuple(LABELS[c] for c in [0, 1, 1, 1, 0, 1, 0, 1])
    assert _plan("flip-every:2:2").shown == tuple(LABELS[c] for c in [0, 1, 0, 0, 1, 0, 0, 1])
    three = _plan("flip-every:2", gold=[0, 2, 1, 0], labels=("a", "b", "c"))
    assert three.shown == ("a", "c", "c", "b") and three.demo_targets == (0, 2, 1, 0)
    assert _plan("flip-every:2").demo_targets == tuple(GOLD)


def test_replace_by_word_until_step():
    p = _plan("replace-by:?")
    assert p.shown == ("?",) * 8 and p.choices == LABELS and p.demo_targets == tuple(GOLD)
    p = _plan("replace-by:?:5")
    assert p.shown == ("?",) * 5 + tuple(LABELS[c] for c in GOLD[5:])


def test_random_until_step_draws_only_for_replaced_demos():
    p = _plan("random-empirical:3", pool_draws=[1, 0, 3])
    assert p.shown[:3] == (LABELS[GOLD[1]], LABELS[GOLD[0]], LABELS[GOLD[3]])
    assert p.shown[3:] == tuple(LABELS[c] for c in GOLD[3:])
    with pytest.raises(PromptError, match="3 random demos"):
        _plan("random-empirical:3", pool_draws=[1, 0, 3, 4])


def test_predicted_labels_shown_scored_against_gold():
    p = _plan("predicted", predicted=[1] * 8)
    assert p.shown == ("positive",) * 8 and p.demo_targets == tuple(GOLD)
    with pytest.raises(PromptError, match="predicted class"):
        _plan("predicted")
    with pytest.raises(PromptError, match="not in 0..1"):
        _plan("predicted", predicted=[2] * 8)


@pytest.mark.parametrize("spec", ["flip-every:4", "flip-every:4:9", "replace-by:???",
                                  "replace-by:?:7", "random-empirical:5", "predicted"])
def test_new_specs_round_trip(spec):
    assert parse_setting(spec).spec == spec


@pytest.mark.parametrize("spec,match", [("flip-every:0", "block size"),
                                        ("flip-every", "cannot read"),
                                        ("replace-by", "cannot read"),
                                        ("replace-by:", "non-empty word"),
                                        ("random-empirical:x", "not a number")])
def test_new_spec_errors(spec, match):
    with pytest.raises(PromptError, match=match):
        parse_setting(spec)
