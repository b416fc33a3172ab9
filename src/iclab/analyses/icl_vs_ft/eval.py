"""ICL evaluation for the ICL-vs-fine-tuning comparison: prompts, greedy answers, matching.

Every prompt uses the ``implicit-patterns`` preset (instruction line, demonstrations
``x + y`` joined by ``" \\n "``); the instruction is the task's line from
:data:`INSTRUCTIONS` (the preset's own default is the expression line). Demonstrations are the
task's ``train`` split (normal queries) sampled with the MetaICL shuffle for ``seed``; every
query of both test kinds shares them, so one engine call prefills each (task, k) context once.

Answers are generated greedily (``max_new_tokens`` short, stop at the first newline after some
text) and scored by a named match preset:

- ``exact`` (default): the first non-empty line of the output, stripped, equals the answer;
- ``substring`` (the paper's): ``answer in output`` on the raw output, so ``"1"`` matches
  ``"10"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from iclab.analyses.icl_vs_ft.config import MATCHES, IclVsFtError, Match
from iclab.data.types import Example, Task
from iclab.engine import Engine, first_line
from iclab.prompts import build_prompt
from iclab.prompts.build import select_queries
from iclab.prompts.types import Prompt

TEMPLATE = "implicit-patterns"

INSTRUCTIONS: dict[str, str] = {
    "expression": "Now you need to calculate the answer of some mathematic equations. "
                  "Here are some examples:",
    "code": "Now you need to read some Python programs and give their output. "
            "Here are some examples:",
    "relation": "Now you need to decide whether two cities are connected. "
                "Here are some examples:",
    "boolean": "Now you need to evaluate some boolean expressions (1 for True, 0 for False). "
               "Here are some examples:",
    "parity": "Now you need to say which side of a coin is up. Here are some examples:",
    "algebra": "Now you need to solve some systems of equations. Here are some examples:",
}
"""Instruction line per synthetic family (none of them states the hidden pattern)."""


def answer_matches(output: str, answer: str, match: Match = "exact") -> bool:
    """Whether a generated ``output`` counts as ``answer`` under a match preset.

    Raises:
        IclVsFtError: unknown preset.
    """
    if match == "exact":
        return first_line(output) == answer.strip()
    if match == "substring":
        return answer in output
    raise IclVsFtError(f"match must be one of {list(MATCHES)}, got {match!r}")


def gold_answer(prompt: Prompt) -> str:
    """The answer string of a prompt: its target, or for a classification family (relation,
    boolean, parity), whose target is an index into the label words, that label word."""
    if isinstance(prompt.target, int):
        return prompt.label_words[prompt.target]
    return str(prompt.target)


def family_of(task: Task) -> str:
    """The synthetic family of a task named ``synthetic-{family}-{split}``."""
    parts = task.name.split("-")
    if len(parts) < 3 or parts[0] != "synthetic" or parts[1] not in INSTRUCTIONS:
        raise IclVsFtError(f"{task.name!r} is not a synthetic implicit-pattern task")
    return parts[1]


def variables(task: Task) -> dict[str, str]:
    """Template variables of a task: its instruction line."""
    return {"instruction": INSTRUCTIONS[family_of(task)]}


def zero_shot_text(task: Task, query: Example, tokenizer: Any) -> str:
    """The 0-shot prompt text of ``query`` (instruction + query): the fine-tuning input, so a
    fine-tuned model is trained on exactly what its 0-shot evaluation shows it."""
    return build_prompt(task, (), query, TEMPLATE, "gold", tokenizer,
                        variables=variables(task)).text


def k_shot_prompts(task: Task, tokenizer: Any, k: int, seed: int, limit: int | None = None,
                   max_length: int | None = None) -> list[Prompt]:
    """Prompts of every test query of ``task`` with the same k demonstrations.

    Raises:
        IclVsFtError: the train split has fewer than ``k`` examples.
    """
    if k > len(task.split("train")):
        raise IclVsFtError(f"{task.name}: {k} shots but only {len(task.split('train'))} "
                           f"training examples to draw demonstrations from")
    qs = select_queries(task, k, seed, "fixed", limit=limit)
    return [build_prompt(task, qs.demos, q, TEMPLATE, "gold", tokenizer, seed=seed,
                         variables=variables(task), max_length=max_length,
                         meta={"query_index": i})
            for i, q in qs.queries]


@dataclass(frozen=True)
class ShotAccuracy:
    """One (task, split, shots) accuracy of one model.

    Attributes:
        task: family name.
        split: ``normal`` or ``misleading``.
        shots: demonstrations per prompt.
        accuracy: fraction of queries answered right under the match preset.
        n: number of queries.
        outputs: the generated texts, in query order.
    """

    task: str
    split: str
    shots: int
    accuracy: float
    n: int
    outputs: tuple[str, ...]


def evaluate(engine: Engine, tasks: Sequence[Task], shots: Sequence[int], *, seed: int,
             match: Match, max_new_tokens: int, limit: int | None = None,
             progress: Callable[[int], None] | None = None) -> list[ShotAccuracy]:
    """Greedy accuracy of ``engine``'s model on every task × shots (one generate call, so
    shared demonstration contexts are prefilled once)."""
    if match not in MATCHES:
        raise IclVsFtError(f"match must be one of {list(MATCHES)}, got {match!r}")
    keys: list[tuple[Task, int]] = []
    prompts: list[Prompt] = []
    spans: list[tuple[int, int]] = []
    for task in tasks:
        for k in shots:
            ps = k_shot_prompts(task, engine.tokenizer, k, seed, limit, engine.max_length)
            spans.append((len(prompts), len(prompts) + len(ps)))
            keys.append((task, k))
            prompts.extend(ps)
    gens = engine.generate(prompts, max_new_tokens=max_new_tokens, stop=("\n",),
                           skip_leading_whitespace=True, progress=progress)
    cells = []
    for (task, k), (a, b) in zip(keys, spans):
        outs = [g.text for g in gens[a:b]]
        right = [answer_matches(o, gold_answer(p), match) for o, p in zip(outs, prompts[a:b])]
        cells.append(ShotAccuracy(family_of(task), task.name.rsplit("-", 1)[-1], k,
                              sum(right) / len(right), len(right), tuple(outs)))
    return cells


def best_of_shots(cells: Sequence[ShotAccuracy], low: int, high: int) -> dict[tuple[str, str],
                                                                          ShotAccuracy]:
    """Per (task, split), the cell with the highest accuracy among shots in ``[low, high]``
    (ties: fewer shots). The paper reports ICL as the best of shots 1–16."""
    best: dict[tuple[str, str], ShotAccuracy] = {}
    for c in sorted(cells, key=lambda c: c.shots):
        if low <= c.shots <= high:
            key = (c.task, c.split)
            if key not in best or c.accuracy > best[key].accuracy:
                best[key] = c
    return best


__all__ = [
    "INSTRUCTIONS",
    "MATCHES",
    "TEMPLATE",
    "ShotAccuracy",
    "IclVsFtError",
    "Match",
    "answer_matches",
    "best_of_shots",
    "evaluate",
    "family_of",
    "gold_answer",
    "k_shot_prompts",
    "variables",
    "zero_shot_text",
]
