"""Prompt pieces of the label-relationships paper (Kossen, Gal & Rainforth 2024) beyond labels.

- :data:`TASK_INSTRUCTIONS`: each dataset's ``default_prompt_string`` (the paper's
  ``use_default_prompt``), verbatim, typos included: the model's outputs depend on the exact
  text, and these are the strings the paper's instruction runs saw.
- :func:`trigger_flip_instruction`: the paper's ``prompt_string='TRIGGER_FLIP'``, which tells
  the model that every label means the next one.
- :func:`compose_instruction`: the paper's way of joining the two (``"\\n"`` between them); the
  prompt then writes the instruction, ``"\\n"``, and the demonstrations.
- :func:`inputs_off_by_one`: the paper's ``inputs_off_by_one``: demo i pairs the input of demo
  i + 1 with the label of demo i, and the last demo is dropped.
- :data:`CALIBRATION_INPUTS`: the three content-free texts whose label distribution the
  paper's query calibration divides out.
"""

from __future__ import annotations

from typing import Sequence

from iclab.data.types import Example
from iclab.errors import PromptError

TRIGGER_FLIP = "TRIGGER_FLIP"
"""The paper's magic ``prompt_string`` value that expands to :func:`trigger_flip_instruction`."""

TASK_INSTRUCTIONS: dict[str, str] = {
    "lr-sst2": "Is the sentiment of the following sentence `positive` or `negative`. "
               "Respond with `positive` or `negative.",
    "lr-subj": "Is the following sentence `objective` or `subjective`. "
               "Respond with `objective` or `subjective`.",
    "lr-financial_phrasebank": "Is the sentiment of the following sentence `negative`, "
                               "`neutral`, or `positive`. Respond with `negative`, `neutral`, "
                               "or `positive`.",
    "lr-mrpc": "Are Sentence 1 and Sentence 2 equivalent? "
               "Respond with `equivalent` or `not equivalent`.",
    "lr-medical_questions_pairs": "Are Question 1 and Question 2 equivalent? "
                                  "Respond with `equivalent` or `not equivalent`.",
    "lr-rte": "Does Sentence 1 entail Sentence 1? Respond with `entailment` or `not entailment`.",
    "lr-wnli": "Does Sentence 1 entail Sentence 1? Respond with `entailment` or `not entailment`.",
    "lr-hate_speech": "Does the sentence contain hate speech? "
                      "Respond with `hate speech` or `not hate speech`.",
    "lr-ag_news": "To which category does the following news article belong: `world`, `sport`, "
                  "`busines`, or `science and technology`?",
}
"""Task -> the paper's ``default_prompt_string`` for that dataset (current class names)."""

CALIBRATION_INPUTS: tuple[str, ...] = (
    "{answer}: ",
    "{sentence}: 'A neutral sentence.'\n{answer}: ",
    "{sentence}: .'\n{answer}: ",
)
"""The paper's content-free calibration texts (``{sentence}``: the input's field name,
``{answer}``: ``Answer``). Each is tokenized with the model's special tokens; the prior is the
mean over the three of the log-softmax over the label tokens at the last position."""


def trigger_flip_instruction(class_names: Sequence[str]) -> str:
    """The paper's ``TRIGGER_FLIP`` text: ``In the following, `a` means `b` and `b` means `a`.``
    (each class name means the next one, cyclically)."""
    k = len(class_names)
    if k < 2:
        raise PromptError(f"the trigger-flip instruction needs >= 2 class names, got {k}")
    pairs = [f"`{class_names[i]}` means `{class_names[(i + 1) % k]}`" for i in range(k)]
    return "In the following, " + " and ".join(pairs) + "."


def compose_instruction(task_name: str, task_instruction: bool, text: str,
                        class_names: Sequence[str]) -> str:
    """The paper's prompt string: the task's instruction (when ``task_instruction``), then
    ``"\\n"`` and ``text`` (``TRIGGER_FLIP`` expands with ``class_names``); ``""`` for none.

    Raises:
        PromptError: ``task_instruction`` for a task without one in :data:`TASK_INSTRUCTIONS`.
    """
    prompt = ""
    if task_instruction:
        if task_name not in TASK_INSTRUCTIONS:
            raise PromptError(f"task {task_name!r} has no label-relationships instruction; "
                              f"tasks with one: {sorted(TASK_INSTRUCTIONS)}")
        prompt = TASK_INSTRUCTIONS[task_name]
    if text == TRIGGER_FLIP:
        text = trigger_flip_instruction(class_names)
    if text:
        prompt = f"{prompt}\n{text}" if prompt else text
    return prompt


def inputs_off_by_one(demos: Sequence[Example]) -> list[Example]:
    """Demo i becomes (input of demo i + 1, label of demo i); N demos give N - 1.

    Raises:
        PromptError: fewer than two demos.
    """
    if len(demos) < 2:
        raise PromptError(f"inputs off by one needs at least 2 demos, got {len(demos)}")
    return [Example(dict(demos[i + 1].fields), demos[i].label, dict(demos[i + 1].meta))
            for i in range(len(demos) - 1)]


def calibration_texts(field_name: str, answer: str = "Answer") -> tuple[str, ...]:
    """:data:`CALIBRATION_INPUTS` filled in for an input field called ``field_name``."""
    return tuple(t.format(sentence=field_name, answer=answer) for t in CALIBRATION_INPUTS)
