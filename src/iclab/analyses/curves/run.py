"""ICL "training curves" under default, random, replacement and flipped labels.

Reproduces and extends Kossen, Gal & Rainforth (ICLR 2024), "In-Context Learning Learns Label
Relationships but Is Not Conventional Learning". For each repeat r the demonstrations are drawn
i.i.d. with replacement (``np.random.default_rng(200 + r)``, the paper's default; class-balanced
optional), one ``label-relationships`` prompt is built per setting (all settings of a repeat share
the same examples and order), and ONE teacher-forced pass reads, at every demonstration's label
position, the distribution over the K label words (first token of each, renormalised over the
K labels). Position i predicts demo i from demos 0..i-1; i = 0 is zero-shot.

Metrics per position: log-likelihood of the target, accuracy, entropy (nats) and, as an
extension the paper could not log, the probability mass the full vocabulary puts on the K label
tokens. Aggregation: mean over repeats with 95 % bootstrap CIs per position, optional moving
average (trailing, or the paper's ``np.convolve(..., mode='valid')``), and paired differences
between settings (same examples per repeat) with CIs. Optionally the query itself is scored,
uncalibrated and with the paper's calibration (:mod:`iclab.engine.query_labels`).

Beyond the label settings of :mod:`iclab.prompts.settings`, a curve setting may start with
``off-by-one`` (``off-by-one`` alone: gold labels; ``off-by-one+random``: then a setting): the
paper's ``inputs_off_by_one`` (:func:`iclab.prompts.labelrel.inputs_off_by_one`). ``predicted``
shows the model's zero-shot prediction for each demo's input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from iclab.data.types import Task
from iclab.errors import IclabError
from iclab.metrics.stats import bootstrap_mean
from iclab.prompts import build_prompt, sample_balanced, sample_iid
from iclab.prompts.labelrel import compose_instruction, inputs_off_by_one
from iclab.prompts.settings import label_words, parse_setting
from iclab.prompts.templates import get_template
from iclab.prompts.types import Prompt
from iclab.analyses.curves.config import PAPER_RUNS, CurvesConfig  # noqa: F401  re-exported
from iclab.analyses.curves.metrics import Predictor, moving_average, position_metrics  # noqa: F401

OFF_BY_ONE = "off-by-one"

METRICS = ("loglik", "accuracy", "entropy")
SETTING_ALIASES = {"default": "gold", "random": "random-empirical"}


def resolve_setting(name: str, n_demos: int, flip_at: int | None = None) -> str:
    """Map a curve setting name to a label-setting spec.

    ``default`` → gold labels; ``random`` → labels of uniformly drawn training examples (the
    paper's random labels); ``flip`` / ``flip-f2d`` → a flip at ``flip_at`` (default half-way,
    F = N // 2) in the D→F / F→D direction; ``random:S`` → random labels on demos 0..S-1
    only; ``off-by-one[+NAME]`` → NAME's spec (default gold), the inputs being shifted by
    :func:`repeat_prompts`; anything else is passed on (``replacement:rating_1``,
    ``flip-after:20``, ``flip-every:10``, ``replace-by:?:20``, ``predicted``, ...).
    """
    f = n_demos // 2 if flip_at is None else flip_at
    if name == OFF_BY_ONE:
        return "gold"
    if name.startswith(OFF_BY_ONE + "+"):
        return resolve_setting(name[len(OFF_BY_ONE) + 1:], n_demos, flip_at)
    if name.startswith("random:"):
        return "random-empirical:" + name.split(":", 1)[1]
    if name in SETTING_ALIASES:
        return SETTING_ALIASES[name]
    if name == "flip":
        return f"flip-after:{f}"
    if name == "flip-f2d":
        return f"flip-after:{f}:f2d"
    return name


def repeat_prompts(task: Task, tokenizer: Any, cfg: CurvesConfig, repeat: int,
                   max_length: int | None, predict: Predictor | None = None
                   ) -> dict[str, Prompt]:
    """Build repeat ``repeat``'s prompt for every setting, sharing examples and order.

    ``predict`` gives the model's predicted class of demos (needed by ``predicted``); under
    ``off-by-one`` a demo keeps the label (or prediction) of its own example while showing the
    next example's input, as in the paper.
    """
    pool, test = task.split("train"), task.split("test")
    label_draws = None
    if cfg.sampling == "iid":
        draw = sample_iid(len(pool), cfg.shots, repeat, test_size=len(test), n_test=1)
        demos = [pool[i] for i in draw.demo_indices]
        query = test[draw.test_indices[0]]
        if cfg.random_stream == "continue":
            label_draws = draw.label_draws(len(pool), 1)[0]
    else:
        demos = list(sample_balanced(pool, cfg.shots, 200 + repeat, task.labels))
        query = test[int(np.random.default_rng(200 + repeat).integers(len(test)))]
    out = {}
    for name in cfg.settings:
        spec = resolve_setting(name, cfg.shots, cfg.flip_at)
        setting = parse_setting(spec)
        shown = inputs_off_by_one(demos) if name.startswith(OFF_BY_ONE) else list(demos)
        draws = None
        if setting.kind == "random-empirical" and label_draws is not None:
            needed = len(shown) if setting.until is None else min(setting.until, len(shown))
            draws = label_draws[:needed]  # the paper draws only for the demos it replaces
        predicted = None
        if setting.kind == "predicted":
            if predict is None:
                raise IclabError(f"curve setting {name!r} needs the model's predictions")
            predicted = predict(demos)[:len(shown)]
        instruction = compose_instruction(task.name, cfg.task_instruction, cfg.instruction,
                                          label_words(setting, task))
        template = get_template(cfg.template)
        if instruction:
            template = template.with_instruction(instruction, "\n")
        out[name] = build_prompt(task, shown, query, template, setting, tokenizer, seed=repeat,
                                 pool=pool, pool_draws=draws, predicted=predicted,
                                 max_length=max_length,
                                 meta={"repeat": repeat, "curve_setting": name})
    return out


@dataclass
class CurvesResult:
    """Per-setting arrays of shape (repeats, positions) for each metric, plus the rows."""

    config: CurvesConfig
    task: str
    model: str
    n_labels: int
    values: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    flip_points: dict[str, int] = field(default_factory=dict)
    query: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One row per (setting, repeat, position) with every metric; under 'valid' smoothing
        ``position`` is the window's first position and ``window_end`` its last."""
        out = []
        w = self.config.smooth if self.config.smooth_mode == "valid" else 1
        for setting, metrics in self.values.items():
            n_rep, n_pos = next(iter(metrics.values())).shape
            for r in range(n_rep):
                for i in range(n_pos):
                    row: dict[str, Any] = {"setting": setting, "repeat": r, "position": i}
                    if w > 1:
                        row["window_end"] = i + w - 1
                    row.update({m: float(v[r, i]) for m, v in metrics.items()})
                    out.append(row)
        return out

    def query_rows(self) -> list[dict[str, Any]]:
        """One row per (setting, repeat): the query's metrics, uncalibrated and calibrated."""
        return [{"setting": s, "repeat": r, **{m: float(v[r]) for m, v in metrics.items()}}
                for s, metrics in self.query.items()
                for r in range(len(next(iter(metrics.values()))))]


def run_curves(engine: Any, task: Task, cfg: CurvesConfig, model_name: str = "",
               progress: Callable[[int], None] | None = None) -> CurvesResult:
    """Compute the curves of every setting: one engine pass per repeat and setting.

    Args:
        engine: an :class:`iclab.engine.Engine`.
        task: a classification task with ``train`` and ``test`` splits.
        cfg: the run configuration.
        model_name: recorded in the result.
        progress: called with the number of prompts finished.
    """
    if task.kind != "classification":
        raise IclabError(f"curves need a classification task; {task.name!r} is {task.kind}")
    from iclab.analyses.curves.model import query_metrics, zero_shot_predictor

    predict = zero_shot_predictor(engine, task, cfg.template)
    prompts: dict[str, list[Prompt]] = {s: [] for s in cfg.settings}
    for r in range(cfg.repeats):
        for name, prompt in repeat_prompts(task, engine.tokenizer, cfg, r, engine.max_length,
                                           predict).items():
            prompts[name].append(prompt)
    result = CurvesResult(cfg, task.name, model_name, len(task.labels))
    for name, plist in prompts.items():
        scores = engine.curves(plist, progress=progress)
        per = [position_metrics(np.asarray(s.logprobs), s.targets) for s in scores]
        metrics = {m: np.stack([p[m] for p in per]) for m in METRICS}
        if cfg.label_mass:
            metrics["label_mass"] = np.asarray(engine.curve_label_mass(plist))
        result.values[name] = {m: moving_average(v, cfg.smooth, cfg.smooth_mode)
                               for m, v in metrics.items()}
        if cfg.query:
            result.query[name] = query_metrics(engine, task, plist)
        spec = resolve_setting(name, cfg.shots, cfg.flip_at)
        if spec.startswith("flip-after:"):
            result.flip_points[name] = int(spec.split(":")[1])
    return result


def summarize(result: CurvesResult, level: float = 0.95) -> dict[str, Any]:
    """Per-position means with bootstrap CIs, the final-position summary, the query's metrics
    (when scored) and paired gaps (between settings with as many positions: not off-by-one)."""
    w = result.config.final_window
    settings: dict[str, Any] = {}
    for name, metrics in result.values.items():
        settings[name] = {
            "per_position": {m: [bootstrap_mean(v[:, i], level).as_dict() for i in range(v.shape[1])]
                             for m, v in metrics.items()},
            "final": {m: bootstrap_mean(v[:, -w:].mean(axis=1), level).as_dict()
                      for m, v in metrics.items()},
        }
        if name in result.flip_points:
            settings[name]["flip_at"] = result.flip_points[name]
        if name in result.query:
            settings[name]["query"] = {m: bootstrap_mean(v, level).as_dict()
                                       for m, v in result.query[name].items()}
    gaps = {}
    names = list(result.values)
    for a in names:
        for b in names:
            same = result.values[a]["loglik"].shape == result.values[b]["loglik"].shape
            if a != b and same and (a == "default" or (a, b) == tuple(names[:2])):
                diff = result.values[a]["loglik"] - result.values[b]["loglik"]
                gaps[f"{a}-{b}"] = {
                    "loglik_final": bootstrap_mean(diff[:, -w:].mean(axis=1), level).as_dict(),
                    "loglik_mean_over_positions": bootstrap_mean(diff.mean(axis=1), level).as_dict(),
                }
    return {"task": result.task, "model": result.model, "repeats": result.config.repeats,
            "shots": result.config.shots, "template": result.config.template,
            "settings": settings, "gaps": gaps, "chance_accuracy": 1.0 / result.n_labels,
            "final_window": w, "smooth": result.config.smooth,
            "smooth_mode": result.config.smooth_mode}


def per_position_frame(summary: dict[str, Any], metric: str):  # -> pandas.DataFrame
    """Rows (setting, demos, mean, lo, hi) of one metric, as the curve plots take them."""
    import pandas as pd

    rows = [{"setting": name, "demos": i, **ci}
            for name, s in summary["settings"].items()
            for i, ci in enumerate(s["per_position"][metric])]
    return pd.DataFrame(rows)


def write_outputs(result: CurvesResult, summary: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write per-position rows (JSONL), the summary (JSON) and one plot per metric."""
    from iclab.io import write_json, write_jsonl
    from iclab.analyses.curves.plot import plot_icl_curves

    out = Path(out_dir)
    written = [write_jsonl(out / "rows.jsonl", result.rows()), write_json(out / "summary.json", summary)]
    if result.query:
        written.append(write_jsonl(out / "query.jsonl", result.query_rows()))
    flips = sorted(set(result.flip_points.values()))
    for metric in next(iter(result.values.values())):
        fig = plot_icl_curves(per_position_frame(summary, metric), metric=metric,
                              flip_point=flips[0] if len(flips) == 1 else None,
                              chance=summary["chance_accuracy"] if metric == "accuracy" else None,
                              title=f"{result.task} · {result.model}: {metric}")
        written.append(fig.save(out / f"curves_{metric}.png"))
    return written
