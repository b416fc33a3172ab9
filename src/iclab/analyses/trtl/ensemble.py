"""Adaptive ensemble of several models' label probabilities (task-recognition paper, §ensemble).

Each member m gives, per query, a probability for every label word (for a member run with
abstract symbols, symbol i is mapped back to label i before it gets here). The ensemble score
of a label is ``sum_m w_m * p_m(label)``; the prediction is its argmax.

Weights:
* ``accuracy`` (the paper's rule): ``w_m ∝ max(acc_m − baseline, 0)`` with accuracies measured
  on a dev split. The paper hard-codes accuracies 0.38 and 0.45 and ``baseline = 0.36``
  (→ 0.18, 0.82); we measure accuracies and default ``baseline`` to chance (1 / #labels).
* ``paper-fixed``: the paper's single global pair from those hard-coded numbers, for every task.
* ``loglik``: mixture weights maximising the dev log-likelihood of the gold labels, found by
  EM (the objective is concave in the weights, so EM reaches the optimum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence

import numpy as np

WeightRule = Literal["accuracy", "loglik", "paper-fixed"]

PAPER_ACCURACIES: tuple[float, float] = (0.38, 0.45)
"""The accuracies the paper's ``model-fusion.py`` hard-codes for its TR and TL members."""
PAPER_BASELINE = 0.36
"""Its ``random_guess``; with :data:`PAPER_ACCURACIES` the weights are (0.18, 0.82)."""


def _stack(probs: Sequence[np.ndarray]) -> np.ndarray:
    arr = np.stack([np.asarray(p, dtype=float) for p in probs])  # (M, Q, K)
    if arr.ndim != 3:
        raise ValueError(f"member probabilities must each be (queries, labels); got {arr.shape[1:]}")
    return arr


def accuracy(probs: np.ndarray, gold: Sequence[int]) -> float:
    """Accuracy of argmax predictions of a (queries, labels) probability table."""
    return float(np.mean(np.argmax(probs, axis=-1) == np.asarray(gold)))


def accuracy_weights(accs: Sequence[float], baseline: float) -> np.ndarray:
    """The paper's rule: ``w ∝ max(acc − baseline, 0)``; uniform when every member is at or
    below the baseline (no member is better than chance, so none is preferred)."""
    raw = np.clip(np.asarray(accs, dtype=float) - baseline, 0.0, None)
    if raw.sum() == 0:
        return np.full(len(raw), 1.0 / len(raw))
    return raw / raw.sum()


def loglik_weights(probs: Sequence[np.ndarray], gold: Sequence[int], iters: int = 500,
                   eps: float = 1e-12) -> np.ndarray:
    """Mixture weights that maximise ``sum_q log sum_m w_m p_m(gold_q)`` (EM updates)."""
    arr = _stack(probs)
    p_gold = arr[:, np.arange(arr.shape[1]), np.asarray(gold)] + eps  # (M, Q)
    w = np.full(arr.shape[0], 1.0 / arr.shape[0])
    for _ in range(iters):
        resp = w[:, None] * p_gold
        resp /= resp.sum(axis=0, keepdims=True)
        new = resp.mean(axis=1)
        if np.abs(new - w).max() < 1e-10:
            return new
        w = new
    return w


def fit_weights(dev_probs: Sequence[np.ndarray], dev_gold: Sequence[int],
                rule: WeightRule = "accuracy", baseline: float | None = None) -> np.ndarray:
    """Fit ensemble weights on a dev split with the chosen rule."""
    arr = _stack(dev_probs)
    if rule == "accuracy":
        chance = 1.0 / arr.shape[2] if baseline is None else baseline
        return accuracy_weights([accuracy(p, dev_gold) for p in arr], chance)
    if rule == "loglik":
        return loglik_weights(list(arr), dev_gold)
    if rule == "paper-fixed":  # one global pair for every task, as the paper's script
        if arr.shape[0] != 2:
            raise ValueError("the paper-fixed weights are for two members (TR, TL)")
        return accuracy_weights(PAPER_ACCURACIES, PAPER_BASELINE)
    raise ValueError(f"unknown weight rule {rule!r}; choose 'accuracy', 'loglik' or "
                     f"'paper-fixed'")


def combine(probs: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Weighted sum of member probabilities, (queries, labels)."""
    arr = _stack(probs)
    w = np.asarray(weights, dtype=float)
    if w.shape != (arr.shape[0],):
        raise ValueError(f"need one weight per member ({arr.shape[0]}), got {w.shape}")
    return np.tensordot(w, arr, axes=1)


# --- evaluating an ensemble of models on real tasks -------------------------------------------


@dataclass(frozen=True)
class Member:
    """One ensemble member: a model spec and the label setting its prompts show.

    A TR-strong model is typically run with ``random`` labels and a TL-strong one with
    ``abstract`` symbols; symbol i stands for class i, so its probabilities map back to the
    task's labels by position.
    """

    spec: str
    setting: str = "gold"
    name: str = ""

    @property
    def label(self) -> str:
        """Display name: ``name`` or ``spec (setting)``."""
        return self.name or f"{self.spec} ({self.setting})"


def member_probs(engine: Any, task: Any, demos: Sequence[Any], queries: Sequence[Any],
                 setting: str, seed: int) -> np.ndarray:
    """Label probabilities (queries, labels) of one model on ``metaicl-minimal`` prompts.

    Each label's probability is its full-sequence probability renormalised over the labels
    (label ranking). This fixes the paper's bug, where probabilities were read from the first
    generated step's top-5 and labels with a leading space or several tokens got 0.
    """
    from iclab.prompts import build_prompt

    prompts = [build_prompt(task, demos, q, "metaicl-minimal", setting, engine.tokenizer,
                            seed=seed, max_length=engine.max_length) for q in queries]
    lp = np.array([s.logprobs for s in engine.score(prompts, mode="sum")])  # (Q, K)
    lp -= lp.max(axis=1, keepdims=True)
    p = np.exp(lp)
    return p / p.sum(axis=1, keepdims=True)


def run_ensemble(members: Sequence[Member], tasks: Sequence[str], seeds: Sequence[int],
                 rule: WeightRule = "accuracy", reference: Member | None = None,
                 limit: int | None = 200, shots: int = 16,
                 load_engine: Callable[[str], Any] | None = None, device: str | None = None,
                 dtype: str | None = None) -> dict[str, Any]:
    """Fit weights on each task's dev split and compare the ensemble with its members.

    Per task and seed: demos and dev = MetaICL's train / next-16 split of that seed; test = the
    first ``limit`` test queries. Weights are fitted per task on the dev queries of all seeds.

    Returns:
        ``{"rows": [{task, seed, system, accuracy}], "weights": {task: [...]},
        "table": [{task, <system>: mean accuracy over seeds}]}``.
    """
    from iclab.data import load_task, metaicl_split

    if load_engine is None:
        from iclab.engine import Engine
        from iclab.models import load_model

        def load_engine(spec: str) -> Any:
            return Engine(load_model(spec, device=device, dtype=dtype))

    loaded = {t: load_task(t) for t in tasks}
    splits = {(t, s): metaicl_split(loaded[t], s, shots) for t in tasks for s in seeds}
    tests = {t: loaded[t].split("test")[:limit] for t in tasks}
    gold = {t: [loaded[t].label_index(q.label) for q in tests[t]] for t in tasks}
    dev_gold = {k: [loaded[k[0]].label_index(q.label) for q in v[1]] for k, v in splits.items()}
    probs: dict[str, dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]] = {}
    for m in [*members, *([reference] if reference else [])]:
        engine = load_engine(m.spec)
        probs[m.label] = {
            (t, s): (member_probs(engine, loaded[t], splits[(t, s)][0], splits[(t, s)][1], m.setting, s),
                     member_probs(engine, loaded[t], splits[(t, s)][0], tests[t], m.setting, s))
            for t in tasks for s in seeds}
        del engine
    rows, weights = [], {}
    for t in tasks:
        dev_p = [np.concatenate([probs[m.label][(t, s)][0] for s in seeds]) for m in members]
        w = fit_weights(dev_p, [g for s in seeds for g in dev_gold[(t, s)]], rule)
        weights[t] = w.tolist()
        for s in seeds:
            test_p = [probs[m.label][(t, s)][1] for m in members]
            systems = {m.label: p for m, p in zip(members, test_p)}
            systems["ensemble"] = combine(test_p, w)
            if reference:
                systems[reference.label] = probs[reference.label][(t, s)][1]
            rows += [{"task": t, "seed": s, "system": name, "accuracy": accuracy(p, gold[t])}
                     for name, p in systems.items()]
    table = []
    for t in tasks:
        entry: dict[str, Any] = {"task": t}
        for name in dict.fromkeys(r["system"] for r in rows):
            entry[name] = float(np.mean([r["accuracy"] for r in rows
                                         if r["task"] == t and r["system"] == name]))
        table.append(entry)
    return {"rows": rows, "weights": weights, "rule": rule, "table": table,
            "members": [m.label for m in members],
            "reference": reference.label if reference else None}
