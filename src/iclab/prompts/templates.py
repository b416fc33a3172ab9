"""Prompt templates as data: named presets that reproduce each paper's format exactly.

A prompt is assembled from pieces (see :func:`iclab.prompts.render.render_prompt`)::

    instruction + instruction_sep
    + demo_0 + demo_sep + demo_1 + ... + demo_{k-1} + query_sep   (query_sep: k > 0, or always)
    + query

    demo  = input_format(fields) + answer_prefix + label_lead + label + demo_suffix
    query = input_format(fields) + answer_prefix
    choice = label_lead + label word        (continuations scored after the query)

``instruction_sep`` is written even when the instruction is empty (the where-ICL paper's
no-instruction form starts with ``"\\n"``). ``input_formats`` maps the number of input fields
to a format string whose ``{0}``, ``{1}``... slots are the field values (in ``task.input_fields``
order) and whose named slots (``{title1}``, ``{source_language}``) are template variables.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Mapping

from iclab.errors import PromptError


@dataclass(frozen=True)
class Template:
    """A prompt format.

    Attributes:
        name: registry name, e.g. ``"metaicl-minimal"``.
        description: one line, with the paper it reproduces.
        input_formats: number of input fields -> format string (``{0}`` = first field).
        answer_prefix: written after the input in demos and the query (e.g. ``" \\nAnswer:"``).
        label_lead: written between ``answer_prefix`` and the label; every choice starts with it.
        demo_suffix: written after each demo's label (e.g. the trailing space of the QA presets).
        demo_sep: between consecutive demos.
        query_sep: between the last demo and the query (when k = 0 only if ``always_query_sep``).
        always_query_sep: write ``query_sep`` before the query even with no demos (the
            task-recognition code joins an empty demo string with the query by the separator).
        instruction: text before everything (may use variables); empty for none.
        instruction_sep: written after the instruction, even when the instruction is empty.
        strip_demos: strip whitespace around demo inputs and labels (the where-ICL code does).
        variables: default values of named slots, overridable per task or per call.
        input_transform: a change of the field values before formatting (a name in
            :data:`iclab.prompts.transforms.TRANSFORMS`, e.g. ``lmbff-period``); ``input_formats``
            is then keyed by the number of values it returns. Empty: values as they are.
        answer_phrase: text the generate-mode parser removes from the first non-empty output
            line before comparing it with the label (the task-recognition paper's natural
            formats: ``"The sentiment is"``); empty: the line is compared as it is.
        per_task: a dispatch preset: task name -> the preset that task is rendered with
            (:meth:`for_task`); its own ``input_formats`` are never rendered.
    """

    name: str
    description: str
    input_formats: Mapping[int, str]
    answer_prefix: str = ""
    label_lead: str = ""
    demo_suffix: str = ""
    demo_sep: str = "\n\n"
    query_sep: str = "\n\n"
    always_query_sep: bool = False
    instruction: str = ""
    instruction_sep: str = ""
    strip_demos: bool = False
    variables: Mapping[str, str] = field(default_factory=dict)
    input_transform: str = ""
    answer_phrase: str = ""
    per_task: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.input_transform:
            from iclab.prompts.transforms import get_transform

            get_transform(self.input_transform, self.name)
        if not self.input_formats:
            raise PromptError(f"template {self.name!r} has no input_formats")
        for n, fmt in self.input_formats.items():
            slots = positional_slots(fmt)
            if slots != list(range(n)):
                raise PromptError(
                    f"template {self.name!r}: input format for {n} field(s) must use the slots "
                    f"{{0}}..{{{n - 1}}} once each in order, got {fmt!r}"
                )

    def input_format(self, n_fields: int, task_name: str = "") -> str:
        """Return the input format for ``n_fields`` input fields (the number of values after
        ``input_transform``), or raise naming what exists."""
        if self.input_transform:
            from iclab.prompts.transforms import get_transform

            n_fields = get_transform(self.input_transform, self.name).output_count(
                n_fields, self.name)
        if n_fields not in self.input_formats:
            raise PromptError(
                f"template {self.name!r} cannot render {n_fields} input field(s)"
                f"{f' of task {task_name!r}' if task_name else ''}; it supports "
                f"{sorted(self.input_formats)} field(s)"
            )
        return self.input_formats[n_fields]

    def for_task(self, task_name: str) -> "Template":
        """The preset to render ``task_name`` with: this one, or for a dispatch preset
        (``per_task``) the one it names for the task.

        Raises:
            PromptError: a dispatch preset has no entry for the task.
        """
        if not self.per_task:
            return self
        if task_name not in self.per_task:
            raise PromptError(f"template {self.name!r} has a format for the tasks "
                              f"{sorted(self.per_task)} only, not {task_name!r}")
        return get_template(self.per_task[task_name])

    def with_instruction(self, instruction: str, sep: str = "\n\n") -> "Template":
        """Return a copy with an instruction line (for the clean ``default`` template)."""
        from dataclasses import replace

        return replace(self, instruction=instruction, instruction_sep=sep)


_SLOT = re.compile(r"\{([^{}]*)\}")


def positional_slots(fmt: str) -> list[int]:
    """Return the positional slot numbers of ``fmt`` in order of appearance."""
    return [int(m.group(1)) for m in _SLOT.finditer(fmt) if m.group(1).isdigit()]


def named_slots(fmt: str) -> list[str]:
    """Return the named (non-positional) slots of ``fmt`` in order of appearance."""
    return [m.group(1) for m in _SLOT.finditer(fmt) if not m.group(1).isdigit()]


def _default_formats(max_fields: int = 4) -> dict[int, str]:
    formats = {1: "Input: {0}"}
    for n in range(2, max_fields + 1):
        formats[n] = "\n".join(f"Input {i + 1}: {{{i}}}" for i in range(n))
    return formats


_IMPLICIT_INSTRUCTION = (
    "Now you need to calculate the answer of some mathematic equations. Here are some examples:"
)


def _where_icl(name: str, description: str, *, answer_prefix: str, instruction_sep: str,
               instruction: str = "", variables: Mapping[str, str] | None = None) -> Template:
    """A Where-ICL paper preset: ``Q:`` inputs, one demo a line ending in a space, demos
    stripped; the presets differ in the answer prefix and the instruction."""
    return Template(
        name=name,
        description=description,
        input_formats={1: "Q:{0}"},
        answer_prefix=answer_prefix,
        demo_suffix=" ",
        demo_sep="\n",
        query_sep="\n",
        instruction=instruction,
        instruction_sep=instruction_sep,
        strip_demos=True,
        variables=dict(variables or {}),
    )


PRESETS: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="default",
            description="Clean user default: 'Input: x' / 'Output: label', demos split by a blank line.",
            input_formats=_default_formats(),
            answer_prefix="\nOutput:",
            label_lead=" ",
        ),
        Template(
            name="metaicl-minimal",
            description="Task-recognition paper (MetaICL --prompt_format minimal): input\\nlabel.",
            input_formats={1: "{0}"},
            label_lead="\n",
            demo_sep="\n\n\n",
            query_sep="\n\n\n",
            always_query_sep=True,
        ),
        Template(
            name="label-relationships",
            description="Label-relationships paper (Kossen et al.): Sentence: '{x}' \\nAnswer: label.",
            input_formats={1: "Sentence: '{0}'", 2: "{title1}: '{0}'\n{title2}: '{1}'"},
            answer_prefix=" \nAnswer:",
            label_lead=" ",
            variables={"title1": "Sentence 1", "title2": "Sentence 2"},
        ),
        _where_icl(
            "qa-translation",
            "Where-ICL paper, translation: 'Translate English to French:\\nQ:{s}A:{t} '.",
            answer_prefix="A:",
            instruction="Translate {source_language} to {target_language}:",
            instruction_sep="\n",
            variables={"source_language": "English", "target_language": "French"},
        ),
        _where_icl(
            "qa-code",
            "Where-ICL paper, code: 'Write a program for the following task:\\n\\nQ:..\\nA:.. '.",
            answer_prefix="\nA:",
            instruction="Write a program for the following task:",
            instruction_sep="\n\n",
        ),
        _where_icl(
            "qa-none",
            "Where-ICL paper, no instructions: '\\nQ:{s}\\nA:{t} \\n...\\nQ:{src}\\nA:'.",
            answer_prefix="\nA:",
            instruction_sep="\n",
        ),
        Template(
            name="implicit-patterns",
            description="ICL-vs-FT paper (Yin et al.): instruction line, demos 'x' + 'y' split by ' \\n '.",
            input_formats={1: "{0}"},
            demo_sep=" \n ",
            query_sep=" \n ",
            instruction="{instruction}",
            instruction_sep=" \n",
            variables={"instruction": _IMPLICIT_INSTRUCTION},
        ),
    )
}


def get_template(name: str | Template) -> Template:
    """Return the preset called ``name`` (a :class:`Template` passes through unchanged).

    Raises:
        PromptError: unknown name; the message lists every preset and the closest match.
    """
    if isinstance(name, Template):
        return name
    if name in PRESETS:
        return PRESETS[name]
    close = difflib.get_close_matches(name, PRESETS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise PromptError(f"unknown template {name!r}{hint}; known templates: {sorted(PRESETS)}")


def register_template(template: Template, *, overwrite: bool = False) -> Template:
    """Add a user template to the registry under ``template.name``."""
    if template.name in PRESETS and not overwrite:
        raise PromptError(f"template {template.name!r} already exists; pass overwrite=True")
    PRESETS[template.name] = template
    return template


def template_names() -> list[str]:
    """Return the registered template names, sorted."""
    return sorted(PRESETS)
