"""Translation metrics with sacrebleu: named BLEU presets and chrF.

Presets:

- ``"sacrebleu"``: standard corpus BLEU (13a tokenizer, case-sensitive), the hypothesis as is.
- ``"where-icl"``: the where-ICL paper's variant (its ``src/evaluate/bleu.py``): 13a,
  ``lowercase=True``, each hypothesis cut to its first sentence, the strings ``</s>``,
  ``<|endoftext|>`` and ``<pad>`` removed, and a missing hypothesis scored as ``"blank"``.
  The paper splits sentences with NLTK's pre-trained English Punkt model; here
  :func:`first_sentence` cuts after the first ``.``, ``!`` or ``?`` (with any closing quotes or
  brackets) that is followed by whitespace. Both agree except around abbreviations ("Dr. X"),
  where Punkt keeps going; the difference is documented rather than hidden.

Sentence-level BLEU uses ``effective_order=True`` as the paper's per-sentence scores do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from sacrebleu.metrics import BLEU, CHRF

_SPECIALS = ("</s>", "<|endoftext|>", "<pad>")
_SENTENCE_END = re.compile(r"[.!?]+[\"'»”’)\]]*(?=\s)")


@dataclass(frozen=True)
class BleuPreset:
    """How hypotheses are cleaned and BLEU is configured.

    Attributes:
        name: preset name.
        tokenize: sacrebleu tokenizer (``13a``, ``intl``, ``zh``, ...).
        lowercase: case-insensitive BLEU.
        first_sentence: cut each hypothesis to its first sentence.
        strip_specials: remove ``</s>``, ``<|endoftext|>`` and ``<pad>`` from hypotheses.
    """

    name: str
    tokenize: str = "13a"
    lowercase: bool = False
    first_sentence: bool = False
    strip_specials: bool = False


PRESETS: dict[str, BleuPreset] = {
    "sacrebleu": BleuPreset("sacrebleu"),
    "where-icl": BleuPreset("where-icl", "13a", lowercase=True, first_sentence=True,
                            strip_specials=True),
}


@dataclass(frozen=True)
class BleuScore:
    """A BLEU score (0-100) with its n-gram precisions, brevity penalty and signature."""

    score: float
    precisions: tuple[float, ...]
    brevity_penalty: float
    signature: str
    preset: str


def get_preset(preset: str | BleuPreset) -> BleuPreset:
    """Look up a preset by name (or pass one through)."""
    if isinstance(preset, BleuPreset):
        return preset
    if preset not in PRESETS:
        raise ValueError(f"unknown BLEU preset {preset!r}; choose from {sorted(PRESETS)}")
    return PRESETS[preset]


def first_sentence(text: str) -> str:
    """``text`` up to and including its first sentence end (see the module docstring)."""
    text = text.strip()
    m = _SENTENCE_END.search(text)
    return text[: m.end()] if m else text


def clean_hypothesis(hyp: str | None, preset: str | BleuPreset) -> str:
    """Apply a preset's hypothesis cleaning (under where-icl, a missing or empty hypothesis
    becomes ``"blank"``: the paper's outputs went through a CSV, where an empty string reads
    back as a missing value, which its scorer replaces by "blank")."""
    p = get_preset(preset)
    if hyp is None or (p.strip_specials and not hyp.strip()):
        if not p.strip_specials:
            raise ValueError("a hypothesis is None (no generation)")
        return "blank"
    if p.first_sentence:
        hyp = first_sentence(hyp)
    if p.strip_specials:
        for s in _SPECIALS:
            hyp = hyp.replace(s, "")
    return hyp


def _check(hyps: Sequence[object], refs: Sequence[str]) -> None:
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} references")
    if not refs:
        raise ValueError("no hypotheses to score")


def corpus_bleu(hyps: Sequence[str | None], refs: Sequence[str],
                preset: str | BleuPreset = "sacrebleu") -> BleuScore:
    """Corpus BLEU of ``hyps`` against one reference each."""
    _check(hyps, refs)
    p = get_preset(preset)
    metric = BLEU(tokenize=p.tokenize, lowercase=p.lowercase)
    out = metric.corpus_score([clean_hypothesis(h, p) for h in hyps], [list(refs)])
    return BleuScore(out.score, tuple(out.precisions), out.bp, str(metric.get_signature()),
                     p.name)


def sentence_bleu(hyp: str | None, ref: str, preset: str | BleuPreset = "sacrebleu") -> float:
    """Sentence BLEU (effective order) of one hypothesis."""
    p = get_preset(preset)
    metric = BLEU(tokenize=p.tokenize, lowercase=p.lowercase, effective_order=True)
    return metric.sentence_score(clean_hypothesis(hyp, p), [ref]).score


def corpus_chrf(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Corpus chrF (sacrebleu defaults: character 6-grams, beta 2), hypotheses as is."""
    _check(hyps, refs)
    return CHRF().corpus_score(list(hyps), [list(refs)]).score


def translation_scores(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """The where-ICL analyses' translation scores of one set of outputs: ``score`` (BLEU under
    the paper's ``where-icl`` preset), ``bleu_standard`` (sacrebleu's defaults) and ``chrf``."""
    return {"score": corpus_bleu(hypotheses, references, "where-icl").score,
            "bleu_standard": corpus_bleu(hypotheses, references).score,
            "chrf": corpus_chrf(hypotheses, references)}
