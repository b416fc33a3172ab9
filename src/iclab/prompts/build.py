"""Build :class:`~iclab.prompts.types.Prompt` objects: render, tokenize once, map spans.

``build_prompt`` makes one prompt from explicit demos and a query; ``build_prompts`` samples the
demos of one (task, shots, seed, setting) and builds every query's prompt with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence

from iclab.data.types import Example, Task
from iclab.errors import PromptError
from iclab.prompts.render import render_prompt
from iclab.prompts.sampling import (
    cap_test,
    sample_balanced,
    sample_choice,
    sample_fixed,
    sample_iid,
)
from iclab.prompts.settings import LabelPlan, LabelSetting, apply_setting, parse_setting
from iclab.prompts.templates import Template, get_template
from iclab.prompts.tokens import special_mask, token_spans, tokenize_with_offsets
from iclab.prompts.types import Prompt

Overflow = Literal["error", "drop-front"]
Sampling = Literal["fixed", "balanced", "iid", "choice"]


def _answer_tokens(tokenizer: Any, choices: Sequence[str], reserve: int) -> int:
    """Tokens the answer needs after the prompt: the longest choice, or ``reserve``."""
    if not choices:
        return reserve
    return max(len(tokenizer(c, add_special_tokens=False)["input_ids"]) for c in choices)


def _check_overflow(overflow: str) -> None:
    if overflow not in ("error", "drop-front"):
        raise PromptError(f"overflow must be 'error' or 'drop-front', got {overflow!r}")


def build_prompt(
    task: Task,
    demos: Sequence[Example],
    query: Example,
    template: str | Template = "default",
    setting: str | LabelSetting = "gold",
    tokenizer: Any = None,
    *,
    seed: int = 0,
    pool: Sequence[Example] | None = None,
    pool_draws: Sequence[int] | None = None,
    predicted: Sequence[int] | None = None,
    variables: Mapping[str, str] | None = None,
    max_length: int | None = None,
    overflow: Overflow = "error",
    reserve: int = 0,
    add_special_tokens: bool = True,
    meta: Mapping[str, object] | None = None,
) -> Prompt:
    """Build one prompt.

    Args:
        task: the task (labels, input field order).
        demos: demonstrations in prompt order (their gold labels; the setting changes them).
        query: the query example; its gold label gives the target.
        template: a preset name or a :class:`Template`.
        setting: a label setting or its spec (``"gold"``, ``"replacement:rating_1"``...).
        tokenizer: a fast HF tokenizer (offset mapping needed).
        seed: the demo seed (used by seeded settings).
        pool: the training pool (``random-empirical`` draws from it).
        pool_draws: ``random-empirical`` only: the pool index of each demo's label.
        predicted: ``predicted`` only: the model's predicted class index for each demo.
        variables: template variable overrides (e.g. ``{"target_language": "German"}``).
        max_length: the model's context window in tokens; None skips the check.
        overflow: ``"error"``, or ``"drop-front"`` to drop demos from the front until it fits.
        reserve: tokens kept free for generation (generation tasks).
        add_special_tokens: add BOS etc. as the model expects.
        meta: extra entries recorded in ``Prompt.meta``.

    Raises:
        PromptError: bad template/setting, labels not in the task, or the prompt is too long.
    """
    if tokenizer is None:
        raise PromptError("build_prompt needs a tokenizer; use render_text for text only")
    _check_overflow(overflow)
    tpl = get_template(template).for_task(task.name)
    st = parse_setting(setting)
    plan = apply_setting(st, task, demos, query, seed=seed, pool=pool, pool_draws=pool_draws,
                         predicted=predicted)
    choices = tuple(tpl.label_lead + w for w in plan.choices)
    extra = _answer_tokens(tokenizer, choices, reserve) if max_length else 0
    drop = 0
    while True:
        kept = list(demos[drop:])
        rendered = render_prompt(task, kept, plan.shown[drop:], query, tpl, variables)
        ids, offsets = tokenize_with_offsets(tokenizer, rendered.text, add_special_tokens)
        if max_length is None or len(ids) + extra <= max_length:
            break
        if overflow == "error" or drop == len(demos):
            hint = ("even with every demo dropped" if overflow == "drop-front"
                    else "use fewer shots or overflow='drop-front'")
            raise PromptError(
                f"prompt for task {task.name!r} with {len(kept)} shots is {len(ids)} tokens "
                f"(+{extra} for the answer), longer than max_length={max_length}; {hint}"
            )
        drop += 1
    spans = token_spans(rendered.text, rendered.spans, offsets, special_mask(tokenizer, ids))
    info = {"task": task.name, "template": tpl.name, "setting": st.spec, "seed": seed,
            "shots": len(kept), "dropped": drop, "score_against": plan.score_against,
            **({"answer_phrase": tpl.answer_phrase} if tpl.answer_phrase else {}), **(meta or {})}
    return Prompt(
        text=rendered.text,
        input_ids=tuple(ids),
        spans=spans,
        choices=choices,
        target=plan.target if task.kind == "classification" else query.label,
        label_words=plan.choices,
        demo_targets=plan.demo_targets[drop:],
        meta=tuple(info.items()),
    )


def render_text(
    task: Task,
    demos: Sequence[Example],
    query: Example,
    template: str | Template = "default",
    setting: str | LabelSetting = "gold",
    *,
    seed: int = 0,
    pool: Sequence[Example] | None = None,
    pool_draws: Sequence[int] | None = None,
    variables: Mapping[str, str] | None = None,
) -> str:
    """Return the exact prompt text, without tokenizing (for previews and tests)."""
    plan: LabelPlan = apply_setting(setting, task, demos, query, seed=seed, pool=pool,
                                    pool_draws=pool_draws)
    return render_prompt(task, demos, plan.shown, query, get_template(template), variables).text


def sample_demos(
    task: Task, shots: int, seed: int, sampling: Sampling = "fixed", pool_split: str = "train"
) -> tuple[Example, ...]:
    """Sample ``shots`` demos from ``task``'s ``pool_split`` for ``seed``.

    ``fixed``: MetaICL shuffle; ``balanced``: class-balanced; ``iid``: label-relationships draw
    for repeat ``seed`` (demos only); ``choice``: where-ICL pandas sample. See
    :mod:`iclab.prompts.sampling`.
    """
    pool = task.split(pool_split)
    if sampling == "fixed":
        return sample_fixed(pool, shots, seed)
    if sampling == "choice":
        return sample_choice(pool, shots, seed)
    if sampling == "balanced":
        return sample_balanced(pool, shots, seed, task.labels)
    if sampling == "iid":
        return tuple(pool[i] for i in sample_iid(len(pool), shots, seed).demo_indices)
    raise PromptError(
        f"sampling must be 'fixed', 'balanced', 'iid' or 'choice', got {sampling!r}")


@dataclass(frozen=True)
class QuerySet:
    """The demos of one (task, shots, seed) and the queries they serve.

    Attributes:
        demos: demonstrations in prompt order.
        queries: ``(position in the test split, example)`` in evaluation order.
        label_draws: per query, the pool indices of random-empirical labels when the
            label-relationships stream is reproduced (``iid`` sampling); else None.
    """

    demos: tuple[Example, ...]
    queries: tuple[tuple[int, Example], ...]
    label_draws: tuple[tuple[int, ...], ...] | None = None


def select_queries(
    task: Task, shots: int, seed: int, sampling: Sampling = "fixed", *, pool_split: str = "train",
    test_split: str = "test", limit: int | None = None, test_seed: int | None = None,
    demo_task: Task | None = None,
) -> QuerySet:
    """Sample the demos of one (task, shots, seed) and select its queries.

    Demos come from ``demo_task`` (default: ``task``) split ``pool_split``; queries from
    ``task`` split ``test_split``, capped by ``limit``/``test_seed`` (``iid``: drawn by the
    repeat's generator, as in the label-relationships paper).
    """
    source = demo_task or task
    test = task.split(test_split)
    pool = source.split(pool_split) if shots > 0 or pool_split in source.splits else ()
    if not test:
        raise PromptError(f"task {task.name!r} has an empty {test_split!r} split")
    if sampling == "iid":
        n_test = len(test) if limit is None else min(limit, len(test))
        draw = sample_iid(len(pool), shots, seed, test_size=len(test), n_test=n_test)
        draws = tuple(draw.label_draws(len(pool), n_test)) if pool else None
        return QuerySet(tuple(pool[i] for i in draw.demo_indices),
                        tuple((i, test[i]) for i in draw.test_indices), draws)
    demos = sample_demos(source, shots, seed, sampling, pool_split) if shots > 0 else ()
    capped = cap_test(range(len(test)), limit, test_seed)
    return QuerySet(demos, tuple((int(i), test[int(i)]) for i in capped))


def build_prompts(
    task: Task,
    tokenizer: Any,
    *,
    shots: int,
    seed: int,
    template: str | Template = "default",
    setting: str | LabelSetting = "gold",
    sampling: Sampling = "fixed",
    pool_split: str = "train",
    test_split: str = "test",
    limit: int | None = None,
    test_seed: int | None = None,
    variables: Mapping[str, str] | None = None,
    max_length: int | None = None,
    overflow: Overflow = "error",
    reserve: int = 0,
    demo_task: Task | None = None,
) -> list[Prompt]:
    """Build every query's prompt for one (task, shots, seed, setting), sharing the same demos.

    ``sampling="fixed"`` (MetaICL shuffle with ``seed``), ``"balanced"``, ``"choice"`` (where-ICL
    pandas sample) or ``"iid"`` (the label-relationships draw for repeat ``seed``: test
    indices, then demos with replacement; ``random-empirical`` labels then continue that
    generator, re-drawn for every query as the paper's code does). ``limit``/``test_seed`` cap the test split (see
    :func:`cap_test`). ``demo_task`` takes the demos from another task (MBPP demos for
    HumanEval queries). Each prompt's meta records ``query_index``, the query's position in
    the test split.
    """
    qs = select_queries(task, shots, seed, sampling, pool_split=pool_split, test_split=test_split,
                        limit=limit, test_seed=test_seed, demo_task=demo_task)
    pool = (demo_task or task).splits.get(pool_split, ())
    st = parse_setting(setting)
    paper_draws = qs.label_draws if st.kind == "random-empirical" and st.seed is None else None
    return [
        build_prompt(task, qs.demos, q, template, st, tokenizer, seed=seed, pool=pool,
                     pool_draws=paper_draws[n] if paper_draws else None, variables=variables,
                     max_length=max_length, overflow=overflow, reserve=reserve,
                     meta={"query_index": i, "sampling": sampling})
        for n, (i, q) in enumerate(qs.queries)
    ]
