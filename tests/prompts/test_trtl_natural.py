"""The task-recognition paper's natural-language formats and parser, pinned against
RUCAIBox/Competitive-ICL.

Literals below are read from its code: ``src/format/input_format.py`` (each ``_format_input``
string and each ``_parse_answer``'s ``.replace`` phrase), ``src/utils/utils.py``
(``add_period_for_lmbff``), ``src/dataset/base_dataset.py`` (the dataset classes'
``input_format`` names, ``split_sent``, ``get_icl_examples``: ``input_str + output_str`` joined by
``sep_symbol``) and ``src/evaluation/evaluation.py`` (``examples_str + sep_symbol + input_str``,
sep ``"\\n\\n\\n"``). Expected prompts are written out by hand from those strings, not produced
by iclab.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from iclab.data.types import Example, Task
from iclab.errors import PromptError
from iclab.analyses.eval.run import EvalConfig, sample_record
from iclab.prompts import build_prompt, get_template, render_text
from iclab.prompts.parse import parse_answer
from iclab.prompts.transforms import add_period, split_metaicl_pair
from iclab.prompts.trtl_formats import DATASET_FORMATS

# base_dataset.py: each registered dataset class's ``input_format`` (the paper's 16 tasks)
PAPER_DATASET_FORMATS = {
    "glue-sst2": "sentiment1", "financial_phrasebank": "sentiment1",
    "tweet_eval-emotion": "sentiment1", "poem_sentiment": "sentiment1", "trec": "topic1",
    "tweet_eval-stance_atheism": "tweet_atheism1", "tweet_eval-stance_feminist": "tweet_feminist1",
    "tweet_eval-hate": "hate_speech1", "ethos-race": "hate_speech_race1",
    "ethos-gender": "hate_speech_gender1", "ethos-religion": "hate_speech_religion1",
    "ethos-national_origin": "hate_speech_national1", "sick": "nli1", "glue-wnli": "nli_entailment1",
    "glue-mrpc": "paraphrase1", "snli": "nli1",
}

# input_format.py: (format name, query suffix after the input, parser phrase, input rule)
PAPER_FORMATS = [
    ("sentiment1", "\nThe sentiment is ", "The sentiment is", "strip"),
    ("topic1", "\nThe topic is ", "The topic is", "period"),
    ("hate_speech1", "\nIs this hate speech? ", "Is this hate speech?", "period"),
    ("hate_speech_race1", "\nIs this hate speech about race? ",
     "Is this hate speech about race?", "period"),
    ("hate_speech_gender1", "\nIs this hate speech about gender? ",
     "Is this hate speech about gender?", "period"),
    ("hate_speech_religion1", "\nIs this hate speech about religion? ",
     "Is this hate speech about religion?", "period"),
    ("hate_speech_national1", "\nIs this hate speech about national origin? ",
     "Is this hate speech about national origin?", "period"),
    ("tweet_atheism1", "\nThe stance is atheist. True or False?\nThe answer is: ",
     "The answer is:", "period"),
    ("tweet_feminist1", "\nThe stance is feminist. True or False?\nThe answer is: ",
     "The answer is:", "period"),
]


def _task(name: str, inputs: list[str], labels: tuple[str, ...]) -> Task:
    examples = tuple(Example({"input": x}, labels[i % len(labels)], {"where": f"row{i}"})
                     for i, x in enumerate(inputs))
    return Task(name, "classification", labels, {"train": examples[:-1], "test": examples[-1:]},
                input_fields=("input",))


def test_dataset_formats_are_the_papers():
    assert {task: name.removeprefix("trtl-") for task, name in DATASET_FORMATS.items()} == \
        PAPER_DATASET_FORMATS


@pytest.mark.parametrize("name,suffix,phrase,rule", PAPER_FORMATS)
def test_single_input_formats(name, suffix, phrase, rule):
    task = _task("t", ["  a gripping film ", "thin plot!  ", "why here"], ("negative", "positive"))
    demos, query = task.split("train"), task.split("test")[0]
    # sentiment1: example.input.strip(); the others: add_period_for_lmbff(example.input.rstrip())
    first, second, q = (("a gripping film", "thin plot!", "why here") if rule == "strip" else
                        ("  a gripping film.", "thin plot!", "why here."))
    expected = (f"{first}{suffix}negative\n\n\n{second}{suffix}positive\n\n\n{q}{suffix}")
    tpl = get_template(f"trtl-{name}")
    assert render_text(task, demos, query, tpl) == expected
    assert tpl.answer_phrase == phrase and tpl.label_lead == ""
    assert render_text(task, (), query, tpl) == f"\n\n\n{q}{suffix}"  # evaluation.py, k = 0


def test_pair_formats_split_metaicl_inputs():
    inputs = ["sentence 1: A man plays. [SEP] sentence 2: A person plays.",
              "sentence 1: Two dogs run [SEP] sentence 2: Cats sleep",
              "sentence 1: It rains [SEP] sentence 2: It is wet"]
    task = _task("sick", inputs, ("False", "True", "Unknown"))
    demos, query = task.split("train"), task.split("test")[0]
    nli = "\nTrue, False, or Unknown?\nThe answer is: "
    assert render_text(task, demos, query, "trtl-nli1") == (
        f"A man plays.\nThe question is: A person plays.{nli}False\n\n\n"
        f"Two dogs run\nThe question is: Cats sleep{nli}True\n\n\n"
        f"It rains\nThe question is: It is wet{nli}")
    tf = "\nTrue or False?\nThe answer is: "
    for name in ("trtl-paraphrase1", "trtl-nli_entailment1"):
        assert render_text(task, demos[:1], query, name) == (
            f"A man plays.\nThe question is: A person plays.{tf}False\n\n\n"
            f"It rains\nThe question is: It is wet{tf}")
    assert split_metaicl_pair("sentence 1: a [SEP] sentence 2: b") == ("a", "b")
    bad = _task("sick", ["x [SEP] y", "no separator"], ("False", "True"))
    with pytest.raises(PromptError, match="example row1.*no '\\[SEP\\]'"):
        render_text(bad, (), bad.split("test")[0], "trtl-nli1")


def test_natural_dispatch_picks_each_datasets_format():
    task = _task("trec", ["What is X", "Who is Y?", "Where is Z"], ("DESC", "HUM"))
    demos, query = task.split("train"), task.split("test")[0]
    assert render_text(task, demos, query, "trtl-natural") == (
        "What is X.\nThe topic is DESC\n\n\nWho is Y?\nThe topic is HUM\n\n\n"
        "Where is Z.\nThe topic is ")
    with pytest.raises(PromptError, match="not 'word-sentiment'"):
        other = _task("word-sentiment", ["a", "b"], ("x", "y"))
        render_text(other, (), other.split("test")[0], "trtl-natural")


def test_add_period_is_add_period_for_lmbff():
    assert add_period("good film") == "good film."
    assert add_period("good film  \n") == "good film."
    assert add_period("really?") == "really?"
    assert add_period("(so it goes)") == "(so it goes)"  # ')' is in string.punctuation
    assert add_period("  lead") == "  lead."  # only the right side is stripped
    with pytest.raises(PromptError, match="empty input"):
        add_period("   ", "row 3")


def test_parse_rule_is_the_papers():
    # the first non-empty line, .replace(phrase, ""), .strip()
    assert parse_answer("\n\n The sentiment is positive\nThe sentiment is negative",
                        "The sentiment is") == "positive"
    assert parse_answer("The answer is: True", "The answer is:") == "True"
    assert parse_answer("False The answer is: ", "The answer is:") == "False"
    assert parse_answer("Is this hate speech? non-hate\n", "Is this hate speech?") == "non-hate"
    assert parse_answer("  positive  \nx", "") == "positive"
    assert parse_answer(" \n \n", "The answer is:") == ""


def test_generate_mode_strips_the_phrase():
    from iclab.models.tiny import tiny_tokenizer

    task = _task("glue-sst2", ["sentence: fine", "sentence: bad", "sentence: great"],
                 ("negative", "positive"))
    tok = tiny_tokenizer("gpt_neox")
    prompt = build_prompt(task, task.split("train"), task.split("test")[0], "trtl-natural",
                          "gold", tok)
    assert prompt.text.endswith("sentence: great\nThe sentiment is ")
    assert dict(prompt.meta)["template"] == "trtl-sentiment1"
    cfg = EvalConfig(scoring="generate", task="glue-sst2")
    result = SimpleNamespace(text="The sentiment is negative\nThe sentiment is", top_k=[])
    record = sample_record(cfg, 13, prompt, result)
    assert record["prediction"] == "negative" and record["correct"] is True
    minimal = build_prompt(task, task.split("train"), task.split("test")[0], "metaicl-minimal",
                           "gold", tok)
    assert "answer_phrase" not in dict(minimal.meta)
    record = sample_record(cfg, 13, minimal, result)  # no phrase under the minimal format
    assert record["prediction"] == "The sentiment is negative" and record["correct"] is False
