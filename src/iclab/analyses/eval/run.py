"""``iclab eval`` as a library: k-shot accuracy of one model on one task over seeds, cached.

For each seed, :func:`iclab.prompts.build_prompts` builds every query's prompt with that seed's
demonstrations; the engine scores them (``rank``: the choice with the highest log-prob under
``mode``; ``generate``: greedy output, first non-empty line (minus the template's answer phrase, see
:mod:`iclab.prompts.parse`), exact match with the label word).
Per-prompt records go through a cache in the result store (:mod:`iclab.runs.eval_cache`), so an
interrupted run resumes where it stopped and a re-run loads no model at all.
"""

from __future__ import annotations

import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from iclab import __version__
from iclab.engine import ENGINE_VERSION, Engine, EngineError
from iclab.runs.eval_cache import ResultCache, cache_key, prompt_hash
from iclab.io import write_json, write_jsonl
from iclab.prompts.parse import parse_answer
from iclab.prompts.types import Prompt

from iclab.analyses.eval.config import EvalConfig, Scoring  # noqa: E402,F401  (re-exported)


def model_identity(spec: str, device: str | None, dtype: str | None) -> dict[str, Any]:
    """Name, revision and dtype of a model spec, without loading the model."""
    from iclab.models.loader import model_source, resolve_device, resolve_dtype
    from iclab.models.spec import parse_spec

    _, revision, name = model_source(parse_spec(spec))
    dt = str(resolve_dtype(dtype, resolve_device(device))).removeprefix("torch.")
    rev = f"@{revision}" if revision else ""
    return {"name": name, "revision": revision, "dtype": dt, "key": f"{name}{rev}:{dt}"}


def sample_record(cfg: EvalConfig, seed: int, prompt: Prompt, result: Any) -> dict[str, Any]:
    """One per-sample record (prediction, target, correct, ...) from an engine result."""
    meta = dict(prompt.meta)
    words = prompt.label_words
    target = prompt.target
    base = {"seed": seed, "query_index": meta.get("query_index"), "prompt_hash": prompt_hash(prompt),
            "n_prompt_tokens": len(prompt.input_ids)}
    if cfg.scoring == "rank":
        gold = words[target] if isinstance(target, int) and words else target
        return {**base, "label_logprobs": dict(zip(words, result.logprobs)),
                "prediction": words[result.prediction], "target": gold,
                "correct": bool(result.correct)}
    gold = words[target] if isinstance(target, int) and words else str(target)
    pred = parse_answer(result.text, str(meta.get("answer_phrase", "")))
    return {**base, "generation": result.text, "prediction": pred, "target": gold,
            "correct": pred == gold,
            "top5_per_step": [[[t.text, t.logprob] for t in step] for step in result.top_k]}


def content_free_prompts(cfg: EvalConfig, seed: int, task: Any, tokenizer: Any,
                         max_length: int | None) -> list[Prompt]:
    """The seed's demonstrations with a content-free query (``N/A``, ``""``, ``[MASK]``)."""
    from iclab.data.types import Example
    from iclab.engine import CONTENT_FREE_INPUTS
    from iclab.prompts import build_prompt
    from iclab.prompts.build import select_queries

    qs = select_queries(task, cfg.shots, seed, limit=cfg.limit)
    pool = task.splits.get("train", ())
    out = []
    for text in CONTENT_FREE_INPUTS:
        query = Example({name: text for name in task.input_fields}, task.labels[0])
        out.append(build_prompt(task, qs.demos, query, cfg.template, cfg.labels, tokenizer,
                                seed=seed, pool=pool, max_length=max_length))
    return out


def score_prompts(engine: Engine, cfg: EvalConfig, prompts: Sequence[Prompt],
                  content_free: Sequence[Prompt] | None) -> list[Any]:
    """Score prompts as ``cfg`` says: label ranking (optionally calibrated with the
    ``content_free`` prompts) or greedy generation cut at the first non-empty line."""
    if cfg.scoring == "rank":
        return engine.score(prompts, mode=cfg.mode,  # type: ignore[arg-type]
                            content_free=content_free)
    return engine.generate(prompts, max_new_tokens=cfg.max_new_tokens, stop=("\n",), top_k=5,
                           skip_leading_whitespace=True)


@dataclass
class SeedRun:
    """What :func:`seed_records` needs besides the config and seed.

    Attributes:
        task: the loaded task.
        tokenizer: the model's tokenizer (prompts are built before any model loads).
        engine: returns the engine; called only when a record must be computed.
        model_key: the model's identity in cache keys (:func:`model_identity`).
        max_length: the context window (None: unknown).
        cache: per-prompt records already computed; None computes every prompt.
        progress: called with the number of prompts finished.
        stats: counts of ``cached`` and ``computed`` prompts, updated in place.
    """

    task: Any
    tokenizer: Any
    engine: Callable[[], Engine]
    model_key: str
    max_length: int | None = None
    cache: ResultCache | None = None
    progress: Callable[[int], None] | None = None
    stats: dict[str, int] = field(default_factory=lambda: {"cached": 0, "computed": 0})


def seed_records(cfg: EvalConfig, seed: int, run: SeedRun) -> list[dict[str, Any]]:
    """Per-sample records of one seed (``iclab eval`` and the sweep's ``eval`` cells alike):
    cached ones read back, the rest computed chunk by chunk (calibrated when ``cfg`` says)."""
    from iclab.prompts import build_prompts

    prompts = build_prompts(run.task, run.tokenizer, shots=cfg.shots, seed=seed,
                            template=cfg.template, setting=cfg.labels, limit=cfg.limit,
                            max_length=run.max_length)
    if not prompts:
        raise EngineError(f"task {cfg.task!r} gives no test queries (empty query set)")
    if cfg.scoring == "rank":  # before any model loads: choices that always tie
        check_choices(run.tokenizer, prompts, cfg.mode)
    keys = [cache_key(run.model_key, prompt_hash(p), cfg.scoring_key, ENGINE_VERSION)
            for p in prompts]
    found = {k: run.cache.get(k) for k in keys} if run.cache is not None else {}
    missing = [i for i, k in enumerate(keys) if found.get(k) is None]
    run.stats["cached"] += len(prompts) - len(missing)
    if run.progress is not None:
        run.progress(len(prompts) - len(missing))
    cf = None
    if cfg.calibrate and missing:
        cf = content_free_prompts(cfg, seed, run.task, run.tokenizer, run.max_length)
    for start in range(0, len(missing), cfg.chunk):
        idx = missing[start:start + cfg.chunk]
        results = score_prompts(run.engine(), cfg, [prompts[i] for i in idx], cf)
        new = [(keys[i], sample_record(cfg, seed, prompts[i], r)) for i, r in zip(idx, results)]
        if run.cache is not None:
            run.cache.add(new)
        found.update(new)
        run.stats["computed"] += len(idx)
        if run.progress is not None:
            run.progress(len(idx))
    return [found[k] for k in keys]  # type: ignore[misc]


def check_choices(tokenizer: Any, prompts: Sequence[Prompt], mode: Any) -> None:
    """Raise :class:`EngineError` when two of a prompt's choices score the same tokens under
    ``mode`` (each distinct set of choices is checked once)."""
    from iclab.engine import check_distinct_choices, encode_continuation, scored_tokens

    for choices in {tuple(p.choices) for p in prompts}:
        scored = [scored_tokens(tokenizer, encode_continuation(tokenizer, c), mode)
                  for c in choices]
        check_distinct_choices(tokenizer, choices, scored, mode)


def _max_len(tokenizer: Any, engine: Engine | None) -> int | None:
    """The context window: from a loaded engine, else the tokenizer's model_max_length."""
    if engine is not None:
        return engine.max_length
    value = getattr(tokenizer, "model_max_length", None)
    return int(value) if value and value < 10**8 else None


def run_eval(cfg: EvalConfig, out: str | Path, cache_dir: str | Path | None = None,
             progress: Callable[[int], None] | None = None,
             on_total: Callable[[int], None] | None = None,
             engine: Engine | None = None) -> dict[str, Any]:
    """Evaluate, write ``samples.jsonl`` and ``summary.json`` under ``out``; return the summary.

    Args:
        cfg: the run configuration.
        out: output directory.
        cache_dir: where the cache file lives (default ``out/cache``).
        progress: called with the number of queries finished.
        on_total: called once per seed with its number of queries (to size a progress bar).
        engine: an engine already holding ``cfg.model`` (sweeps reuse one per checkpoint);
            loaded on the first cache miss when None.
    """
    from iclab.data import load_task
    from iclab.models import load_tokenizer
    from iclab.runs.context import Context
    from iclab.runs.store import check_output_dir

    check_output_dir(out)  # before any work: an output path that is a file fails now
    if cache_dir is not None:
        check_output_dir(cache_dir)
    t0 = time.time()
    ident = model_identity(cfg.model, cfg.device, cfg.dtype)
    task = load_task(cfg.task)
    tokenizer = engine.tokenizer if engine is not None else load_tokenizer(cfg.model)
    ctx = Context(device=cfg.device)  # loads the model on the first cache miss, once
    cache = ResultCache(Path(cache_dir or Path(out) / "cache"))
    run = SeedRun(task, tokenizer, (lambda: engine) if engine is not None else
                  (lambda: ctx.engine(cfg.model, None, cfg.dtype)), ident["key"],
                  _max_len(tokenizer, engine), cache, progress)
    records: list[dict[str, Any]] = []
    try:
        for seed in cfg.seeds:
            if on_total is not None:
                on_total(min(cfg.limit or 10**9, len(task.split("test"))))
            records += seed_records(cfg, seed, run)
    finally:
        cache.close()
    summary = _summary(cfg, ident, records, run.stats, time.time() - t0)
    write_jsonl(Path(out) / "samples.jsonl", records)
    write_json(Path(out) / "summary.json", summary)
    return summary


def _summary(cfg: EvalConfig, ident: dict[str, Any], records: list[dict[str, Any]],
             stats: dict[str, int], seconds: float) -> dict[str, Any]:
    """The summary JSON: config, model, versions, accuracy per seed, mean and std."""
    import torch
    import transformers

    per_seed = {}
    for seed in cfg.seeds:
        rows = [r for r in records if r["seed"] == seed]
        per_seed[str(seed)] = {"accuracy": sum(r["correct"] for r in rows) / len(rows),
                               "n": len(rows)}
    accs = [v["accuracy"] for v in per_seed.values()]
    return {
        "accuracy": statistics.fmean(accs),
        "accuracy_std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
        "accuracy_per_seed": per_seed,
        "n": len(records),
        "model": ident["name"],
        "model_revision": ident["revision"],
        "model_key": ident["key"],
        "task": cfg.task,
        "config": {**asdict(cfg), "seeds": list(cfg.seeds)},
        "versions": {"iclab": __version__, "engine": ENGINE_VERSION, "torch": torch.__version__,
                     "transformers": transformers.__version__, "python": platform.python_version()},
        "cache": stats,
        "seconds": round(seconds, 3),
    }
