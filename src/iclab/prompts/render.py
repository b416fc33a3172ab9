"""Render a prompt's text from a template while recording character spans.

Rendering is pure string work (no tokenizer): :func:`render_prompt` concatenates pieces and
records, for every piece that matters, its ``[start, end)`` character range. Token ranges are
added later from the tokenizer's offset mapping (:mod:`iclab.prompts.tokens`).

Span conventions (character ranges):

- ``instruction``: the instruction text, without its separator.
- ``demo`` i: the whole demonstration (input format, answer prefix, label lead, label and demo
  suffix), without the separator that follows it.
- ``demo_input`` i: from the first input field's value to the end of the last one (for pairs it
  includes the text between the two values, e.g. ``"'\\nSentence 2: '"``).
- ``demo_label`` i: the label word only (no lead space or newline).
- ``query``: the query's input format plus answer prefix (up to the end of the text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from iclab.data.types import Example, Task
from iclab.errors import PromptError
from iclab.prompts.templates import Template, named_slots
from iclab.prompts.types import SpanKind

_SLOT = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class CharSpan:
    """A named character range of a rendered prompt (``[start, end)``)."""

    kind: SpanKind
    index: int | None
    start: int
    end: int


@dataclass(frozen=True)
class Rendered:
    """A rendered prompt before tokenization: text and character spans."""

    text: str
    spans: tuple[CharSpan, ...]


LANGUAGES: dict[str, str] = {
    "en": "English", "eng": "English", "fr": "French", "fra": "French", "de": "German",
    "deu": "German", "es": "Spanish", "spa": "Spanish", "pt": "Portuguese", "por": "Portuguese",
    **{n: n.capitalize() for n in ("english", "french", "german", "spanish", "portuguese")},
}

_QUERY_VARIABLES = ("source_language", "target_language")
"""Template variables an example's ``meta`` may carry (WMT/FLORES readers record them)."""

IMPLICIT_INSTRUCTIONS: dict[str, str] = {  # the paper's lines, verbatim (its trailing " \n" is
    # the ``implicit-patterns`` template's instruction separator)
    "expression": "Now you need to calculate the answer of some mathematic equations. "
    "Here are some examples:",
    "code": "Now you need to give me the printed result after running this python code . "
    "Here are some examples:",
    "relation": "Here are some cities expressed as A, B, C, etc. I will show some connection "
    "relations, and you need to tell me if city A and city Z are connected (Answer True or "
    "False). Here are some examples:",
    "boolean": "Here are some boolean expressions, you need to directly tell me the result. "
    "If it is true, print True, else print False. Here are some examples:",
    "algebra": "Here are some equations, you need to find all solutions of given variables. "
    "Here are some examples:",
}


def task_variables(task: Task) -> dict[str, str]:
    """Template variables implied by a task's name.

    - ``title1``/``title2``: ``"Question 1"``/``"Question 2"`` for medical_questions_pairs (MQP).
    - ``source_language``/``target_language``: the first two language codes in the name
      (``flores-eng-fra``, ``wmt14-en-fr``, ``eng_Latn-fra_Latn``), as English names.
    - ``instruction``: the ICL-vs-FT paper's instruction for expression/code/relation/boolean/
      algebra tasks (matched by those words in the name).
    """
    name = task.name.lower()
    out: dict[str, str] = {}
    if "medical_questions_pairs" in name or re.search(r"(^|[-_])mqp($|[-_])", name):
        out.update(title1="Question 1", title2="Question 2")
    langs = [LANGUAGES[p] for p in re.split(r"[-_./ ]+", name) if p in LANGUAGES]
    if len(langs) >= 2:
        out.update(source_language=langs[0], target_language=langs[1])
    for family, instruction in IMPLICIT_INSTRUCTIONS.items():
        if family in name or (family == "boolean" and "bool" in name):
            out["instruction"] = instruction
            break
    return out


def fill_variables(fmt: str, variables: Mapping[str, str], template: Template) -> str:
    """Replace named slots of ``fmt`` with ``variables``; positional slots stay."""
    missing = [n for n in named_slots(fmt) if n not in variables]
    if missing:
        raise PromptError(
            f"template {template.name!r} needs variable(s) {missing}; pass them as "
            f"variables={{...}} (known: {sorted(variables)})"
        )
    return _SLOT.sub(lambda m: m.group(0) if m.group(1).isdigit() else variables[m.group(1)], fmt)


class _Writer:
    """Appends pieces to a growing text and records character spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[CharSpan] = []

    def write(self, piece: str) -> tuple[int, int]:
        start = self.pos
        self.parts.append(piece)
        self.pos += len(piece)
        return start, self.pos

    def span(self, kind: SpanKind, index: int | None, start: int, end: int) -> None:
        self.spans.append(CharSpan(kind, index, start, end))

    def write_input(self, fmt: str, values: Sequence[str]) -> tuple[int, int]:
        """Write an input format with its field values; return the values' character range."""
        first = last = None
        cursor = 0
        for m in _SLOT.finditer(fmt):
            self.write(fmt[cursor : m.start()])
            start, end = self.write(values[int(m.group(1))])
            first = start if first is None else first
            last = end
            cursor = m.end()
        self.write(fmt[cursor:])
        assert first is not None and last is not None  # checked in Template.__post_init__
        return first, last

    def rendered(self) -> Rendered:
        ordered = sorted(self.spans, key=lambda s: (s.start, -s.end))
        return Rendered("".join(self.parts), tuple(ordered))


def input_values(task: Task, example: Example, strip: bool,
                 template: Template | None = None) -> list[str]:
    """Return an example's input field values in ``task.input_fields`` order, after the
    template's ``input_transform`` (when it has one)."""
    values = []
    for name in task.input_fields:
        if name not in example.fields:
            raise PromptError(
                f"example of task {task.name!r} has no input field {name!r}; "
                f"it has {sorted(example.fields)}"
            )
        value = example.fields[name]
        values.append(value.strip() if strip else value)
    if template is not None and template.input_transform:
        from iclab.prompts.transforms import get_transform

        where = f"task {task.name!r}, example {example.meta.get('where', '?')}"
        values = get_transform(template.input_transform, template.name).apply(values, where)
    return values


def render_prompt(
    task: Task,
    demos: Sequence[Example],
    shown_labels: Sequence[str],
    query: Example,
    template: Template,
    variables: Mapping[str, str] | None = None,
) -> Rendered:
    """Render the prompt text and its character spans.

    Args:
        task: the task (input field order, name for messages and variables).
        demos: demonstrations in prompt order.
        shown_labels: the label written after each demo (after the label setting).
        query: the query example (its label is not written).
        template: the format.
        variables: overrides for template variables (defaults, later ones winning: the
            template's, the task name's (:func:`task_variables`), the query's ``meta``
            ``source_language``/``target_language``, then these).

    Returns:
        The text (up to, not including, the answer) and its character spans.
    """
    if len(shown_labels) != len(demos):
        raise PromptError(f"{len(demos)} demos but {len(shown_labels)} shown labels")
    from_query = {k: str(v) for k, v in query.meta.items() if k in _QUERY_VARIABLES}
    template = template.for_task(task.name)
    merged = {**template.variables, **task_variables(task), **from_query, **(variables or {})}
    fmt = fill_variables(template.input_format(len(task.input_fields), task.name), merged, template)
    w = _Writer()
    if template.instruction:
        start, end = w.write(fill_variables(template.instruction, merged, template))
        w.span("instruction", None, start, end)
    w.write(template.instruction_sep)
    for i, (demo, label) in enumerate(zip(demos, shown_labels)):
        if i:
            w.write(template.demo_sep)
        d_start = w.pos
        w.span("demo_input", i, *w.write_input(fmt, input_values(task, demo, template.strip_demos,
                                                            template)))
        w.write(template.answer_prefix + template.label_lead)
        w.span("demo_label", i, *w.write(label.strip() if template.strip_demos else label))
        w.write(template.demo_suffix)
        w.span("demo", i, d_start, w.pos)
    if demos or template.always_query_sep:
        w.write(template.query_sep)
    q_start = w.pos
    w.write_input(fmt, input_values(task, query, strip=False, template=template))
    w.write(template.answer_prefix)
    w.span("query", None, q_start, w.pos)
    return w.rendered()
