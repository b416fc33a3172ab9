"""The TR/TL config: the one place its defaults live (``iclab trtl``'s options and the ``tr-tl``
sweep cell take theirs from here). Imports nothing heavy, so ``iclab --help`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from iclab.analyses.trtl.checkpoints import Checkpoint
from iclab.errors import IclabError
from iclab.metrics.competition import PAPER_ALPHA_AVERAGED, PAPER_ALPHA_PER_TASK
from iclab.models.bundled import DEFAULT_MODEL

SETTING_CURVES = {"gold": "golden", "random": "tr", "abstract": "tl"}
PAPER_SEEDS = (13, 21, 42, 87, 100)
"""The paper's MetaICL seeds (``iclab trtl --seeds 13,21,42,87,100``)."""

DEFAULT_CHECKPOINTS: tuple[Checkpoint, ...] = (
    Checkpoint(DEFAULT_MODEL, 0, DEFAULT_MODEL), Checkpoint("smollm2-135m", 0, "smollm2-135m"))
"""The two bundled models, each its own one-checkpoint series (a CPU-sized comparison)."""

DEFAULT_TASKS: tuple[str, ...] = ("glue-sst2", "financial_phrasebank", "trec", "glue-mrpc")
"""Four of the paper's 16 MetaICL tasks (``iclab trtl --tasks paper``: all 16)."""


@dataclass(frozen=True)
class TrTlConfig:
    """The grid: checkpoints × tasks × seeds × settings. The defaults are sized for a CPU; the
    paper's scale is ``-c paper:pythia-<size>``, ``--tasks paper`` and :data:`PAPER_SEEDS`.

    Attributes:
        checkpoints: the checkpoints, each with its series (model) name and step.
        tasks: task names (the paper's 16 MetaICL sets: ``iclab.data.metaicl.METAICL_TASKS``).
        seeds: MetaICL demo seeds (the paper: 13, 21, 42, 87, 100).
        shots: demonstrations per prompt (the paper: 16).
        scoring: ``generate`` (the paper's exact match of the first line) or ``rank``.
        limit: test queries per task (the paper caps at 1000); None: all.
        max_new_tokens: generation budget (the paper: 256; generation stops at the first
            newline after non-space text, so this only bounds run-away outputs).
        alpha_task / alpha_avg: competition tolerances per task × seed and on averaged curves.
        settings: the label settings (always gold, random and abstract).
        device: torch device (None: CUDA if available).
        dtype: ``float32``/``bfloat16``/``float16`` (None: bf16 on CUDA, fp32 on CPU).
        decimals: None (exact) or 2 (the paper's ``competitive_main.py``: accuracies in %
            and soft intensities rounded to 2 decimals); :meth:`paper`.
        template: prompt preset: ``metaicl-minimal`` (the paper's headline ``minimal``
            format) or ``trtl-natural`` (its ``natural_language`` format: each dataset's own
            template, whose answer phrase generate mode strips; :mod:`iclab.prompts.trtl_formats`).
    """

    checkpoints: tuple[Checkpoint, ...] = DEFAULT_CHECKPOINTS
    tasks: tuple[str, ...] = DEFAULT_TASKS
    seeds: tuple[int, ...] = (13, 21)
    shots: int = 16
    scoring: Literal["generate", "rank"] = "generate"
    limit: int | None = 1000
    max_new_tokens: int = 256
    alpha_task: float = PAPER_ALPHA_PER_TASK
    alpha_avg: float = PAPER_ALPHA_AVERAGED
    settings: tuple[str, ...] = field(default=tuple(SETTING_CURVES))
    device: str | None = None
    dtype: str | None = None
    decimals: int | None = None
    template: str = "metaicl-minimal"

    @classmethod
    def paper(cls, **overrides: Any) -> "TrTlConfig":
        """The ``paper`` preset: competition on accuracies rounded to 2 decimals (the
        ensemble's fixed global weights are :func:`iclab.analyses.trtl.ensemble.fit_weights`'s
        ``paper-fixed`` rule); then ``overrides``."""
        return cls(**{"decimals": 2, **overrides})

    def __post_init__(self) -> None:
        if not self.checkpoints or not self.tasks or not self.seeds:
            raise IclabError("tr-tl needs at least one checkpoint, task and seed")
        if self.scoring not in ("generate", "rank"):
            raise IclabError(f"tr-tl scoring must be 'generate' or 'rank', got {self.scoring!r}")
        if set(self.settings) != set(SETTING_CURVES):
            raise IclabError(f"tr-tl settings must be {sorted(SETTING_CURVES)}, got "
                             f"{self.settings}")
        if self.shots < 0 or (self.limit is not None and self.limit < 1):
            raise IclabError(f"tr-tl needs shots >= 0 and limit >= 1, got shots={self.shots}, "
                             f"limit={self.limit}")
        if self.max_new_tokens < 1:
            raise IclabError(f"tr-tl max_new_tokens must be >= 1, got {self.max_new_tokens}")
        from iclab.prompts.templates import get_template

        get_template(self.template)
