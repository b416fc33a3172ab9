"""Reading a generated answer: the first non-empty line, minus the format's answer phrase.

The task-recognition paper's natural-format parsers (RUCAIBox/Competitive-ICL
``src/format/input_format.py``, e.g. ``ICLSentimentNaturalInputFormat._parse_answer``) keep the
output's non-empty lines, take the first, remove the format's phrase with ``str.replace`` (every
occurrence, anywhere in the line) and strip the rest: ``"The sentiment is positive"`` ->
``"positive"``. A template's :attr:`~iclab.prompts.templates.Template.answer_phrase` names the
phrase; without one the stripped first line is the answer (:func:`iclab.engine.first_line`).
"""

from __future__ import annotations

from iclab.engine.calibrate import first_line


def parse_answer(text: str, answer_phrase: str = "") -> str:
    """The answer in a generated ``text``: its first non-empty line, stripped, with every
    occurrence of ``answer_phrase`` removed and stripped again ("" when no line has text)."""
    line = first_line(text)
    return line.replace(answer_phrase, "").strip() if answer_phrase else line


__all__ = ["parse_answer"]
