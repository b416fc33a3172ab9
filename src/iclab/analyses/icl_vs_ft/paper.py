"""The ICL-vs-FT paper's benchmark (Yin et al. 2024) as the ``paper`` preset of ``icl-vs-ft``.

What differs from iclab's default benchmark (:mod:`iclab.analyses.icl_vs_ft.eval`):

- the paper's instruction per family, verbatim (:data:`PAPER_INSTRUCTIONS`, each ending
  ``" \\n"``), and its demonstration layout per family (:func:`demo_text`, :func:`query_text`):
  expression ``expr + value + " \\n "``; code ``"The code is: \\n" + program + "The input is: v,
  so the output is: " + out + "\\nHere is next example:\\n"``; relation / boolean / algebra
  ``question + "\\n" + " So 'the city A and Z is connected' is " / " The result is: " /
  " The solutions are: " + answer + "\\n"``;
- fresh demonstrations for every query: for each query the paper draws k demonstrations, then
  the query, from one generator seeded 114514 (:func:`paper_items`);
- greedy decoding of the paper's 1-3 new tokens per family (:data:`NEW_TOKENS`), no stop
  string, and substring scoring: ``gold in output``, relation also accepting ``1``/``0``
  (:func:`paper_correct`); ``match="exact"`` scores the first output line instead;
- queries from the paper's generators (:mod:`iclab.data.synthetic.paper`, bugs fixed there).

Every cell (family, split, shots) starts its own ``random.Random(seed)``; the paper's script
seeds once and lets the stream run on across shot counts and tasks, so only its first cell
draws the same queries. Test queries never repeat a fine-tuning row (the paper's data could).
"""

from __future__ import annotations

import random
from typing import Any, Callable, Sequence

from iclab.data.synthetic.paper import GENERATORS, PAPER_SEED, PaperItem, expression_item
from iclab.analyses.icl_vs_ft.config import PAPER_FAMILIES
from iclab.analyses.icl_vs_ft.eval import ShotAccuracy
from iclab.engine import Engine, first_line
from iclab.prompts.types import Prompt

PAPER_INSTRUCTIONS: dict[str, str] = {
    "expression": "Now you need to calculate the answer of some mathematic equations. "
                  "Here are some examples: \n",
    "code": "Now you need to give me the printed result after running this python code . "
            "Here are some examples: \n",
    "relation": "Here are some cities expressed as A, B, C, etc. I will show some connection "
                "relations, and you need to tell me if city A and city Z are connected (Answer "
                "True or False). Here are some examples: \n",
    "boolean": "Here are some boolean expressions, you need to directly tell me the result. "
               "If it is true, print True, else print False. Here are some examples: \n",
    "algebra": "Here are some equations, you need to find all solutions of given variables. "
               "Here are some examples: \n",
}
"""The paper's first prompt line per family, verbatim (trailing ``" \\n"`` included)."""

NEW_TOKENS: dict[str, int] = {"expression": 3, "code": 2, "relation": 2, "boolean": 1,
                              "algebra": 1}
"""New tokens the paper generates per family."""

ANSWER_LEADS: dict[str, str] = {
    "relation": " So 'the city A and Z is connected' is ",
    "boolean": " The result is: ",
    "algebra": " The solutions are: ",
}
"""The line that follows ``question + "\\n"`` and precedes the answer."""

CODE_HINT = "The code is: \n"
CODE_INPUT = "The input is: "
CODE_OUTPUT = ", so the output is: "
CODE_NEXT = "\nHere is next example:\n"


def _extra(item: PaperItem, key: str) -> Any:
    return dict(item.extra)[key]


def query_text(family: str, item: PaperItem) -> str:
    """The text of ``item`` up to where the answer goes (the paper's query layout).

    The paper's code queries start with a stray ``"The input is: "`` before ``"The code is:"``
    (kept: it is what its model saw, and it is harmless)."""
    if family == "expression":
        return item.question
    if family == "code":
        return (f"{CODE_INPUT}{CODE_HINT}{item.question}{CODE_INPUT}{_extra(item, 'input')}"
                f"{CODE_OUTPUT}")
    return f"{item.question}\n{ANSWER_LEADS[family]}{item.given}"


def demo_text(family: str, item: PaperItem) -> str:
    """One demonstration in the paper's layout, its separator included.

    Boolean: ``question + "\\n" + " The result is: " + answer + "\\n"`` — what the paper meant;
    its line lost the question through operator precedence (``a + b if c else d``)."""
    if family == "expression":
        return f"{item.question}{item.answer} \n "
    if family == "code":
        return (f"{CODE_HINT}{item.question}{CODE_INPUT}{_extra(item, 'input')}{CODE_OUTPUT}"
                f"{item.answer}{CODE_NEXT}")
    return f"{item.question}\n{ANSWER_LEADS[family]}{item.answer}\n"


def training_text(family: str, item: PaperItem) -> tuple[str, str]:
    """A fine-tuning row as the paper's released mixture writes it, split into (input, answer):
    no instruction; expression ends with ``=`` (the released rows' ``+=`` is a bug)."""
    if family == "expression":
        return item.question, item.answer
    if family == "code":
        return (f"{CODE_HINT}{item.question}{CODE_INPUT}{_extra(item, 'input')}{CODE_OUTPUT}",
                item.answer)
    return f"{item.question}\n{ANSWER_LEADS[family]}", item.answer


def paper_correct(family: str, output: str, gold: str, match: str = "substring") -> bool:
    """The paper's scoring: ``gold in output`` (so "1" matches "10"); relation also accepts
    ``"1"``/``"0"`` for True/False. ``match="exact"``: the first output line equals gold."""
    if match == "exact":
        return first_line(output) == gold.strip()
    if gold in output:
        return True
    return family == "relation" and {"True": "1", "False": "0"}.get(gold, "\0") in output


def draw(family: str, rng: random.Random, misleading: bool, *, train: bool = False) -> PaperItem:
    """One query of ``family``; ``train`` uses the paper's training sizes (expression)."""
    if family == "expression" and train:
        return expression_item(rng, misleading, 1, 3, 10)
    return GENERATORS[family](rng, misleading)


def paper_items(family: str, split: str, k: int, n: int, seed: int = PAPER_SEED,
                exclude: frozenset[str] = frozenset()) -> list[tuple[list[PaperItem], PaperItem]]:
    """``n`` (demonstrations, query) pairs in the paper's draw order: for each query, ``k``
    normal demonstrations, then the query of ``split``; a query whose training-layout input
    is in ``exclude`` (fine-tuning rows) is drawn again."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        demos = [draw(family, rng, False) for _ in range(k)]
        query = draw(family, rng, split == "misleading")
        while exclude and training_text(family, query)[0] in exclude:
            query = draw(family, rng, split == "misleading")
        out.append((demos, query))
    return out


def prompt_text(family: str, demos: Sequence[PaperItem], query: PaperItem) -> str:
    """Instruction, demonstrations and query, concatenated as the paper does."""
    return (PAPER_INSTRUCTIONS[family] + "".join(demo_text(family, d) for d in demos)
            + query_text(family, query))


def to_prompt(text: str, gold: str, tokenizer: Any, meta: dict[str, Any]) -> Prompt:
    """A :class:`Prompt` over raw text, tokenized as the paper's ``tokenizer(text)``."""
    ids = tuple(tokenizer(text)["input_ids"])
    return Prompt(text=text, input_ids=ids, spans=(), choices=(), target=gold,
                  meta=tuple(sorted(meta.items())))


def paper_prompts(family: str, split: str, k: int, n: int, tokenizer: Any,
                  seed: int = PAPER_SEED, exclude: frozenset[str] = frozenset()
                  ) -> list[Prompt]:
    """The paper's ``n`` prompts of one (family, split, shots) cell (fresh demos per query)."""
    return [to_prompt(prompt_text(family, demos, q), q.gold, tokenizer,
                      {"query_index": i, "preset": "paper", "family": family})
            for i, (demos, q) in enumerate(paper_items(family, split, k, n, seed, exclude))]


def circuit_prompts(family: str, k: int, n: int, tokenizer: Any, seed: int = PAPER_SEED
                    ) -> list[Prompt]:
    """Prompts of the same ``n`` normal queries with ``k`` fresh demonstrations each (k = 0:
    instruction + query), so a 0-shot and a k-shot run can be compared query by query; the
    demonstrations come from a second stream (``seed + 1``)."""
    queries = [q for _, q in paper_items(family, "normal", 0, n, seed)]
    demo_rng = random.Random(seed + 1)
    return [to_prompt(prompt_text(family, [draw(family, demo_rng, False) for _ in range(k)], q),
                      q.gold, tokenizer, {"query_index": i, "preset": "paper"})
            for i, q in enumerate(queries)]


def paper_training_pairs(families: Sequence[str], n: int, seed: int = PAPER_SEED
                         ) -> list[tuple[str, str]]:
    """The fine-tuning mixture: ``n`` normal rows per family in the paper's training layout,
    interleaved across families; each family has a stream of its own
    (``"paper-train/{seed}/{family}"``), so a smaller ``n`` gives a prefix of a larger one."""
    per_family = []
    for f in families:
        rng = random.Random(f"paper-train/{seed}/{f}")
        per_family.append([training_text(f, draw(f, rng, False, train=True)) for _ in range(n)])
    return [pair for group in zip(*per_family) for pair in group]


def evaluate_paper(engine: Engine, families: Sequence[str], splits: Sequence[str],
                   shots: Sequence[int], n: int, *, seed: int = PAPER_SEED,
                   match: str = "substring", exclude: frozenset[str] = frozenset(),
                   progress: Callable[[int], None] | None = None) -> list[ShotAccuracy]:
    """Accuracy of ``engine``'s model on the paper's benchmark, one cell per (family, split,
    shots): greedy, :data:`NEW_TOKENS` new tokens, no stop string, :func:`paper_correct`."""
    cells = []
    for family in families:
        keys, prompts = [], []
        for split in splits:
            for k in shots:
                keys.append((split, k, len(prompts)))
                prompts += paper_prompts(family, split, k, n, engine.tokenizer, seed, exclude)
        gens = engine.generate(prompts, max_new_tokens=NEW_TOKENS[family], progress=progress)
        for split, k, start in keys:
            part = range(start, start + n)
            outs = tuple(gens[i].text for i in part)
            right = [paper_correct(family, o, str(prompts[i].target), match)
                     for o, i in zip(outs, part)]
            cells.append(ShotAccuracy(family, split, k, sum(right) / n, n, outs))
    return cells


__all__ = ["ANSWER_LEADS", "NEW_TOKENS", "PAPER_FAMILIES", "PAPER_INSTRUCTIONS",
           "circuit_prompts", "demo_text", "draw", "evaluate_paper", "paper_correct", "paper_items",
           "paper_prompts", "paper_training_pairs", "prompt_text", "query_text",
           "to_prompt", "training_text"]
