"""Built prompts: token spans from offsets, targets, choices, context-window policy."""

from __future__ import annotations

import pytest

from iclab.errors import PromptError
from iclab.prompts import build_prompt, build_prompts
from iclab.prompts.types import Prompt

TEMPLATES_CLS = ["default", "metaicl-minimal", "label-relationships"]
TEMPLATES_GEN = ["qa-translation", "qa-code", "qa-none"]


def _decoded(tok, prompt: Prompt, span) -> str:
    return tok.decode(list(prompt.input_ids[span.tok_start:span.tok_end]),
                      skip_special_tokens=True)


def _check_round_trip(tok, prompt: Prompt) -> None:
    """Each span's tokens decode to its text, up to whitespace and boundary-crossing tokens.

    A token that crosses a span boundary (Gemma's ``".'"``) belongs to the span holding its
    first non-whitespace character, so a span may overhang by the rest of such a token — but
    never by a whole token, and label spans (what the engine scores) must be exact here.
    """
    enc = tok(prompt.text, return_offsets_mapping=True)
    assert enc["input_ids"] == list(prompt.input_ids)
    offsets = enc["offset_mapping"]
    for span in prompt.spans:
        text = prompt.text[span.char_start:span.char_end]
        assert span.tok_end > span.tok_start, span
        decoded = _decoded(tok, prompt, span)
        lo, hi = offsets[span.tok_start][0], offsets[span.tok_end - 1][1]
        assert decoded.strip() == prompt.text[lo:hi].strip(), (span, decoded)
        assert text.strip() in decoded, (span, text, decoded)
        assert offsets[span.tok_start][1] > span.char_start and offsets[span.tok_end - 1][0] < span.char_end
        if span.kind == "demo_label":
            assert decoded.strip() == text.strip(), (span, text, decoded)
    demos = prompt.spans_of("demo")
    labels = prompt.spans_of("demo_label")
    for a, b in zip(demos, demos[1:]):
        assert a.tok_end <= b.tok_start
    for d, lab in zip(demos, labels):
        assert d.tok_start <= lab.tok_start < lab.tok_end <= d.tok_end
    query = prompt.spans_of("query")[0]
    assert query.char_end == len(prompt.text) and query.tok_end == len(prompt.input_ids)


@pytest.mark.parametrize("template", TEMPLATES_CLS)
def test_spans_round_trip_classification(tokenizer, sst2, template) -> None:
    demos = sst2.splits["train"][:4]
    p = build_prompt(sst2, demos, sst2.splits["test"][0], template, "gold", tokenizer)
    _check_round_trip(tokenizer, p)
    assert [s.kind for s in p.spans][:3] == ["demo", "demo_input", "demo_label"]
    assert len(p.spans_of("demo")) == 4 and len(p.spans_of("demo_label")) == 4


@pytest.mark.parametrize("template", TEMPLATES_GEN)
def test_spans_round_trip_generation(tokenizer, flores, template) -> None:
    p = build_prompt(flores, flores.splits["train"], flores.splits["test"][0], template,
                     "gold", tokenizer)
    _check_round_trip(tokenizer, p)
    assert p.target == "La maison est grande." and p.choices == ()
    assert len(p.spans_of("instruction")) == (0 if template == "qa-none" else 1)


def test_spans_round_trip_pairs_and_multi_token_labels(tokenizer, mrpc, agnews) -> None:
    p = build_prompt(mrpc, mrpc.splits["train"], mrpc.splits["test"][0],
                     "label-relationships", "gold", tokenizer)
    _check_round_trip(tokenizer, p)
    assert _decoded(tokenizer, p, p.spans_of("demo_label")[1]).strip() == "not equivalent"
    p = build_prompt(agnews, agnews.splits["train"], agnews.splits["test"][0],
                     "label-relationships", "gold", tokenizer)
    _check_round_trip(tokenizer, p)
    long = p.spans_of("demo_label")[3]
    assert long.tok_end - long.tok_start >= 2  # "science and technology" keeps all its tokens


def test_label_span_char_ranges(llama_tok, sst2) -> None:
    p = build_prompt(sst2, sst2.splits["train"][:2], sst2.splits["test"][0],
                     "metaicl-minimal", "gold", llama_tok)
    words = [p.text[s.char_start:s.char_end] for s in p.spans_of("demo_label")]
    inputs = [p.text[s.char_start:s.char_end] for s in p.spans_of("demo_input")]
    assert words == ["positive", "negative"]
    assert inputs == ["a gripping , funny film .", "the plot is thin ."]
    assert p.input_ids[0] == llama_tok.bos_token_id
    assert all(s.tok_start >= 1 for s in p.spans)  # BOS belongs to no span


def test_targets_and_choices_per_setting(llama_tok, sst2) -> None:
    demos, q = sst2.splits["train"][:4], sst2.splits["test"][1]  # gold: negative
    gold = build_prompt(sst2, demos, q, "label-relationships", "gold", llama_tok)
    assert gold.choices == (" negative", " positive") and gold.target == 0
    assert gold.demo_targets == (1, 0, 1, 0) and gold.label_words == ("negative", "positive")
    meta = dict(gold.meta)
    assert meta["setting"] == "gold" and meta["template"] == "label-relationships"
    flip = build_prompt(sst2, demos, q, "metaicl-minimal", "replacement:flip", llama_tok)
    assert flip.choices == ("\npositive", "\nnegative") and flip.target == 0
    assert flip.text.startswith("a gripping , funny film .\nnegative\n\n\n")
    ab = build_prompt(sst2, demos, q, "metaicl-minimal", "abstract", llama_tok)
    assert ab.choices == ("\n*", "\n#") and ab.target == 0
    assert dict(ab.meta)["score_against"] == "shown"
    alt = build_prompt(sst2, demos, q, "default", "alternating", llama_tok)
    assert alt.demo_targets == (1, 0, 1, 0)
    assert [alt.text[s.char_start:s.char_end] for s in alt.spans_of("demo_label")] == [
        "positive", "positive", "positive", "positive"]


def test_context_window_error_and_drop_front(llama_tok, sst2) -> None:
    demos, q = sst2.splits["train"], sst2.splits["test"][0]
    full = build_prompt(sst2, demos, q, "default", "gold", llama_tok)
    n = len(full.input_ids)
    with pytest.raises(PromptError, match=r"task 'glue-sst2' with 6 shots is \d+ tokens .*max_length=20"):
        build_prompt(sst2, demos, q, "default", "gold", llama_tok, max_length=20)
    dropped = build_prompt(sst2, demos, q, "default", "flip-after:3", llama_tok,
                           max_length=n - 5, overflow="drop-front")
    meta = dict(dropped.meta)
    assert meta["dropped"] >= 1 and meta["shots"] == 6 - meta["dropped"]
    assert len(dropped.input_ids) < n - 5
    assert dropped.demo_targets == full.demo_targets[meta["dropped"]:]
    labels = [dropped.text[s.char_start:s.char_end] for s in dropped.spans_of("demo_label")]
    shown = ["positive", "negative", "positive", "positive", "negative", "positive"]
    assert labels == shown[meta["dropped"]:]  # the setting applies to the full demo list
    with pytest.raises(PromptError, match="0 shots .* even with every demo dropped"):
        build_prompt(sst2, demos, q, "default", "gold", llama_tok, max_length=3,
                     overflow="drop-front")
    with pytest.raises(PromptError, match="overflow must be"):
        build_prompt(sst2, demos, q, "default", "gold", llama_tok, overflow="truncate")


def test_build_prompts_shares_demos(llama_tok, sst2) -> None:
    prompts = build_prompts(sst2, llama_tok, shots=3, seed=13, template="metaicl-minimal",
                            setting="random")
    assert len(prompts) == 2
    first, second = (p.text[: p.spans_of("query")[0].char_start] for p in prompts)
    assert first == second
    assert [dict(p.meta)["query_index"] for p in prompts] == [0, 1]
    iid = build_prompts(sst2, llama_tok, shots=8, seed=0, sampling="iid", limit=1)
    assert len(iid) == 1 and len(iid[0].spans_of("demo")) == 8
    with pytest.raises(PromptError, match="k=7 demonstrations without replacement"):
        build_prompts(sst2, llama_tok, shots=7, seed=13)


def test_slow_tokenizer_is_refused(sst2) -> None:
    class NoOffsets:
        def __call__(self, text, **kw):
            raise NotImplementedError("return_offset_mapping is not available")

    with pytest.raises(PromptError, match="fast tokenizer"):
        build_prompt(sst2, (), sst2.splits["test"][0], "default", "gold", NoOffsets())


def test_token_range_covers_all_demos(llama_tok, sst2) -> None:
    p = build_prompt(sst2, sst2.splits["train"][:3], sst2.splits["test"][0], "default", "gold",
                     llama_tok)
    demos = p.spans_of("demo")
    assert p.token_range("demo") == (demos[0].tok_start, demos[-1].tok_end)
    assert p.token_range("instruction") == (0, 0)


def test_iid_random_empirical_continues_the_repeat_generator(llama_tok, sst2) -> None:
    import numpy as np

    prompts = build_prompts(sst2, llama_tok, shots=3, seed=1, template="label-relationships",
                            setting="random-empirical", sampling="iid", limit=2)
    rng = np.random.default_rng(201)
    test_idx = [int(i) for i in rng.choice(range(2), 2, replace=False)]
    demo_idx = [int(i) for i in rng.choice(range(6), 3)]
    train = sst2.splits["train"]
    for p, t in zip(prompts, test_idx):
        assert dict(p.meta)["query_index"] == t
        shown = [p.text[s.char_start:s.char_end] for s in p.spans_of("demo_label")]
        drawn = [train[int(rng.choice(range(6), 1)[0])].label for _ in range(3)]
        assert shown == drawn  # re-drawn per query, as the paper's code does
        inputs = [p.text[s.char_start:s.char_end] for s in p.spans_of("demo_input")]
        assert inputs == [train[i].fields["sentence"] for i in demo_idx]
        assert p.demo_targets == tuple(sst2.label_index(train[i].label) for i in demo_idx)
