"""Every label setting's exact mapping."""

from __future__ import annotations

import random

import numpy as np
import pytest

from iclab.data.types import Example, Task
from iclab.errors import PromptError
from iclab.prompts import ABSTRACT_SYMBOLS, LabelSetting, apply_setting, parse_setting
from iclab.prompts.settings import REPLACEMENTS

LABELS = ("negative", "positive")
GOLD = [0, 1, 1, 0, 1, 0, 0, 1]


def _task(labels=LABELS, gold=GOLD) -> tuple[Task, tuple[Example, ...], Example]:
    demos = tuple(Example({"sentence": f"s{i}"}, labels[y]) for i, y in enumerate(gold))
    query = Example({"sentence": "q"}, labels[-1])
    return Task("t", "classification", tuple(labels), {"train": demos}), demos, query


def _plan(spec, labels=LABELS, gold=GOLD, **kw):
    task, demos, query = _task(labels, gold)
    return apply_setting(spec, task, demos, query, pool=demos, **kw)


def test_gold() -> None:
    p = _plan("gold")
    assert p.shown == tuple(LABELS[y] for y in GOLD)
    assert p.choices == LABELS and p.target == 1 and p.demo_targets == tuple(GOLD)
    assert p.score_against == "gold"


def test_random_uniform_matches_task_recognition_paper() -> None:
    p = _plan("random", seed=87)  # the seed does not matter: random.seed(0) every time
    random.seed(0)
    expected = tuple(random.choice(list(LABELS)) for _ in GOLD)
    assert p.shown == expected
    assert p.shown == ("positive", "positive", "negative", "positive", "positive", "positive",
                       "positive", "positive")
    assert p.choices == LABELS and p.target == 1 and p.demo_targets == tuple(GOLD)


def test_random_empirical_draws_pool_labels() -> None:
    p = _plan("random-empirical", seed=200)
    rng = np.random.default_rng(200)
    idx = [int(rng.choice(len(GOLD), 1)[0]) for _ in GOLD]
    assert p.shown == tuple(LABELS[GOLD[i]] for i in idx)
    assert p.demo_targets == tuple(GOLD) and p.score_against == "gold"


def test_abstract_symbols() -> None:
    assert ABSTRACT_SYMBOLS == ("*", "#", "^", "$", "@", "%", "}", "{")
    p = _plan("abstract")
    assert p.shown == tuple("*#"[y] for y in GOLD)
    assert p.choices == ("*", "#") and p.target == 1 and p.score_against == "shown"
    three = _plan("abstract", labels=("a", "b", "c"), gold=[2, 0, 1])
    assert three.shown == ("^", "*", "#") and three.choices == ("*", "#", "^")


def test_abstract_rejects_more_than_eight_labels() -> None:
    labels = tuple(f"l{i}" for i in range(9))
    with pytest.raises(PromptError, match="at most 8 classes"):
        _plan("abstract", labels=labels, gold=[0])


BINARY = {
    "flip": ("positive", "negative"), "rating_1": ("bad", "good"), "rating_2": ("good", "bad"),
    "options_1": ("A", "B"), "options_2": ("B", "A"), "colors_1": ("green", "blue"),
    "colors_2": ("blue", "green"), "sea_chair_1": ("sea", "chair"),
    "sea_chair_2": ("chair", "sea"),
}
FPB = ("negative", "neutral", "positive")
THREE = {
    "perm_1": ("neutral", "positive", "negative"), "perm_2": ("positive", "negative", "neutral"),
    "flip_outer": ("positive", "neutral", "negative"), "yesno_1": ("no", "ok", "yes"),
    "yesno_2": ("yes", "ok", "no"), "rating_1": ("bad", "ok", "good"),
    "rating_2": ("good", "ok", "bad"), "options_1": ("A", "B", "C"),
    "options_2": ("C", "A", "B"), "options_3": ("B", "C", "A"),
    "colors_1": ("blue", "green", "yellow"), "colors_2": ("yellow", "blue", "green"),
    "colors_3": ("green", "yellow", "blue"),
}
AG = ("world", "sports", "business", "science and technology")
FOUR = {
    "perm_1": ("science and technology", "world", "sports", "business"),
    "perm_2": ("business", "science and technology", "world", "sports"),
    "perm_3": ("sports", "business", "science and technology", "world"),
    "flip": ("science and technology", "business", "sports", "world"),
    "options_1": ("A", "B", "C", "D"), "options_2": ("D", "C", "B", "A"),
}


@pytest.mark.parametrize("labels,table", [(LABELS, BINARY), (FPB, THREE), (AG, FOUR)])
def test_replacement_verbalizers(labels, table) -> None:
    assert set(REPLACEMENTS[len(labels)]) == set(table)
    gold = [i % len(labels) for i in range(len(labels) * 2)]
    for variant, words in table.items():
        p = _plan(f"replacement:{variant}", labels=labels, gold=gold)
        assert p.choices == words, variant
        assert p.shown == tuple(words[y] for y in gold)
        assert p.target == len(labels) - 1  # the query's gold class, named by the new words
        assert p.choices[p.target] == words[-1] and p.score_against == "shown"


def test_replacement_unknown_variant_lists_known() -> None:
    with pytest.raises(PromptError, match=r"no replacement variant 'perm_1'.*2 labels.*'colors_1'"):
        _plan("replacement:perm_1")


def test_flip_after_d2f() -> None:
    p = _plan("flip-after:3", labels=FPB, gold=[0, 1, 2, 0, 1, 2])
    assert p.shown == ("negative", "neutral", "positive", "neutral", "positive", "negative")
    assert p.demo_targets == (0, 1, 2, 0, 1, 2) and p.choices == FPB and p.target == 2


def test_flip_after_f2d_follows_paper_rotation() -> None:
    p = _plan("flip-after:3:f2d", labels=FPB, gold=[0, 1, 2, 0, 1, 2])
    assert p.shown == ("positive", "negative", "neutral", "negative", "neutral", "positive")
    binary = _plan("flip-after:2:f2d", gold=[0, 1, 0, 1])
    assert binary.shown == ("positive", "negative", "negative", "positive")


def test_alternating() -> None:
    p = _plan("alternating", gold=[0, 0, 1, 1])
    assert p.shown == ("negative", "positive", "positive", "negative")
    assert p.demo_targets == (0, 0, 1, 1)


def test_percent_correct_matches_min_et_al() -> None:
    gold = [0, 1, 2, 0, 1, 2, 0, 1]
    p = _plan("percent-correct:50", labels=FPB, gold=gold, seed=13)
    rs = np.random.RandomState(13)
    keep = set(rs.permutation(range(8))[:4].tolist())
    expected = [y if i in keep else int(rs.choice([c for c in range(3) if c != y]))
                for i, y in enumerate(gold)]
    assert p.shown == tuple(FPB[c] for c in expected)
    assert sum(a == FPB[b] for a, b in zip(p.shown, gold)) == 4
    assert p.shown == ("positive", "neutral", "negative", "negative", "neutral", "positive",
                       "neutral", "positive")
    assert _plan("percent-correct:100", labels=FPB, gold=gold).shown == tuple(FPB[y] for y in gold)
    zero = _plan("percent-correct:0", labels=FPB, gold=gold, seed=13)
    assert all(a != FPB[b] for a, b in zip(zero.shown, gold))


def test_score_against_override() -> None:
    task, demos, query = _task(gold=[0, 1])
    p = apply_setting(LabelSetting("alternating", score_against="shown"), task, demos, query)
    assert p.demo_targets == (0, 0) and p.score_against == "shown"


@pytest.mark.parametrize("spec", ["gold", "random", "random-empirical", "abstract",
                                  "replacement:rating_1", "flip-after:4", "flip-after:4:f2d",
                                  "alternating", "percent-correct:25"])
def test_parse_round_trip(spec) -> None:
    assert parse_setting(spec).spec == spec


@pytest.mark.parametrize("spec,message", [
    ("shuffled", "unknown label setting 'shuffled'"),
    ("replacement", "cannot read label setting"),
    ("flip-after:x", "not a number"),
    ("flip-after:3:sideways", "direction"),
    ("percent-correct:150", "0..100"),
    ("gold:1", "cannot read label setting"),
])
def test_parse_errors(spec, message) -> None:
    with pytest.raises(PromptError, match=message):
        parse_setting(spec)


def test_generation_tasks_only_take_gold(flores) -> None:
    q = flores.splits["test"][0]
    with pytest.raises(PromptError, match="needs a classification task"):
        apply_setting("random", flores, flores.splits["train"], q)
    assert apply_setting("gold", flores, flores.splits["train"], q).choices == ()


def test_label_not_in_task_is_named() -> None:
    task, demos, _ = _task()
    with pytest.raises(Exception, match="'neutral' is not one of task 't'"):
        apply_setting("gold", task, demos, Example({"sentence": "q"}, "neutral"))
