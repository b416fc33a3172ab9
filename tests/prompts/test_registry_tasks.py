"""Prompts built from the data registry's real tasks (local files under the shared data dir)."""

from __future__ import annotations

import pytest

from iclab.data import load_task, metaicl_split
from iclab.errors import DataError
from iclab.prompts import METAICL_SEEDS, build_prompt, build_prompts, render_text, sample_fixed


def _load(name: str):
    try:
        return load_task(name)
    except DataError as exc:  # no local copy on this machine
        pytest.skip(str(exc))


def test_fixed_demos_equal_metaicl_kshot_files() -> None:
    task = _load("poem_sentiment")
    for seed in METAICL_SEEDS:
        assert sample_fixed(task.split("train"), 16, seed) == metaicl_split(task, seed, 16)[0]


def test_metaicl_minimal_on_poem_sentiment(llama_tok) -> None:
    task = _load("poem_sentiment")
    demos = metaicl_split(task, 100, 16)[0]
    query = task.split("test")[0]
    text = render_text(task, demos, query, "metaicl-minimal", "abstract")
    blocks = text.split("\n\n\n")
    assert len(blocks) == 17 and blocks[-1] == query.fields["input"]
    symbols = {"negative": "*", "no_impact": "#", "positive": "^"}
    for block, demo in zip(blocks, demos):
        assert block == demo.fields["input"] + "\n" + symbols[demo.label]
    p = build_prompt(task, demos, query, "metaicl-minimal", "abstract", llama_tok, seed=100)
    assert p.choices == ("\n*", "\n#", "\n^") and p.choices[p.target] == "\n#"  # gold no_impact


def test_label_relationships_pairs_from_registry(llama_tok) -> None:
    task = _load("lr-rte")
    prompts = build_prompts(task, llama_tok, shots=3, seed=0, template="label-relationships",
                            setting="flip-after:1", sampling="iid", limit=2)
    assert len(prompts) == 2
    text = prompts[0].text
    assert text.startswith("Sentence 1: '") and text.endswith("' \nAnswer:")
    assert text.count("\nSentence 2: '") == 4
    assert prompts[0].choices == (" entailment", " not entailment")


def test_qa_translation_from_registry(llama_tok) -> None:
    task = _load("flores-eng-fra")
    prompts = build_prompts(task, llama_tok, shots=5, seed=0, template="qa-translation", limit=1)
    p = prompts[0]
    assert p.text.startswith("Translate English to French:\nQ:") and p.text.endswith("A:")
    assert p.text.count(" \nQ:") == 5 and p.target == task.split("test")[0].label
    deu = _load("flores-eng-deu")
    assert render_text(deu, (), deu.split("test")[0], "qa-translation").startswith(
        "Translate English to German:\nQ:")


def test_qa_code_mbpp_demos_humaneval_queries(llama_tok) -> None:
    humaneval, mbpp = _load("humaneval"), _load("mbpp")
    prompts = build_prompts(humaneval, llama_tok, shots=2, seed=0, template="qa-code",
                            sampling="choice", limit=1, demo_task=mbpp)
    p = prompts[0]
    assert p.text.startswith("Write a program for the following task:\n\nQ:")
    assert p.text.endswith("\nA:") and p.text.count(" \nQ:") == 2
    first = p.spans_of("demo_input")[0]
    assert p.text[first.char_start:first.char_end] in {e.fields["text"].strip()
                                                       for e in mbpp.split("train")}
