"""Input transforms: what a prompt preset does to the field values before formatting them.

Most presets write field values as they are. The task-recognition paper's natural-language
formats (RUCAIBox/Competitive-ICL ``src/format/input_format.py``) first change the MetaICL input
string, and a preset names the change in :attr:`~iclab.prompts.templates.Template.input_transform`:

- ``strip``: ``value.strip()`` (its ``sentiment1`` format).
- ``lmbff-period``: its ``add_period_for_lmbff(input.rstrip())``: strip trailing whitespace and
  append ``"."`` unless the text already ends in a character of ``string.punctuation``
  (topic, stance and hate-speech formats).
- ``metaicl-pair``: its ``NLIDataset.split_sent``: split MetaICL's
  ``"sentence 1: a [SEP] sentence 2: b"`` at ``"[SEP]"``, remove ``"sentence 1:"`` from the
  first part and ``"sentence 2:"`` from the second (every occurrence, as ``str.replace``), strip
  both: one field becomes two values (NLI and paraphrase formats).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Callable, Sequence

from iclab.errors import PromptError


def add_period(value: str, where: str = "") -> str:
    """The paper's ``add_period_for_lmbff``: ``value.rstrip()`` plus ``"."`` unless it ends in
    punctuation.

    Raises:
        PromptError: the value is empty or only whitespace (the paper's code fails on it too).
    """
    text = value.rstrip()
    if not text:
        raise PromptError(f"{where or 'input'}: empty input; the lmbff-period transform needs "
                          "text to end with a period")
    return text if text[-1] in string.punctuation else text + "."


def split_metaicl_pair(value: str, where: str = "") -> tuple[str, str]:
    """The paper's ``split_sent``: MetaICL's pair string -> (sentence 1, sentence 2).

    Raises:
        PromptError: the value has no ``"[SEP]"``.
    """
    parts = value.split("[SEP]")
    if len(parts) < 2:
        raise PromptError(f"{where or 'input'}: {value[:60]!r} has no '[SEP]'; the metaicl-pair "
                          "transform needs MetaICL's 'sentence 1: a [SEP] sentence 2: b'")
    return (parts[0].replace("sentence 1:", "").strip(),
            parts[1].replace("sentence 2:", "").strip())


@dataclass(frozen=True)
class InputTransform:
    """A named change of the field values.

    Attributes:
        name: registry name (what a template's ``input_transform`` holds).
        apply: (values, where) -> new values.
        n_out: number of values it returns for a given number of inputs (the template's
            ``input_formats`` key); None: as many as it gets.
        n_in: the number of values it accepts; None: any.
    """

    name: str
    apply: Callable[[Sequence[str], str], list[str]]
    n_out: int | None = None
    n_in: int | None = None

    def output_count(self, n_fields: int, template: str = "") -> int:
        """Number of values after the transform, for ``n_fields`` input fields.

        Raises:
            PromptError: the transform does not accept ``n_fields`` fields.
        """
        if self.n_in is not None and n_fields != self.n_in:
            raise PromptError(f"template {template!r}: input transform {self.name!r} takes "
                              f"{self.n_in} input field(s), the task has {n_fields}")
        return n_fields if self.n_out is None else self.n_out


TRANSFORMS: dict[str, InputTransform] = {
    t.name: t for t in (
        InputTransform("strip", lambda values, where: [v.strip() for v in values]),
        InputTransform("lmbff-period", lambda values, where: [add_period(v, where)
                                                              for v in values]),
        InputTransform("metaicl-pair", lambda values, where: list(split_metaicl_pair(
            values[0], where)), n_out=2, n_in=1),
    )
}


def get_transform(name: str, template: str = "") -> InputTransform:
    """The transform called ``name``.

    Raises:
        PromptError: unknown name; the message lists the known ones.
    """
    if name not in TRANSFORMS:
        raise PromptError(f"template {template!r}: unknown input_transform {name!r}; known: "
                          f"{sorted(TRANSFORMS)}")
    return TRANSFORMS[name]


__all__ = ["InputTransform", "TRANSFORMS", "add_period", "get_transform", "split_metaicl_pair"]
