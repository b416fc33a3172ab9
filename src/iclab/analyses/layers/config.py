"""The layers config: the one place its defaults live (the CLI's options and the sweep cell take
theirs from here). Imports nothing heavy, so ``iclab --help`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iclab.errors import IclabError


@dataclass(frozen=True)
class LayersConfig:
    """What one layers run computes.

    Attributes:
        masks: mask configs, each a comma-separated subset of instructions/examples/query.
        shots: demonstrations per prompt (the same for every query of a seed).
        seed: demonstration-sampling seed.
        n: number of test queries (the first n of the test split's capped order).
        template: prompt preset; None picks ``qa-translation`` (translation), ``qa-code``
            (HumanEval) or ``default``.
        instruction: an instruction line added to the template (needed to mask
            ``instructions`` with templates that have none, e.g. ``default``).
        sampling: demo sampling; None picks ``choice`` (the where-ICL seeded sample) for
            translation and code, ``fixed`` otherwise.
        demo_task: task the demos come from; None picks ``mbpp`` for HumanEval (the paper's
            setup), the task itself otherwise.
        mbpp_pool: MBPP task ids the demos are drawn from (iclab: the standard train split,
            601-974; the paper's ``prepare-codegen.sh``: lines 801-974).
        row_scope: which rows are restricted: ``query`` (query and generated tokens) or
            ``all`` (the paper's code).
        sink: leading tokens kept visible; None: the paper's rule (:func:`paper_sink`: BOS for
            Llama models, none otherwise and none for the ``all`` mask).
        self_visible: ``always`` (a position always sees itself) or ``when-empty`` (the
            paper's code, minus its fully masked rows; :mod:`iclab.engine.masking`).
        preset: ``iclab`` or ``paper`` (set by :meth:`paper`).
        threshold: fraction of the baseline that defines the recognition layer.
        max_new_tokens: generation budget (paper: 50).
        stop: stop strings for generation (paper: ``Q:``).
        exec_timeout: seconds per program for pass@1 (paper: 3).
    """

    masks: tuple[str, ...] = ("examples",)
    shots: int = 5
    seed: int = 0
    n: int = 20
    template: str | None = None
    instruction: str | None = None
    sampling: str | None = None
    demo_task: str | None = None
    row_scope: str = "query"
    sink: int | None = 1
    self_visible: str = "always"
    preset: str = "iclab"
    mbpp_pool: tuple[int, int] = (601, 974)
    threshold: float = 0.95
    max_new_tokens: int = 50
    stop: tuple[str, ...] = ("Q:",)
    exec_timeout: float = 3.0

    def __post_init__(self) -> None:
        from iclab.engine import parse_parts  # checks each mask's part names

        if not self.masks:
            raise IclabError("layers: give at least one mask config")
        for m in self.masks:
            parse_parts(m)
        if self.shots < 0 or self.n < 1:
            raise IclabError(f"layers: need shots >= 0 and n >= 1 (got shots={self.shots}, "
                             f"n={self.n})")
        if not 0 < self.threshold <= 1:
            raise IclabError(f"layers: threshold must be in (0, 1], got {self.threshold}")
        if self.row_scope not in ("query", "all"):
            raise IclabError(f"layers: row_scope must be 'query' or 'all', got "
                             f"{self.row_scope!r}")
        if self.self_visible not in ("always", "when-empty"):
            raise IclabError(f"layers: self_visible must be 'always' or 'when-empty', got "
                             f"{self.self_visible!r}")
        if self.preset not in ("iclab", "paper"):
            raise IclabError(f"layers: preset must be 'iclab' or 'paper', got {self.preset!r}")

    @classmethod
    def paper(cls, **overrides: Any) -> "LayersConfig":
        """The ``paper`` preset (masking as the paper's code): every row masked, the sink only
        for Llama models, a position's own key blocked too (except in a row that would be
        empty), then ``overrides``."""
        return cls(**{"row_scope": "all", "sink": None, "self_visible": "when-empty",
                      "preset": "paper", "mbpp_pool": (801, 974), **overrides})
