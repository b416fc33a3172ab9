"""A smoke check that a model loads and behaves like a pretrained LM, run through the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iclab.prompts.types import Prompt

if TYPE_CHECKING:
    from iclab.models.loader import LoadedModel

TRANSLATION_PROMPT = "English: cat\nFrench: chat\nEnglish: house\nFrench:"
SENTIMENT_PROMPT = (
    "Review: a dull, lifeless mess.\nSentiment: negative\n\n"
    "Review: a warm, funny and moving film.\nSentiment: positive\n\n"
    "Review: an absolute delight from start to finish, I loved it.\nSentiment:"
)


def smoke_check(loaded: LoadedModel) -> dict[str, object]:
    """Run two tiny behavioural checks and return what the model did.

    Returns:
        ``translation``: the greedy continuation of :data:`TRANSLATION_PROMPT` (first line);
        ``positive_logprob`` / ``negative_logprob``: log-probabilities of the two label words
        after :data:`SENTIMENT_PROMPT`; ``sentiment_ok``: whether " positive" wins.
    """
    from iclab.engine.engine import Engine

    engine = Engine(loaded)
    tok = loaded.tokenizer
    ids = tuple(tok(TRANSLATION_PROMPT).input_ids)
    prompt = Prompt(TRANSLATION_PROMPT, ids, (), (), "")
    (out,) = engine.generate([prompt], max_new_tokens=5)
    translation = out.text.strip()
    translation = translation.splitlines()[0].strip() if translation else ""
    words = (" positive", " negative")
    (raw,) = engine.score_ids([tok(SENTIMENT_PROMPT).input_ids],
                              [[engine.encode_choice(w) for w in words]])
    scores = dict(zip(("positive", "negative"), raw.logprobs))
    return {
        "model": loaded.id.key,
        "translation": translation,
        "positive_logprob": scores["positive"],
        "negative_logprob": scores["negative"],
        "sentiment_ok": scores["positive"] > scores["negative"],
    }
