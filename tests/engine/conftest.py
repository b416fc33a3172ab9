"""Shared fixtures: tiny models per architecture and hand-made prompts (no template code)."""

from __future__ import annotations

import pytest

from iclab.models.tiny import TINY_ARCHS, tiny_model, tiny_tokenizer
from iclab.prompts.types import Prompt, Span


@pytest.fixture(autouse=True)
def _single_thread(one_thread: None) -> None:
    """Every engine test runs on one torch thread (see the root conftest's ``one_thread``)."""


WORDS = ("the movie was great", "a terrible plot", "the actor is good", "bad film",
         "one two three", "the city of paris", "good review of the film and the actor")
LABELS = ("positive", "negative", "neutral true")  # the last one is multi-token


def make_prompt(tokenizer, demos, labels, query, choices, target=0, sep="\n", joiner="\n\n\n",
                instruction=""):
    """A MetaICL-style prompt with spans from the tokenizer's offsets (anchor rule)."""
    text, spans_c = instruction, []
    if instruction:
        spans_c.append(("instruction", None, 0, len(instruction)))
        text += "\n"
    for i, (x, y) in enumerate(zip(demos, labels)):
        if i:
            text += joiner
        start = len(text)
        text += x + sep
        spans_c.append(("demo_label", i, len(text), len(text) + len(y)))
        text += y
        spans_c.append(("demo", i, start, len(text)))
    if demos:
        text += joiner
    spans_c.append(("query", None, len(text), len(text) + len(query)))
    text += query
    enc = tokenizer(text, return_offsets_mapping=True)
    ids, offs = enc["input_ids"], enc["offset_mapping"]
    special = set(tokenizer.all_special_ids)
    anchors = []
    for t, (a, b) in zip(ids, offs):
        piece = text[a:b]
        anchors.append(-1 if t in special or b <= a else a + len(piece) - len(piece.lstrip())
                       if piece.strip() else a)
    spans = []
    for kind, idx, a, b in spans_c:
        toks = [j for j, c in enumerate(anchors) if a <= c < b]
        spans.append(Span(kind, idx, a, b, toks[0], toks[-1] + 1))
    label_idx = {w: k for k, w in enumerate(c.strip() for c in choices)}
    return Prompt(text=text, input_ids=tuple(ids), spans=tuple(spans), choices=tuple(choices),
                  target=target, label_words=tuple(c.strip() for c in choices),
                  demo_targets=tuple(label_idx.get(y, 0) for y in labels))


@pytest.fixture(scope="session", params=TINY_ARCHS)
def tiny(request):
    """(arch, model, tokenizer) for each tiny architecture."""
    arch = request.param
    return arch, tiny_model(arch), tiny_tokenizer(arch)


def prompt_set(tokenizer, n_queries=7, k=4, choices=(" positive", " negative", " neutral true"),
               sep=" ", seed_shift=0):
    """Prompts sharing k demonstrations, with queries of mixed lengths."""
    demos = [WORDS[(i + seed_shift) % len(WORDS)] for i in range(k)]
    labels = [LABELS[(i + seed_shift) % 2] for i in range(k)]
    out = []
    for q in range(n_queries):
        query = " ".join(WORDS[(q + j) % len(WORDS)] for j in range(1 + q % 3))
        out.append(make_prompt(tokenizer, demos, labels, query, choices, target=q % 2, sep=sep))
    return out
