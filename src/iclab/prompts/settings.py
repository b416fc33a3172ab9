"""Label settings: named, seeded transformations of the labels shown in demonstrations.

Every setting keeps the query's gold class. What changes is (a) the word written after each
demo, (b) the words the query is scored over (``choices``: the task's labels, abstract symbols,
or a replacement verbalizer, always in class order) and (c) which label a per-position curve
scores each demo against (``score_against``: ``"gold"`` = the demo's true class, ``"shown"`` =
the class of the word actually written).

=====================  =======================================================  ============
setting                shown demo label                                          scored
=====================  =======================================================  ============
gold                   gold word                                                 gold
random                 ``random.seed(0)``; ``random.choice(labels)`` per demo    gold
                       (task-recognition paper; same draws for every seed)
random-empirical       label of a uniformly drawn pool example                   gold
                       (``np.random.default_rng(seed)``, or the paper's per-query
                       draws passed as ``pool_draws``; label-relationships)
random-empirical:S     the same on demos 0..S-1, gold from S on (the paper's     gold
                       ``replace_labels_until_step``: no draw for demos >= S)
replace-by:WORD[:S]    the literal WORD on demos 0..S-1 (every demo without S),  gold
                       gold word after (``replace_labels_by``, ``..._until_step``)
abstract               option i -> i-th of ``* # ^ $ @ % } {``                   shown
                       (``random.seed(0)`` shuffle of ``@#$%*^{}``); also choices
abstract-numbers       option i -> i-th of ``"0".."K-1"`` shuffled (seed 0)      shown
abstract-letters       option i -> i-th of K letters sampled from A-Z, shuffled  shown
                       (seed 0; task-recognition paper's other abstract sets)
replacement:VARIANT    gold class through the variant's verbalizer; also choices  shown
flip-after:F           d2f: from demo F on, class (y+1) mod K                    gold
flip-after:F:f2d       f2d: before demo F, class (y-1) mod K, gold from F on     gold
alternating            odd positions (1, 3, ...) show class (y+1) mod K          gold
flip-every:F[:L]       block flips: demo i shows (y+1) mod K when (i // F) is    gold
                       odd (``flip_labels_multi``); none after demo L (``_lim``)
predicted              the model's own prediction for each demo's input, passed  gold
                       as ``predicted`` (``use_model_preds_as_labels``)
percent-correct:P      Min et al.: ``RandomState(seed)``; ``k*P//100`` demos     gold
                       chosen by a permutation keep gold, others a random wrong
=====================  =======================================================  ============

``f2d`` follows the label-relationships code, which shows a once-rotated verbalizer before F
and rotates the class once more from F on; for K > 2 the early labels are (y-1) mod K.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from iclab.data.types import Example, Task
from iclab.errors import PromptError

SettingKind = Literal[
    "gold", "random", "random-empirical", "abstract", "replacement", "flip-after",
    "alternating", "percent-correct", "abstract-numbers", "abstract-letters", "flip-every",
    "replace-by", "predicted",
]
ScoreAgainst = Literal["gold", "shown"]

KINDS: tuple[str, ...] = SettingKind.__args__  # type: ignore[attr-defined]



def _abstract_symbols(seed: int = 0) -> tuple[str, ...]:
    """``list("@#$%*^{}")`` shuffled after ``random.seed(seed)`` (task-recognition paper)."""
    symbols = list("@#$%*^{}")
    random.Random(seed).shuffle(symbols)
    return tuple(symbols)


ABSTRACT_SYMBOLS: tuple[str, ...] = _abstract_symbols(0)
"""``* # ^ $ @ % } {``: option i is shown as symbol i, in demos and as the target."""


def abstract_numbers(n: int, seed: int = 0) -> tuple[str, ...]:
    """The task-recognition paper's ``abstract_numbers``: ``"0".."n-1"`` shuffled after
    ``random.seed(seed)``; option i is shown as the i-th."""
    words = [str(i) for i in range(n)]
    random.Random(seed).shuffle(words)
    return tuple(words)


def abstract_letters(n: int, seed: int = 0) -> tuple[str, ...]:
    """The task-recognition paper's ``abstract_letters``: after ``random.seed(seed)``, ``n``
    letters sampled from A-Z, then shuffled with the same generator."""
    rng = random.Random(seed)
    words = rng.sample(string.ascii_uppercase, n)
    rng.shuffle(words)
    return tuple(words)

# Replacement verbalizers of the label-relationships paper, by number of classes. A tuple of
# ints is a permutation of the task's own labels; a tuple of strings is a new verbalizer.
REPLACEMENTS: dict[int, dict[str, tuple[int, ...] | tuple[str, ...]]] = {
    2: {
        "flip": (1, 0),
        "rating_1": ("bad", "good"), "rating_2": ("good", "bad"),
        "options_1": ("A", "B"), "options_2": ("B", "A"),
        "colors_1": ("green", "blue"), "colors_2": ("blue", "green"),
        "sea_chair_1": ("sea", "chair"), "sea_chair_2": ("chair", "sea"),
    },
    3: {
        "perm_1": (1, 2, 0), "perm_2": (2, 0, 1), "flip_outer": (2, 1, 0),
        "yesno_1": ("no", "ok", "yes"), "yesno_2": ("yes", "ok", "no"),
        "rating_1": ("bad", "ok", "good"), "rating_2": ("good", "ok", "bad"),
        "options_1": ("A", "B", "C"), "options_2": ("C", "A", "B"), "options_3": ("B", "C", "A"),
        "colors_1": ("blue", "green", "yellow"), "colors_2": ("yellow", "blue", "green"),
        "colors_3": ("green", "yellow", "blue"),
    },
    4: {
        "perm_1": (3, 0, 1, 2), "perm_2": (2, 3, 0, 1), "perm_3": (1, 2, 3, 0),
        "flip": (3, 2, 1, 0),
        "options_1": ("A", "B", "C", "D"), "options_2": ("D", "C", "B", "A"),
    },
}

_DEFAULT_SCORE: dict[str, ScoreAgainst] = {"abstract": "shown", "replacement": "shown",
                                           "abstract-numbers": "shown",
                                           "abstract-letters": "shown"}


@dataclass(frozen=True)
class LabelSetting:
    """A label setting; validated on construction.

    Attributes:
        kind: one of :data:`KINDS`.
        variant: replacement variant name (``kind="replacement"``), e.g. ``"rating_1"``.
        flip_at: demo position F where the flip happens (``kind="flip-after"``).
        direction: ``"d2f"`` (default, then flipped) or ``"f2d"`` (flipped, then default).
        percent: share of demos keeping gold, 0..100 (``kind="percent-correct"``).
        seed: overrides the seed of the random settings (see the module table).
        score_against: overrides the per-kind default (gold, or shown for abstract/replacement).
        word: the literal label word of ``replace-by``.
        until: ``random-empirical`` / ``replace-by`` change demos 0..until-1 only (the paper's
            ``replace_labels_until_step``); None: every demo.
        limit: ``flip-every`` flips no demo after position ``limit`` (``flip_labels_multi_lim``).
    """

    kind: SettingKind = "gold"
    variant: str | None = None
    flip_at: int | None = None
    direction: Literal["d2f", "f2d"] = "d2f"
    percent: int | None = None
    seed: int | None = None
    score_against: ScoreAgainst | None = None
    word: str | None = None
    until: int | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise PromptError(f"unknown label setting {self.kind!r}; known settings: {list(KINDS)}")
        if (self.kind == "replacement") != (self.variant is not None):
            raise PromptError("label setting 'replacement' needs a variant (and only it takes one)")
        if self.kind == "flip-after" and (self.flip_at is None or self.flip_at < 0):
            raise PromptError(f"label setting 'flip-after' needs flip_at >= 0, got {self.flip_at}")
        if self.direction not in ("d2f", "f2d"):
            raise PromptError(f"flip direction must be 'd2f' or 'f2d', got {self.direction!r}")
        if self.kind == "percent-correct" and not (
            isinstance(self.percent, int) and 0 <= self.percent <= 100
        ):
            raise PromptError(f"percent-correct needs an integer 0..100, got {self.percent!r}")
        if self.kind == "flip-every" and (self.flip_at is None or self.flip_at < 1):
            raise PromptError(f"label setting 'flip-every' needs a block size F >= 1, got "
                              f"{self.flip_at}")
        if (self.kind == "replace-by") != (self.word is not None) or self.word == "":
            raise PromptError("label setting 'replace-by' needs a non-empty word (and only it "
                              f"takes one), got {self.word!r}")
        if self.until is not None and (self.kind not in ("random-empirical", "replace-by")
                                       or self.until < 0):
            raise PromptError(f"until={self.until!r}: only random-empirical and replace-by take "
                              "an until step, and it must be >= 0")
        if self.limit is not None and (self.kind != "flip-every" or self.limit < 0):
            raise PromptError(f"limit={self.limit!r}: only flip-every takes a limit, >= 0")
        if self.score_against not in (None, "gold", "shown"):
            raise PromptError(f"score_against must be 'gold' or 'shown', got {self.score_against!r}")

    @property
    def scored(self) -> ScoreAgainst:
        """What demo positions are scored against: ``"gold"`` or ``"shown"``."""
        return self.score_against or _DEFAULT_SCORE.get(self.kind, "gold")

    @property
    def spec(self) -> str:
        """The setting as a string that :func:`parse_setting` reads back."""
        if self.kind == "replacement":
            return f"replacement:{self.variant}"
        if self.kind == "flip-after":
            return f"flip-after:{self.flip_at}" + (":f2d" if self.direction == "f2d" else "")
        if self.kind == "percent-correct":
            return f"percent-correct:{self.percent}"
        if self.kind == "flip-every":
            return f"flip-every:{self.flip_at}" + ("" if self.limit is None else f":{self.limit}")
        until = "" if self.until is None else f":{self.until}"
        if self.kind == "replace-by":
            return f"replace-by:{self.word}{until}"
        return self.kind + until


@dataclass(frozen=True)
class LabelPlan:
    """The labels of one prompt after a setting is applied.

    Attributes:
        shown: the word written after each demo.
        choices: label words the query is scored over, in class order (no lead separator).
        target: the query's gold class index into ``choices``.
        demo_targets: per demo, the class index into ``choices`` a curve scores against.
        score_against: ``"gold"`` or ``"shown"``.
    """

    shown: tuple[str, ...]
    choices: tuple[str, ...]
    target: int
    demo_targets: tuple[int, ...]
    score_against: ScoreAgainst


def parse_setting(spec: str | LabelSetting) -> LabelSetting:
    """Read ``gold``, ``random``, ``replacement:rating_1``, ``flip-after:8[:f2d]``,
    ``percent-correct:50``, ``flip-every:10[:L]``, ``random-empirical:S``,
    ``replace-by:WORD[:S]`` ... into a :class:`LabelSetting`."""
    if isinstance(spec, LabelSetting):
        return spec
    kind, *args = spec.strip().split(":")
    try:
        if kind == "flip-every" and len(args) in (1, 2):
            return LabelSetting("flip-every", flip_at=int(args[0]),
                                limit=int(args[1]) if len(args) == 2 else None)
        if kind == "replace-by" and len(args) in (1, 2):
            return LabelSetting("replace-by", word=args[0],
                                until=int(args[1]) if len(args) == 2 else None)
        if kind == "random-empirical" and len(args) == 1:
            return LabelSetting("random-empirical", until=int(args[0]))
        if kind == "replacement" and len(args) == 1:
            return LabelSetting("replacement", variant=args[0])
        if kind == "flip-after" and len(args) in (1, 2):
            direction = args[1] if len(args) == 2 else "d2f"
            return LabelSetting("flip-after", flip_at=int(args[0]), direction=direction)  # type: ignore[arg-type]
        if kind == "percent-correct" and len(args) == 1:
            return LabelSetting("percent-correct", percent=int(args[0]))
    except ValueError:
        raise PromptError(f"label setting {spec!r}: {args!r} is not a number") from None
    if args or kind in ("replacement", "flip-after", "percent-correct", "flip-every",
                        "replace-by"):
        raise PromptError(
            f"cannot read label setting {spec!r}; write one of {list(KINDS)} with "
            "'replacement:VARIANT', 'flip-after:F' or 'flip-after:F:f2d', 'percent-correct:P', "
            "'flip-every:F[:LIMIT]', 'random-empirical[:S]', 'replace-by:WORD[:S]'"
        )
    return LabelSetting(kind)  # type: ignore[arg-type]


def replacement_words(task: Task, variant: str) -> tuple[str, ...]:
    """The verbalizer of a replacement variant for ``task`` (class order)."""
    table = REPLACEMENTS.get(len(task.labels))
    if table is None or variant not in table:
        known = sorted(table) if table else []
        raise PromptError(
            f"no replacement variant {variant!r} for task {task.name!r} with "
            f"{len(task.labels)} labels; variants for it: {known}"
        )
    entry = table[variant]
    return tuple(task.labels[i] if isinstance(i, int) else i for i in entry)


def label_words(setting: LabelSetting | str, task: Task) -> tuple[str, ...]:
    """The words a setting scores the query over (its ``choices``), in class order."""
    setting = parse_setting(setting)
    if setting.kind == "abstract":
        if len(task.labels) > len(ABSTRACT_SYMBOLS):
            raise PromptError(f"abstract labels support at most {len(ABSTRACT_SYMBOLS)} classes; "
                              f"task {task.name!r} has {len(task.labels)}")
        return ABSTRACT_SYMBOLS[: len(task.labels)]
    if setting.kind == "abstract-numbers":
        return abstract_numbers(len(task.labels))
    if setting.kind == "abstract-letters":
        return abstract_letters(len(task.labels))
    if setting.kind == "replacement":
        return replacement_words(task, setting.variant or "")
    return tuple(task.labels)


def _gold(task: Task, examples: Sequence[Example]) -> list[int]:
    return [task.label_index(e.label) for e in examples]


def _shown_classes(
    setting: LabelSetting, task: Task, gold: list[int], seed: int,
    pool: Sequence[Example] | None, pool_draws: Sequence[int] | None = None,
    predicted: Sequence[int] | None = None,
) -> list[int]:
    """Class index shown for each demo, for every kind except abstract/replacement/gold."""
    k, n = len(task.labels), len(gold)
    if setting.kind == "predicted":
        if predicted is None or len(predicted) != n:
            raise PromptError(f"label setting 'predicted' needs the model's predicted class for "
                              f"each of the {n} demos, got {predicted!r}")
        bad = [c for c in predicted if not 0 <= c < k]
        if bad:
            raise PromptError(f"predicted classes {bad} are not in 0..{k - 1}")
        return [int(c) for c in predicted]
    if setting.kind == "flip-every":
        f, lim = setting.flip_at or 1, setting.limit
        return [(y + 1) % k if (i // f) % 2 == 1 and (lim is None or i <= lim) else y
                for i, y in enumerate(gold)]
    if setting.kind == "random":
        rnd = random.Random(0 if setting.seed is None else setting.seed)
        return [task.labels.index(rnd.choice(task.labels)) for _ in range(n)]
    if setting.kind == "random-empirical":
        if not pool:
            raise PromptError(f"label setting 'random-empirical' needs a non-empty training pool "
                              f"for task {task.name!r}")
        m = n if setting.until is None else min(setting.until, n)  # demos that draw
        if pool_draws is None:
            rng = np.random.default_rng(seed if setting.seed is None else setting.seed)
            pool_draws = [int(rng.choice(len(pool), 1)[0]) for _ in range(m)]
        if len(pool_draws) != m:
            raise PromptError(f"{len(pool_draws)} pool draws for {m} random demos")
        return [task.label_index(pool[i].label) for i in pool_draws] + list(gold[m:])
    if setting.kind == "flip-after":
        f = setting.flip_at or 0
        if setting.direction == "d2f":
            return [(y + 1) % k if i >= f else y for i, y in enumerate(gold)]
        return [(y - 1) % k if i < f else y for i, y in enumerate(gold)]
    if setting.kind == "alternating":
        return [(y + 1) % k if i % 2 == 1 else y for i, y in enumerate(gold)]
    if setting.kind == "percent-correct":
        return _percent_correct(setting, k, gold, seed)
    return list(gold)


def _percent_correct(setting: LabelSetting, k: int, gold: list[int], seed: int) -> list[int]:
    """Min et al. (2022) ``{P}_correct``: a permutation picks who keeps gold, others go wrong."""
    if k < 2:
        raise PromptError("percent-correct needs at least 2 labels")
    rs = np.random.RandomState(seed if setting.seed is None else setting.seed)
    n, p = len(gold), setting.percent or 0
    keep = set(range(n)) if p == 100 else set()
    if 0 < p < 100:
        keep = {int(i) for i in rs.permutation(range(n))[: n * p // 100]}
    shown = []
    for i, y in enumerate(gold):
        shown.append(y if i in keep else int(rs.choice([c for c in range(k) if c != y])))
    return shown


def apply_setting(
    setting: LabelSetting | str,
    task: Task,
    demos: Sequence[Example],
    query: Example,
    *,
    seed: int = 0,
    pool: Sequence[Example] | None = None,
    pool_draws: Sequence[int] | None = None,
    predicted: Sequence[int] | None = None,
) -> LabelPlan:
    """Apply a label setting to one prompt's demos.

    Args:
        setting: a :class:`LabelSetting` or its spec string.
        task: a classification task (its ``labels`` are the default verbalizer).
        demos: demonstrations in prompt order.
        query: the query (keeps its gold label).
        seed: the demo seed (percent-correct and random-empirical draw from it).
        pool: training examples (random-empirical draws labels from them).
        pool_draws: for random-empirical, the pool index of each drawn demo label (the
            label-relationships draws, :meth:`IidSample.label_draws`; one per demo, or the
            first ``until``); None draws afresh.
        predicted: for ``predicted``, the model's predicted class index for each demo.

    Returns:
        The :class:`LabelPlan`.
    """
    setting = parse_setting(setting)
    if task.kind != "classification":
        if setting.kind != "gold":
            raise PromptError(f"label setting {setting.spec!r} needs a classification task; "
                              f"{task.name!r} is {task.kind}")
        return LabelPlan(tuple(d.label for d in demos), (), -1, (), "gold")
    gold = _gold(task, demos)
    words = label_words(setting, task)
    shown = gold if setting.kind in ("gold", "abstract", "replacement", "abstract-numbers",
                                     "abstract-letters", "replace-by") else _shown_classes(
        setting, task, gold, seed, pool, pool_draws, predicted)
    demo_targets = gold if setting.scored == "gold" else shown
    shown_words = [words[c] for c in shown]
    if setting.kind == "replace-by":
        until = len(shown) if setting.until is None else setting.until
        shown_words = [(setting.word or "") if i < until else w for i, w in enumerate(shown_words)]
    return LabelPlan(
        shown=tuple(shown_words),
        choices=words,
        target=task.label_index(query.label),
        demo_targets=tuple(demo_targets),
        score_against=setting.scored,
    )
