"""The model passes of the curves analysis beyond the teacher-forced curve itself.

- :func:`zero_shot_predictor`: the model's own label for a demo (the ``predicted`` setting;
  the paper's ``use_model_preds_as_labels``, whose ``pred_labels`` the released code never
  fills): its zero-shot prediction, argmax over the first token of each label word after the
  demo's input written as a query, memoised per example as the paper's ``pred_labels[idx]``.
- :func:`query_metrics`: the query's log-likelihood, accuracy and entropy, uncalibrated and with
  the paper's calibration (prior from :data:`iclab.prompts.labelrel.CALIBRATION_INPUTS`).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from iclab.analyses.curves.metrics import Predictor, position_metrics
from iclab.data.types import Example, Task
from iclab.engine import label_tokens, paper_calibrate, paper_prior, query_label_logprobs
from iclab.prompts import build_prompt
from iclab.prompts.labelrel import calibration_texts
from iclab.prompts.render import task_variables
from iclab.prompts.types import Prompt


def zero_shot_predictor(engine: Any, task: Task, template: str) -> Predictor:
    """A :data:`Predictor` giving the model's zero-shot class for each demo (memoised)."""
    cache: dict[int, int] = {}
    keep: list[Example] = []  # keeps memoised examples alive, so their ids stay unique

    def predict(demos: Sequence[Example]) -> list[int]:
        todo = [i for i in dict.fromkeys(id(d) for d in demos) if i not in cache]
        by_id = {id(d): d for d in demos}
        if todo:
            prompts = [build_prompt(task, [], by_id[i], template, "gold", engine.tokenizer,
                                    max_length=engine.max_length) for i in todo]
            lp = query_label_logprobs(engine, prompts)
            for i, row in zip(todo, lp):
                cache[i] = int(np.argmax(row))
                keep.append(by_id[i])
        return [cache[id(d)] for d in demos]

    return predict


def calibration_field(task: Task) -> str:
    """The input's name in the calibration texts: ``Sentence`` for one input field, else the
    first field's title (``Sentence 1``, ``Question 1``; the paper's code writes the Python
    list of both titles there, a bug not copied)."""
    if len(task.input_fields) == 1:
        return "Sentence"
    return task_variables(task).get("title1", "Sentence 1")


def query_metrics(engine: Any, task: Task, prompts: Sequence[Prompt]) -> dict[str, np.ndarray]:
    """Per prompt (repeat): the query's ``query_loglik``, ``query_accuracy``,
    ``query_entropy`` and the same with the ``_calibrated`` suffix."""
    lp = query_label_logprobs(engine, prompts)
    targets = [int(p.target) for p in prompts]  # type: ignore[arg-type]
    prior = paper_prior(engine, calibration_texts(calibration_field(task)),
                        label_tokens(engine.tokenizer, prompts[0].choices))
    out = {f"query_{m}": v for m, v in position_metrics(lp, targets).items()}
    calibrated = position_metrics(paper_calibrate(lp, prior), targets)
    out.update({f"query_{m}_calibrated": v for m, v in calibrated.items()})
    return out
