"""The ``curves`` config: the one place its defaults live (``iclab curves``'s options and the
sweep cell take theirs from here). Imports nothing heavy, so ``iclab --help`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iclab.errors import IclabError

PAPER_RUNS: dict[str, tuple[int, int]] = {
    "lr-sst2": (140, 60), "lr-subj": (80, 30), "lr-financial_phrasebank": (80, 30),
    "lr-medical_questions_pairs": (50, 20), "lr-mrpc": (40, 17), "lr-wnli": (60, 20),
    "lr-hate_speech": (80, 20), "lr-rte": (30, 10), "lr-ag_news": (50, 20),
}
"""Task -> (N demonstrations, flip point F) of the paper's LLaMa-2 runs."""

DEFAULT_TASK = "lr-sst2"
"""The task ``iclab curves`` and a sweep cell use when none is given (not a config field: the
library takes a loaded task)."""


@dataclass(frozen=True)
class CurvesConfig:
    """What one curves run computes.

    Attributes:
        settings: curve settings (see :func:`iclab.analyses.curves.run.resolve_setting`).
        repeats: number of repeats r = 0..repeats-1 (rng seed 200 + r).
        shots: demonstrations per prompt (the paper's N).
        template: prompt preset; the paper's is ``label-relationships``.
        sampling: ``iid`` (with replacement, the paper's) or ``balanced``.
        smooth: moving-average window over positions (1: none).
        final_window: the ``final`` summary averages the last this-many positions per repeat.
        label_mass: also compute the full-vocabulary probability mass on the label tokens.
        flip_at: flip point F of ``flip``/``flip-f2d`` (None: N // 2).
        random_stream: ``fresh`` (random labels from ``default_rng(r)``) or ``continue``
            (the paper's: the repeat's generator continues after the demonstration draws).
        preset: ``iclab`` or ``paper`` (:meth:`paper`).
        smooth_mode: ``trailing`` (point i averages positions i-w+1..i, the first w-1 over
            what exists) or ``valid`` (the paper's ``np.convolve(..., mode='valid')``: P-w+1
            points, point j averaging positions j..j+w-1 and plotted at j, as the paper does).
        task_instruction: write the paper's instruction for the task first (its
            ``use_default_prompt``; :data:`iclab.prompts.labelrel.TASK_INSTRUCTIONS`).
        instruction: instruction text after it (its ``prompt_string``); ``TRIGGER_FLIP``
            writes the paper's trigger-flip text for each setting's label words.
        query: also score the query (uncalibrated, and with the paper's calibration).
    """

    settings: tuple[str, ...] = ("default", "random")
    repeats: int = 50
    shots: int = 60
    template: str = "label-relationships"
    sampling: str = "iid"
    smooth: int = 1
    final_window: int = 1
    label_mass: bool = True
    flip_at: int | None = None
    random_stream: str = "fresh"
    preset: str = "iclab"
    smooth_mode: str = "trailing"
    task_instruction: bool = False
    instruction: str = ""
    query: bool = False

    @classmethod
    def paper(cls, task: str | None = None, **overrides: Any) -> "CurvesConfig":
        """The ``paper`` preset: random labels continue the repeat's generator, smoothing is a
        'valid' convolution, the query is scored (calibrated too); for a task of
        :data:`PAPER_RUNS`, its N and flip point F; then ``overrides``."""
        base: dict[str, Any] = {"random_stream": "continue", "preset": "paper",
                                "smooth_mode": "valid", "query": True}
        if task in PAPER_RUNS:
            base.update(shots=PAPER_RUNS[task][0], flip_at=PAPER_RUNS[task][1])
        return cls(**{**base, **overrides})

    def __post_init__(self) -> None:
        if self.random_stream not in ("fresh", "continue"):
            raise IclabError(f"curves: random_stream must be 'fresh' or 'continue', got "
                             f"{self.random_stream!r}")
        if self.preset not in ("iclab", "paper"):
            raise IclabError(f"curves: preset must be 'iclab' or 'paper', got {self.preset!r}")
        if self.flip_at is not None and not 0 <= self.flip_at <= self.shots:
            raise IclabError(f"curves: flip_at must be in [0, shots], got {self.flip_at}")
        if not self.settings:
            raise IclabError("curves: give at least one setting")
        if self.repeats < 1 or self.shots < 1:
            raise IclabError(f"curves: repeats and shots must be >= 1 (got {self.repeats}, "
                             f"{self.shots})")
        if self.sampling not in ("iid", "balanced"):
            raise IclabError(f"curves: sampling must be 'iid' or 'balanced', got {self.sampling!r}")
        if not 1 <= self.final_window <= self.shots or self.smooth < 1:
            raise IclabError("curves: need 1 <= final_window <= shots and smooth >= 1")
        if self.smooth_mode not in ("trailing", "valid"):
            raise IclabError(f"curves: smooth_mode must be 'trailing' or 'valid', got "
                             f"{self.smooth_mode!r}")
        if self.smooth_mode == "valid" and self.smooth > self.shots:
            raise IclabError(f"curves: a 'valid' smoothing window of {self.smooth} leaves no "
                             f"point of {self.shots} positions")
