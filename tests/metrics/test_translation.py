"""BLEU presets and chrF pinned on tiny inputs (where-icl values checked by hand)."""

from __future__ import annotations

import pytest

from iclab.metrics.translation import (
    PRESETS,
    clean_hypothesis,
    corpus_bleu,
    corpus_chrf,
    first_sentence,
    sentence_bleu,
)

HYPS = ["The cat sits on the mat. It is happy.", "le chien court"]
REFS = ["the cat sat on the mat.", "Le chien court vite"]


def test_where_icl_preset_by_hand():
    # lowercased, first sentence: 10 hyp tokens, 11 ref tokens;
    # matches 9/10, 6/8, 3/6, 1/4; BP = exp(1 - 11/10)
    s = corpus_bleu(HYPS, REFS, "where-icl")
    assert s.precisions == pytest.approx((90.0, 75.0, 50.0, 25.0))
    assert s.brevity_penalty == pytest.approx(0.904837, abs=1e-6)
    assert s.score == pytest.approx(48.766771, abs=1e-5)
    assert "case:lc" in s.signature and "tok:13a" in s.signature


def test_standard_bleu_and_chrf_pinned():
    s = corpus_bleu(HYPS, REFS)
    assert s.score == pytest.approx(25.406637, abs=1e-5)
    assert s.precisions == pytest.approx((50.0, 100 / 3, 20.0, 12.5))
    assert "case:mixed" in s.signature
    assert corpus_chrf(HYPS, REFS) == pytest.approx(61.122792, abs=1e-5)
    assert sentence_bleu(HYPS[1], REFS[1]) == pytest.approx(39.432238, abs=1e-5)
    assert corpus_bleu(REFS, REFS).score == pytest.approx(100.0)


def test_first_sentence_and_cleaning():
    assert first_sentence('Il a dit "oui." Puis il est parti.') == 'Il a dit "oui."'
    assert first_sentence("  sans fin ") == "sans fin"
    assert first_sentence("Version 2.0 est là! Oui") == "Version 2.0 est là!"
    assert clean_hypothesis("Bonjour. Q: x", "where-icl") == "Bonjour."
    assert clean_hypothesis("Salut</s>", "where-icl") == "Salut"
    assert clean_hypothesis("a<pad>b", "where-icl") == "ab"
    assert clean_hypothesis(None, "where-icl") == "blank"
    assert clean_hypothesis("", "where-icl") == "blank"  # bleu.py: NaN (empty CSV cell) -> "blank"
    assert clean_hypothesis("  ", "where-icl") == "blank" and clean_hypothesis("", "sacrebleu") == ""
    with pytest.raises(ValueError):
        clean_hypothesis(None, "sacrebleu")
    with pytest.raises(ValueError):
        corpus_bleu(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="unknown BLEU preset"):
        corpus_bleu(["a"], ["a"], "paper")
    assert set(PRESETS) == {"sacrebleu", "where-icl"}
