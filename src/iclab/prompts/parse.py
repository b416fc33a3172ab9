"""Reading a generated answer: the first non-empty line, minus the format's answer phrase.

The task-recognition paper's natural-format parsers (RUCAIBox/Competitive-ICL
``src/format/input_format.py``, e.g. ``ICLSentimentNaturalInputFormat._parse_answer``) keep the
output's non-empty lines, take the first, remove the format's phrase with ``str.replace`` (every
occurrence, anywhere in the line) and strip the rest: ``"The sentiment is positive"`` ->
``"positive"``. A template's :attr:`~iclab.prompts.templates.Template.answer_phrase` names the
phrase; without one the stripped first line is the answer (:func:`first_line`).
"""

from __future__ import annotations


def first_line(text: str) -> str:
    """The first non-empty line of ``text``, stripped ("" when there is none)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def exact_match_first_line(text: str, target: str) -> bool:
    """Task-recognition paper's metric: first non-empty line, stripped, equals the target
    exactly (case-sensitive)."""
    return first_line(text) == target


def parse_answer(text: str, answer_phrase: str = "") -> str:
    """The answer in a generated ``text``: its first non-empty line, stripped, with every
    occurrence of ``answer_phrase`` removed and stripped again ("" when no line has text)."""
    line = first_line(text)
    return line.replace(answer_phrase, "").strip() if answer_phrase else line


__all__ = ["exact_match_first_line", "first_line", "parse_answer"]
