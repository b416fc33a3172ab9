"""Every preset's exact text for a small fixed example set."""

from __future__ import annotations

import pytest

from iclab.errors import PromptError
from iclab.prompts import Template, get_template, register_template, render_text, template_names
from iclab.prompts.templates import PRESETS


def test_preset_names() -> None:
    assert template_names() == [
        "default", "implicit-patterns", "label-relationships", "metaicl-minimal", "qa-code",
        "qa-none", "qa-translation", "trtl-hate_speech1", "trtl-hate_speech_gender1",
        "trtl-hate_speech_national1", "trtl-hate_speech_race1", "trtl-hate_speech_religion1",
        "trtl-natural", "trtl-nli1", "trtl-nli_entailment1", "trtl-paraphrase1",
        "trtl-sentiment1", "trtl-topic1", "trtl-tweet_atheism1", "trtl-tweet_feminist1",
    ]


def test_unknown_template_lists_names() -> None:
    with pytest.raises(PromptError, match=r"unknown template 'metaicl'.*did you mean "
                       r"'metaicl-minimal'.*known templates: \['default'"):
        get_template("metaicl")


def test_metaicl_minimal(sst2) -> None:
    demos, q = sst2.splits["train"][:3], sst2.splits["test"][0]
    assert render_text(sst2, demos, q, "metaicl-minimal") == (
        "a gripping , funny film .\npositive\n\n\n"
        "the plot is thin .\nnegative\n\n\n"
        "deeply moving .\npositive\n\n\n"
        "funny and warm ."
    )


def test_metaicl_minimal_zero_shot(sst2) -> None:
    # the paper's code joins an empty demo string and the query with the separator
    assert render_text(sst2, (), sst2.splits["test"][1], "metaicl-minimal") == "\n\n\na tedious mess ."


def test_metaicl_minimal_rejects_pairs(mrpc) -> None:
    with pytest.raises(PromptError, match="cannot render 2 input field"):
        render_text(mrpc, (), mrpc.splits["test"][0], "metaicl-minimal")


def test_label_relationships_single(sst2) -> None:
    demos, q = sst2.splits["train"][:2], sst2.splits["test"][0]
    assert render_text(sst2, demos, q, "label-relationships") == (
        "Sentence: 'a gripping , funny film .' \nAnswer: positive\n\n"
        "Sentence: 'the plot is thin .' \nAnswer: negative\n\n"
        "Sentence: 'funny and warm .' \nAnswer:"
    )


def test_label_relationships_pairs(mrpc) -> None:
    text = render_text(mrpc, mrpc.splits["train"][:1], mrpc.splits["test"][0],
                       "label-relationships")
    assert text == (
        "Sentence 1: 'He left .'\nSentence 2: 'He went away .' \nAnswer: equivalent\n\n"
        "Sentence 1: 'A cat .'\nSentence 2: 'A feline .' \nAnswer:"
    )


def test_label_relationships_mqp_titles(mrpc) -> None:
    from dataclasses import replace

    mqp = replace(mrpc, name="medical_questions_pairs")
    text = render_text(mqp, (), mqp.splits["test"][0], "label-relationships")
    assert text == "Question 1: 'A cat .'\nQuestion 2: 'A feline .' \nAnswer:"


def test_qa_translation(flores) -> None:
    text = render_text(flores, flores.splits["train"], flores.splits["test"][0], "qa-translation")
    assert text == (
        "Translate English to French:\n"
        "Q:The cat sleeps.A:Le chat dort. \n"
        "Q:The dog runs.A:Le chien court. \n"  # demos are stripped, as in the paper's code
        "Q:The house is big.A:"
    )


def test_qa_translation_zero_shot_and_languages(flores) -> None:
    q = flores.splits["test"][0]
    assert render_text(flores, (), q, "qa-translation") == (
        "Translate English to French:\nQ:The house is big.A:")
    text = render_text(flores, (), q, "qa-translation", variables={"target_language": "German"})
    assert text == "Translate English to German:\nQ:The house is big.A:"


def test_qa_code(flores) -> None:
    text = render_text(flores, flores.splits["train"][:1], flores.splits["test"][0], "qa-code")
    assert text == (
        "Write a program for the following task:\n\n"
        "Q:The cat sleeps.\nA:Le chat dort. \n"
        "Q:The house is big.\nA:"
    )


def test_qa_none(flores) -> None:
    text = render_text(flores, flores.splits["train"], flores.splits["test"][0], "qa-none")
    assert text == (
        "\nQ:The cat sleeps.\nA:Le chat dort. \n"
        "Q:The dog runs.\nA:Le chien court. \n"
        "Q:The house is big.\nA:"
    )
    assert render_text(flores, (), flores.splits["test"][0], "qa-none") == "\nQ:The house is big.\nA:"


def test_implicit_patterns() -> None:
    from iclab.data.types import Example, Task

    ex = [Example({"expression": "(1+6)+(-3+3)*(-1-3+9-5)="}, "7"),
          Example({"expression": "(8)+(0)*(0-6+9-6)="}, "8"),
          Example({"expression": "(4)+(0)*(3-8+10-13)="}, "4")]
    task = Task("implicit-expression", "generation", (), {"train": tuple(ex[:2]),
                "test": (ex[2],)}, input_fields=("expression",))
    text = render_text(task, ex[:2], ex[2], "implicit-patterns")
    assert text == (
        "Now you need to calculate the answer of some mathematic equations. Here are some "
        "examples: \n(1+6)+(-3+3)*(-1-3+9-5)=7 \n (8)+(0)*(0-6+9-6)=8 \n (4)+(0)*(3-8+10-13)="
    )
    assert render_text(task, (), ex[2], "implicit-patterns").endswith("examples: \n(4)+(0)*(3-8+10-13)=")


def test_default(sst2) -> None:
    demos, q = sst2.splits["train"][:2], sst2.splits["test"][0]
    assert render_text(sst2, demos, q, "default") == (
        "Input: a gripping , funny film .\nOutput: positive\n\n"
        "Input: the plot is thin .\nOutput: negative\n\n"
        "Input: funny and warm .\nOutput:"
    )


def test_default_with_instruction_and_pairs(mrpc) -> None:
    tpl = get_template("default").with_instruction("Are the two sentences paraphrases?")
    text = render_text(mrpc, (), mrpc.splits["test"][0], tpl)
    assert text == ("Are the two sentences paraphrases?\n\n"
                    "Input 1: A cat .\nInput 2: A feline .\nOutput:")


def test_register_template_and_bad_formats(sst2) -> None:
    tpl = Template("arrow", "x -> y", {1: "{0} ->"}, label_lead=" ", demo_sep="\n", query_sep="\n")
    register_template(tpl)
    try:
        assert render_text(sst2, sst2.splits["train"][:1], sst2.splits["test"][0], "arrow") == (
            "a gripping , funny film . -> positive\nfunny and warm . ->")
        with pytest.raises(PromptError, match="already exists"):
            register_template(tpl)
    finally:
        PRESETS.pop("arrow")
    with pytest.raises(PromptError, match="must use the slots"):
        Template("bad", "", {2: "{0} {0}"})


def test_missing_variable_is_named(sst2) -> None:
    tpl = Template("needs-var", "", {1: "{0}"}, instruction="Task: {what}", instruction_sep="\n")
    with pytest.raises(PromptError, match=r"needs variable\(s\) \['what'\]"):
        render_text(sst2, (), sst2.splits["test"][0], tpl)
