"""A smoke check that a model loads and behaves like a pretrained LM."""

from __future__ import annotations

import torch

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
    tok, model = loaded.tokenizer, loaded.model
    ids = tok(TRANSLATION_PROMPT, return_tensors="pt").input_ids.to(loaded.device)
    with torch.inference_mode():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=5,
                             do_sample=False, pad_token_id=tok.pad_token_id)
    translation = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()
    translation = translation.splitlines()[0].strip() if translation else ""
    scores = {}
    ctx = tok(SENTIMENT_PROMPT).input_ids
    for word in (" positive", " negative"):
        full = ctx + tok(word, add_special_tokens=False).input_ids
        x = torch.tensor([full], device=loaded.device)
        with torch.inference_mode():
            logp = model(x).logits[0].float().log_softmax(-1)
        scores[word.strip()] = float(
            sum(logp[i - 1, full[i]] for i in range(len(ctx), len(full)))
        )
    return {
        "model": loaded.id.key,
        "translation": translation,
        "positive_logprob": scores["positive"],
        "negative_logprob": scores["negative"],
        "sentiment_ok": scores["positive"] > scores["negative"],
    }
