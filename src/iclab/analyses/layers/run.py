"""Where ICL happens: score vs the layer from which the context is masked.

Reproduces and extends Sia, Mueller & Duh (NeurIPS 2024), "Where does In-context Learning
Happen in Large Language Models?". For each mask config (any non-empty subset of instructions,
examples, query), each prompt is swept over L = 0..n_layers with
:func:`iclab.engine.layer_sweep.layer_sweep` (lower layers and the unaffected prefix computed
once per prompt and mask; classification prompts many at a time), and every point is a full
evaluation:

- classification: label ranking by the first text token of each choice at the answer
  position (accuracy);
- translation: greedy decoding (50 new tokens, cut at ``Q:``, stripped) with the mask active at
  every step; corpus BLEU with the ``where-icl`` preset (also standard BLEU and chrF);
- code (HumanEval with MBPP demos): the same decoding, pass@1 in the sandbox of
  :mod:`iclab.metrics.execution`.

``layer`` in every row is the 0-based index of the first masked layer (``n_layers``: nothing is
masked = the baseline). The **task-recognition layer** is the first L whose score reaches
``threshold`` (default 0.95) × the baseline and stays there for every larger L; None when none
does (or the baseline is not positive). Plots number layers from 1, as the paper's figures.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from iclab.data import load_task
from iclab.data.types import Task
from iclab.engine import ContextMask, first_text_token, parse_parts, row_mask
from iclab.errors import IclabError
from iclab.metrics.execution import SandboxConfig, check_program, run_program
from iclab.metrics.translation import translation_scores
from iclab.prompts import build_prompts
from iclab.prompts.templates import get_template
from iclab.prompts.types import Prompt
from iclab.analyses.layers.config import LayersConfig  # noqa: F401  (re-exported)

Progress = Callable[[int], None] | None


def mbpp_pool(task: Task, low: int, high: int) -> Task:
    """``task`` (MBPP) with its ``train`` split cut to task ids ``low..high``."""
    train = tuple(e for e in task.split("train") if low <= int(e.meta["task_id"]) <= high)
    if not train:
        raise IclabError(f"layers: no MBPP demonstrations with task ids {low}..{high}")
    return replace(task, splits={**task.splits, "train": train})


def paper_sink(engine: Any, mask: str) -> int:
    """The paper's attention sink: Llama models keep BOS visible (1), other models nothing (0);
    its "mask everything but the last token" (part ``all``) keeps nothing."""
    if "all" in parse_parts(mask):
        return 0
    return 1 if "llama" in engine.model_type.lower() else 0


def resolve_sink(cfg: LayersConfig, engine: Any, mask: str) -> int:
    """The sink of one mask config: ``cfg.sink``, or the paper's rule when it is None."""
    return paper_sink(engine, mask) if cfg.sink is None else cfg.sink


def pool_split(task: Task, cfg: LayersConfig) -> str:
    """The split demonstrations come from: ``train``; under the paper preset a FLORES task
    loaded with its dev directory uses ``validation`` (dev lines 801 on: the paper's prompt
    split, which its masking runs sample from)."""
    if cfg.preset == "paper" and task.name.startswith("flores-") and "validation" in task.splits:
        return "validation"
    return "train"


def task_metric(task: Task) -> str:
    """``accuracy``, ``bleu`` or ``pass@1`` from the task's kind and name."""
    if task.kind == "classification":
        return "accuracy"
    if task.name in ("humaneval", "mbpp"):
        return "pass@1"
    return "bleu"


def default_template(task: Task) -> str:
    """The paper's preset for its tasks, ``default`` otherwise."""
    metric = task_metric(task)
    if metric == "pass@1":
        return "qa-code"
    if metric == "bleu" and task.name.startswith(("flores", "wmt")):
        return "qa-translation"
    return "default"


def recognition_layer(curve: Sequence[tuple[int, float]], baseline: float,
                      threshold: float = 0.95) -> int | None:
    """First masked layer L whose score is >= threshold × baseline for every layer >= L.

    ``curve`` holds (layer, score) for masked layers (the baseline point excluded); None when
    no layer qualifies or the baseline is not positive.
    """
    if baseline <= 0:
        return None
    found = None
    for layer, score in sorted(curve, reverse=True):
        if score < threshold * baseline:
            break
        found = layer
    return found


def _answer_tokens(engine: Any, prompt: Prompt) -> tuple[tuple[int, ...], list[int]]:
    """Whitespace-only tokens every choice starts with (teacher-forced), and each choice's
    first text token."""
    encoded = [engine.encode_choice(c) for c in prompt.choices]
    idx = [first_text_token(engine.tokenizer, ids) for ids in encoded]
    leads = {ids[:i] for ids, i in zip(encoded, idx)}
    firsts = [ids[i] for ids, i in zip(encoded, idx)]
    if len(leads) != 1 or len(set(firsts)) != len(firsts):
        raise IclabError("layers: label ranking needs choices with the same leading whitespace "
                         "and distinct first text tokens")
    return leads.pop(), firsts


def _score_outputs(metric: str, outputs: Sequence[Any], prompts: Sequence[Prompt],
                   task: Task, cfg: LayersConfig) -> dict[str, float]:
    """The metric (and extras) of one layer's outputs over all prompts."""
    if metric == "accuracy":
        return {"score": sum(outputs) / len(outputs)}
    if metric == "bleu":
        return translation_scores(outputs, [str(p.target) for p in prompts])
    test = task.split("test")
    sandbox = SandboxConfig(timeout=cfg.exec_timeout)
    passed = []
    for text, p in zip(outputs, prompts):
        meta = test[int(dict(p.meta)["query_index"])].meta
        program = check_program(text, meta["tests"], meta["entry_point"])
        passed.append(run_program(program, sandbox).passed)
    return {"score": sum(passed) / len(passed)}


def sweep_mask(engine: Any, prompts: Sequence[Prompt], task: Task, mask: str,
               cfg: LayersConfig, progress: Progress = None) -> dict[int, dict[str, float]]:
    """Per first-masked layer (0..n_layers), the metric over all prompts for one mask.

    Classification prompts sweep many at a time (right-padded rows, batches within the
    engine's ``BatchLimits``: ``rows`` rows and ``cache_tokens`` padded tokens), so each
    point runs every prompt of a batch in one forward; generation runs
    :meth:`iclab.engine.Engine.generate_sweep` (the points of many prompts decoded together,
    the mask active at every step).
    """
    metric = task_metric(task)
    outs: dict[int, list[Any]] = {}
    sink = resolve_sink(cfg, engine, mask)
    masks = [row_mask(p, mask, rows=cfg.row_scope) for p in prompts]  # type: ignore[arg-type]
    if metric == "accuracy":
        answers = [_answer_tokens(engine, p) for p in prompts]
        seqs = [list(p.input_ids) + list(lead) for p, (lead, _) in zip(prompts, answers)]
        cmask = ContextMask(0, tuple(masks), sink, cfg.self_visible)  # type: ignore[arg-type]
        ranked = engine.rank_sweep(seqs, [firsts for _, firsts in answers], cmask, progress)
        for layer, picks in ranked.items():
            outs[layer] = [float(pick == p.target) for pick, p in zip(picks, prompts)]
    else:  # every prompt x layer point decoded by the engine, many at once
        cmask = ContextMask(0, tuple(masks), sink, cfg.self_visible)  # type: ignore[arg-type]
        gens = engine.generate_sweep(prompts, cmask, max_new_tokens=cfg.max_new_tokens,
                                     stop=cfg.stop, progress=progress)
        for per_layer in gens:
            for layer, g in per_layer.items():
                outs.setdefault(layer, []).append(g.text.strip())
    return {layer: _score_outputs(metric, o, prompts, task, cfg)
            for layer, o in sorted(outs.items())}


def _demo_task(name: str | None, cfg: LayersConfig) -> Task | None:
    """The task demonstrations come from (MBPP cut to ``cfg.mbpp_pool``)."""
    if not name:
        return None
    demo = load_task(name)
    return mbpp_pool(demo, *cfg.mbpp_pool) if name == "mbpp" else demo


def run_layers(engine: Any, task: Task, cfg: LayersConfig, model_name: str,
               progress: Progress = None) -> list[dict[str, Any]]:
    """All rows of a layers run: one per (mask, layer), with baseline and recognition layer."""
    template = cfg.template or default_template(task)
    built = get_template(template)
    if cfg.instruction:
        built = built.with_instruction(cfg.instruction)
    metric = task_metric(task)
    demo_name = cfg.demo_task or ("mbpp" if task.name == "humaneval" else None)
    prompts = build_prompts(
        task, engine.tokenizer, shots=cfg.shots, seed=cfg.seed, template=built, limit=cfg.n,
        pool_split=pool_split(task, cfg),
        sampling=cfg.sampling or ("fixed" if metric == "accuracy" else "choice"),  # type: ignore[arg-type]
        demo_task=_demo_task(demo_name, cfg),
        max_length=engine.max_length, reserve=cfg.max_new_tokens)
    n_layers = engine.n_layers
    rows = []
    for mask in cfg.masks:
        scores = sweep_mask(engine, prompts, task, mask, cfg, progress)
        baseline = scores[n_layers]["score"]
        curve = [(layer, s["score"]) for layer, s in scores.items() if layer < n_layers]
        rec = recognition_layer(curve, baseline, cfg.threshold)
        for layer, s in scores.items():
            rows.append({"model": model_name, "task": task.name, "template": template,
                         "mask": ",".join(parse_parts(mask)), "layer": layer,
                         "metric": metric, "baseline": baseline, "recognition_layer": rec,
                         "n_layers": n_layers, "shots": cfg.shots, "seed": cfg.seed,
                         "n": len(prompts), "row_scope": cfg.row_scope,
                         "sink": resolve_sink(cfg, engine, mask),
                         "self_visible": cfg.self_visible, "preset": cfg.preset,
                         "threshold": cfg.threshold, **s})
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One summary per mask; the top level repeats the first mask's (the CLI contract)."""
    masks: dict[str, Any] = {}
    for r in rows:
        m = masks.setdefault(r["mask"], {"baseline": r["baseline"], "curve": [],
                                         "recognition_layer": r["recognition_layer"]})
        if r["layer"] < r["n_layers"]:
            m["curve"].append({"layer": r["layer"], "score": r["score"]})
    first = next(iter(masks.values()))
    head = rows[0]
    return {"model": head["model"], "task": head["task"], "metric": head["metric"],
            "n_layers": head["n_layers"], "n": head["n"], "shots": head["shots"], "seed": head["seed"],
            "layer_convention": "layer = 0-based first masked layer; plots show layer + 1",
            "baseline": first["baseline"], "curve": first["curve"],
            "recognition_layer": first["recognition_layer"], "masks": masks}


def plot(summary: dict[str, Any], path: Path) -> Path:
    """Score vs first masked layer (numbered from 1), baseline line, recognition layers
    (:func:`iclab.analyses.layers.plot.plot_masking_curves`), written to ``path``."""
    import pandas as pd

    from iclab.analyses.layers.plot import plot_masking_curves

    frame = pd.DataFrame([{"mask": mask, "layer": p["layer"], "score": p["score"]}
                          for mask, m in summary["masks"].items() for p in m["curve"]])
    fig = plot_masking_curves(
        frame, baseline=summary["baseline"], metric=summary["metric"],
        recognition_layer={mask: m["recognition_layer"] for mask, m in summary["masks"].items()},
        title=f"{summary['model']} · {summary['task']} (shots={summary['shots']}, "
              f"n={summary['n']})")
    return fig.save(path)


def write_outputs(rows: Sequence[dict[str, Any]], summary: dict[str, Any], cfg: LayersConfig,
                  out: str | Path) -> list[Path]:
    """rows.jsonl, summary.json (with the config) and layers.png under ``out`` (atomic writes)."""
    from iclab.io import write_json, write_jsonl

    out = Path(out)
    rows_path = write_jsonl(out / "rows.jsonl", rows)
    summary_path = write_json(out / "summary.json", {**summary, "config": asdict(cfg)})
    return [rows_path, summary_path, plot(summary, out / "layers.png")]
