"""The ICL-vs-FT ``paper`` preset against the paper's code (MikaStars39/ICLvsFinetune).

Every literal below was read from the paper's ``test.py``/``src/generate_data.py`` or produced by
running the paper's generator functions after ``random.seed(114514)`` in a scratch script outside
the repository (its draws use only Python's ``random``); none comes from iclab's output.
"""

from __future__ import annotations

import random

import pytest
import torch

from iclab.analyses.icl_vs_ft.run import PAPER_DEFAULTS, IclVsFtConfig, run_icl_vs_ft
from iclab.analyses.icl_vs_ft.eval import IclVsFtError
from iclab.analyses.icl_vs_ft.paper import (
    NEW_TOKENS,
    PAPER_FAMILIES,
    PAPER_INSTRUCTIONS,
    circuit_prompts,
    demo_text,
    evaluate_paper,
    paper_correct,
    paper_items,
    paper_training_pairs,
    prompt_text,
    query_text,
)
from iclab.data.synthetic.paper import (
    algebra_item,
    boolean_item,
    expression_item,
    relation_item,
    sum_expression,
)
from iclab.engine import Engine
from iclab.models.tiny import tiny_model, tiny_tokenizer

SEED = 114514  # the paper's main.py: parser default --seed, random.seed(args.seed)

# test.py: the `prompt` line of test_expression / test_code / test_relation / test_bool /
# test_algebra, verbatim.
PAPER_PROMPTS = {
    "expression": "Now you need to calculate the answer of some mathematic equations. Here are "
                  "some examples: \n",
    "code": "Now you need to give me the printed result after running this python code . Here "
            "are some examples: \n",
    "relation": "Here are some cities expressed as A, B, C, etc. I will show some connection "
                "relations, and you need to tell me if city A and city Z are connected (Answer "
                "True or False). Here are some examples: \n",
    "boolean": "Here are some boolean expressions, you need to directly tell me the result. If "
               "it is true, print True, else print False. Here are some examples: \n",
    "algebra": "Here are some equations, you need to find all solutions of given variables. Here "
               "are some examples: \n",
}


def test_instructions_are_the_papers_verbatim():
    assert PAPER_INSTRUCTIONS == PAPER_PROMPTS
    assert "print True, else print False" in PAPER_INSTRUCTIONS["boolean"]


def test_generation_budgets_and_families():
    # test.py: generation_len defaults 3 (expression), 2 (code, relation), 1 (bool, algebra);
    # group_test's test_list: algebra, bool, expression, relation.
    assert NEW_TOKENS == {"expression": 3, "code": 2, "relation": 2, "boolean": 1, "algebra": 1}
    assert set(PAPER_FAMILIES) == {"expression", "relation", "boolean", "algebra"}


# random.seed(114514); three build_expression(min_terms=2, max_terms=4, num_range=20) calls,
# the third with need_false=True (paper's generate_data.py).
EXPRESSIONS = [("(0)+(-14+14)*(6-6+4-6)=", 0), ("(5)+(-1-17+13+5)*(4-5+5-1)=", 5),
               ("(9-4)+(-5+2+19)*(-10-8+4+8)=", -91)]


def test_expression_draws_match_the_papers():
    rng = random.Random(SEED)
    got = [expression_item(rng, False), expression_item(rng, False), expression_item(rng, True)]
    assert [(g.question, int(g.answer)) for g in got] == EXPRESSIONS


def test_sum_expression_rules():
    rng = random.Random(1)
    for _ in range(200):
        text, total = sum_expression(rng, 1, 4, 20, None)
        assert eval(text) == total and not text.startswith("+")  # noqa: S307 - test oracle


# random.seed(114514); generate_relation_problem() twice (normal).
RELATIONS = [
    ("A is connected with C\nJ is connected with B\nB is connected with F\nF is connected with D\n"
     "D is connected with H\nH is connected with I\nI is connected with G\nG is connected with C\n"
     "C is connected with E\nC is connected with Z\n", "True"),
    ("A is connected with J\nE is connected with C\nC is connected with G\nG is connected with D\n"
     "D is connected with H\nH is connected with I\nI is connected with J\nJ is connected with F\n"
     "F is connected with B\n", "False"),
]


def test_relation_draws_match_the_papers():
    rng = random.Random(SEED)
    assert [(i.question, i.answer) for i in (relation_item(rng, False), relation_item(rng, False))
            ] == RELATIONS


def test_relation_misleading_breaks_the_shortcut():
    """The paper's need_false cut the chain and left Z out (shortcut intact); fixed: Z appears,
    tied to the piece A cannot reach."""
    rng = random.Random(SEED)
    for _ in range(200):
        item = relation_item(rng, True)
        edges = [line.split(" is connected with ") for line in item.question.splitlines()]
        assert item.answer == "False" and any("Z" in e for e in edges)
        reach, changed = {"A"}, True
        while changed:
            changed = False
            for u, v in edges:
                if (u in reach) != (v in reach):
                    reach |= {u, v}
                    changed = True
        assert "Z" not in reach


# random.seed(114514); generate_bool_expression() three times (shortcut suffix on).
BOOL_SHORTCUT = [
    ("((True and False) and (True or True) and (True and False)) and False", "0"),
    ("(False and False and False) or (False or True) or (True and True) or True", "1"),
    ("(True or False and False) or (True and False and False) or (True and True and True) or True",
     "1"),
]
# random.seed(114514); generate_bool_expression(randoms=True, need_false=True) twice.
BOOL_NEUTRAL = [
    ("((True and True) and (False and False) or (False and True)) or False", "0"),
    ("((False or True or True) and (True or False and False) or (True and False)) and True", "1"),
]


def test_boolean_draws_match_the_papers():
    rng = random.Random(SEED)
    assert [(b.question, b.answer) for b in (boolean_item(rng, False) for _ in range(3))
            ] == BOOL_SHORTCUT
    rng = random.Random(SEED)
    assert [(b.question, b.answer) for b in (boolean_item(rng, True) for _ in range(2))
            ] == BOOL_NEUTRAL


def test_boolean_values_agree_with_python():
    rng = random.Random(3)
    for misleading in (False, True):
        for _ in range(200):
            item = boolean_item(rng, misleading)
            assert item.answer == str(int(eval(item.question)))  # noqa: S307 - test oracle


def test_algebra_solution_draw_and_layout():
    # The paper draws {a, b} = random.randint(1, 5) twice first: (2, 1) after seed 114514.
    item = algebra_item(random.Random(SEED), False)
    assert dict(item.extra)["solution"] == (2, 1)
    assert item.answer == "a = 2, b = 1" and item.gold == "1"
    assert query_text("algebra", item) == item.question + "\n The solutions are: a = 2, b = "
    assert demo_text("algebra", item) == item.question + "\n The solutions are: a = 2, b = 1\n"
    rows = [line.split(" = ") for line in item.question.splitlines()]
    assert len(rows) == 3
    m = algebra_item(random.Random(SEED), True)
    assert len(m.question.splitlines()) == 4


# test.py after random.seed(114514): test_expression / test_relation with shot_num=2 (first
# query), and test_bool with shot_num=2 and its demo line as meant,
# question + "\n" + instruction + ('1' if answer else '0') + "\n".
EXPR_PROMPT = ("Now you need to calculate the answer of some mathematic equations. Here are some "
               "examples: \n(0)+(-14+14)*(6-6+4-6)=0 \n (5)+(-1-17+13+5)*(4-5+5-1)=5 \n "
               "(9-4)+(5-5)*(-10-8+4+8)=")
REL_PROMPT = "Here are some cities expressed as A, B, C, etc. I will show some connection relations, and you need to tell me if city A and city Z are connected (Answer True or False). Here are some examples: \nA is connected with C\nJ is connected with B\nB is connected with F\nF is connected with D\nD is connected with H\nH is connected with I\nI is connected with G\nG is connected with C\nC is connected with E\nC is connected with Z\n\n So 'the city A and Z is connected' is True\nA is connected with J\nE is connected with C\nC is connected with G\nG is connected with D\nD is connected with H\nH is connected with I\nI is connected with J\nJ is connected with F\nF is connected with B\n\n So 'the city A and Z is connected' is False\nA is connected with G\nE is connected with F\nF is connected with C\nC is connected with G\nG is connected with J\nJ is connected with B\nB is connected with H\nH is connected with I\nI is connected with D\n\n So 'the city A and Z is connected' is "
BOOL_PROMPT = "Here are some boolean expressions, you need to directly tell me the result. If it is true, print True, else print False. Here are some examples: \n(True and True) and (False and False) or (False and True)\n The result is: 0\n(False or False) and (False and False) and (False and False)\n The result is: 0\n(True and False) or (False and False) and (False or True)\n The result is: "


def test_two_shot_prompts_match_the_papers():
    (demos, query), = paper_items("expression", "normal", 2, 1, SEED)
    assert prompt_text("expression", demos, query) == EXPR_PROMPT and query.gold == "5"
    (demos, query), = paper_items("relation", "normal", 2, 1, SEED)
    assert prompt_text("relation", demos, query) == REL_PROMPT and query.gold == "False"
    rng = random.Random(SEED)  # the paper's released setting: shortcut off (randoms=True)
    demos = [boolean_item(rng, False, shortcut=False) for _ in range(2)]
    query = boolean_item(rng, False, shortcut=False)
    assert prompt_text("boolean", demos, query) == BOOL_PROMPT and query.gold == "0"


def test_fresh_demos_per_query():
    pairs = paper_items("relation", "normal", 2, 3, SEED)
    assert len({d[0].question for d, _ in pairs}) == 3


def test_code_layout():
    (demos, query), = paper_items("code", "normal", 1, 1, SEED)
    d, q = demo_text("code", demos[0]), query_text("code", query)
    assert d.startswith("The code is: \n") and d.endswith("\nHere is next example:\n")
    assert ", so the output is: " + demos[0].answer + "\n" in d
    assert q.startswith("The input is: The code is: \n") and q.endswith(", so the output is: ")


@pytest.mark.parametrize(("family", "output", "gold", "ok"), [
    ("expression", " 105", "10", True),   # substring: "10" in " 105"
    ("expression", " 1", "10", False),
    ("relation", " True.", "True", True),
    ("relation", " 1\n", "True", True),   # relation also accepts 1/0
    ("relation", " 0", "False", True),
    ("relation", " 1", "False", False),
    ("boolean", "1", "1", True),
    ("boolean", " True", "1", False),     # bool scores '1'/'0' only
    ("algebra", "2", "2", True),
])
def test_substring_scoring(family, output, gold, ok):
    assert paper_correct(family, output, gold) is ok


def test_exact_match_option():
    assert paper_correct("expression", " 105", "10", "exact") is False
    assert paper_correct("expression", " 10\n", "10", "exact") is True


def test_training_rows_have_the_papers_layout():
    pairs = paper_training_pairs(PAPER_FAMILIES, 2, SEED)
    assert len(pairs) == 8
    expr, rel, boo, alg = pairs[:4]
    assert expr[0].endswith("=") and not expr[0].endswith("+=")  # released rows: "+=" (bug)
    assert rel[0].endswith("\n So 'the city A and Z is connected' is ") and rel[1] in ("True", "False")
    assert boo[0].endswith("\n The result is: ") and boo[1] in ("1", "0")
    assert alg[0].endswith("\n The solutions are: ") and alg[1].startswith("a = ")
    assert paper_training_pairs(PAPER_FAMILIES, 1, SEED) == pairs[:4]  # nested


def test_paper_defaults():
    cfg = IclVsFtConfig.paper()
    assert cfg.preset == "paper" and cfg.seed == SEED and cfg.match == "substring"
    assert cfg.shots == (0, 1, 2, 4, 8, 16, 32) and cfg.best_range == (1, 16)
    assert cfg.n_test == 199 and cfg.lr_full == 1e-5 and cfg.loss_on == "sequence"
    assert cfg.warmup_steps == 20 and cfg.max_steps == 100 and cfg.methods == ("full",)
    assert PAPER_DEFAULTS["samples"] == (1000,)  # 4 x 1000 rows: the released ft_data_4k
    assert IclVsFtConfig().preset == "iclab"  # opt-in
    with pytest.raises(IclVsFtError, match="parity"):
        IclVsFtConfig.paper(tasks=("parity",))


@pytest.fixture(scope="module")
def engine():
    return Engine(tiny_model("llama"), tiny_tokenizer("llama"))


def test_evaluate_paper_on_a_tiny_model(engine):
    cells = evaluate_paper(engine, ("relation", "boolean"), ("normal", "misleading"), (0, 1), 2)
    assert [(c.task, c.split, c.shots) for c in cells] == [
        (f, s, k) for f in ("relation", "boolean") for s in ("normal", "misleading")
        for k in (0, 1)]
    assert all(c.n == 2 and 0 <= c.accuracy <= 1 for c in cells)
    zero = circuit_prompts("relation", 0, 2, engine.tokenizer)
    two = circuit_prompts("relation", 2, 2, engine.tokenizer)
    assert all(t.text.endswith(z.text[len(PAPER_PROMPTS["relation"]):])
               for z, t in zip(zero, two))


def test_run_under_the_paper_preset(engine):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = IclVsFtConfig.paper(tasks=("expression", "boolean"), shots=(0, 1), best_range=(1, 1),
                                  n_test=2, samples=(1,), batch_size=2, max_steps=1,
                                  warmup_steps=0, n_circuit=1, circuit_shots=1)
        res = run_icl_vs_ft(engine, cfg)
    finally:
        torch.set_num_threads(before)
    assert len(res.base) == 2 * 2 * 2 and res.trained[0].info["n_pairs"] == 2
    assert {"base 0-shot", "FT n=1"} <= {r["method"] for r in res.table}
    assert set(res.shifts) == {"expression", "boolean"}


def test_template_instructions_are_the_papers():
    from iclab.prompts.render import IMPLICIT_INSTRUCTIONS

    assert {f: line + " \n" for f, line in IMPLICIT_INSTRUCTIONS.items()} == PAPER_PROMPTS
