"""The ``eval`` config: the one place its defaults live (the CLI's options and the sweep cell
take theirs from here). Imports nothing heavy, so ``iclab --help`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from iclab.errors import EngineError
from iclab.models.bundled import DEFAULT_MODEL

Scoring = Literal["rank", "generate"]


@dataclass(frozen=True)
class EvalConfig:
    """What one ``iclab eval`` run computes.

    Attributes:
        model: model spec (``gemma-3-270m``, ``EleutherAI/pythia-410m@step4000``, a path).
        task: task name or spec path.
        shots: demonstrations per prompt.
        seeds: demonstration seeds (one accuracy each).
        labels: label setting (``gold``, ``random``, ``abstract``, ...).
        template: prompt preset.
        scoring: ``rank`` or ``generate``.
        mode: choice score under ``rank`` (``first``, ``sum``, ``mean``).
        limit: at most this many test queries (first ones in file order); None: all.
        max_new_tokens: generation budget under ``generate``.
        device: torch device (None: CUDA if available).
        dtype: ``float32``/``bfloat16``/``float16`` (None: fp32 on CPU, bf16 on GPU).
        calibrate: contextual calibration (``rank`` only): each seed's content-free prompts
            (same demos, query input ``N/A``, ``""``, ``[MASK]``) set the correction.
        chunk: prompts scored between two cache writes.
    """

    model: str = DEFAULT_MODEL
    task: str = "glue-sst2"
    shots: int = 16
    seeds: tuple[int, ...] = (13, 21, 42)
    labels: str = "gold"
    template: str = "metaicl-minimal"
    scoring: Scoring = "rank"
    mode: str = "sum"
    limit: int | None = None
    max_new_tokens: int = 256
    device: str | None = None
    dtype: str | None = None
    calibrate: bool = False
    chunk: int = 256

    def __post_init__(self) -> None:
        if self.scoring not in ("rank", "generate"):
            raise EngineError(f"scoring must be 'rank' or 'generate', got {self.scoring!r}")
        if self.mode not in ("first", "sum", "mean"):
            raise EngineError(f"mode must be first, sum or mean, got {self.mode!r}")
        if not self.seeds:
            raise EngineError("give at least one seed")
        if self.shots < 0 or (self.limit is not None and self.limit < 1):
            raise EngineError("shots must be >= 0 and limit >= 1")
        if self.calibrate and self.scoring != "rank":
            raise EngineError("calibration applies to rank scoring only")

    @property
    def scoring_key(self) -> str:
        """The scoring mode as it enters the cache key."""
        if self.scoring == "rank":
            return f"rank:{self.mode}" + (":calibrated" if self.calibrate else "")
        return f"generate:first-line:{self.max_new_tokens}"
