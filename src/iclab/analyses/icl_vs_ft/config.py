"""The ICL-vs-fine-tuning config: the one place its defaults live (``iclab icl-vs-ft``'s options
and the sweep cell take theirs from here). Imports nothing heavy (no torch, no engine), so
``iclab --help`` stays fast; the result types are in :mod:`iclab.analyses.icl_vs_ft.result`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from iclab.data.synthetic import TASK_NAMES
from iclab.data.synthetic.paper import GENERATORS, PAPER_SEED
from iclab.errors import IclabError

Match = Literal["exact", "substring"]
MATCHES: tuple[Match, ...] = ("exact", "substring")

PAPER_FAMILIES: tuple[str, ...] = ("expression", "relation", "boolean", "algebra")
"""The families of the paper's headline table (its ``group_test``; code is not in it)."""


class IclVsFtError(IclabError, ValueError):
    """A setting of the ICL-vs-fine-tuning analysis is out of range or inconsistent."""


METHOD_NAMES = {"full": "FT", "lora": "LoRA"}
PRESETS = ("iclab", "paper")


@dataclass(frozen=True)
class IclVsFtConfig:
    """Settings of the comparison; validates itself. Defaults fit a 2-core CPU run of
    gemma-3-270m (see the CLI's budget note).

    Attributes:
        preset: ``iclab`` (default: iclab's checked generators, one instruction and layout, the
            same demonstrations for every query) or ``paper`` (the paper's benchmark:
            :mod:`iclab.analyses.icl_vs_ft.paper`); :meth:`paper` also sets the paper's
            numbers (:data:`PAPER_DEFAULTS`).
        tasks: synthetic families.
        splits: test kinds.
        shots: ICL shot counts.
        best_range: ICL best is the best accuracy over shots in ``[low, high]``.
        n_test: test queries per (family, split).
        match: ``exact`` (default) or ``substring`` (the paper's).
        max_new_tokens: greedy generation budget per answer.
        seed: data, demonstration and training seed.
        samples: training pairs per family for each fine-tuning run (the mixture has
            ``n * len(tasks)`` pairs).
        methods: fine-tuning methods (``full``, ``lora``).
        ft_shots: shots at which fine-tuned models are evaluated (0 = zero-shot).
        lr_full: full fine-tuning learning rate.
        lr_lora: LoRA learning rate.
        epochs: passes over the training mixture.
        batch_size: pairs per optimizer step.
        max_steps: stop fine-tuning after this many optimizer steps (None: all epochs).
        warmup_steps: linear warm-up steps, then a constant learning rate.
        loss_on: ``answer`` or ``sequence``.
        circuit_shots: demonstrations of the ICL run in the circuit shift.
        n_circuit: normal test queries per family in the circuit shift (0 disables it).
        patching: also run per-head activation patching (ICL into 0-shot).
    """

    preset: str = "iclab"
    tasks: tuple[str, ...] = TASK_NAMES
    splits: tuple[str, ...] = ("normal", "misleading")
    shots: tuple[int, ...] = (0, 1, 2, 4, 8, 16, 32)
    best_range: tuple[int, int] = (1, 16)
    n_test: int = 8
    match: Match = "exact"
    max_new_tokens: int = 5
    seed: int = 0
    samples: tuple[int, ...] = (1, 4)
    methods: tuple[str, ...] = ("full", "lora")
    ft_shots: tuple[int, ...] = (0, 4)
    lr_full: float = 5e-5
    lr_lora: float = 5e-4
    epochs: int = 1
    batch_size: int = 4
    max_steps: int | None = None
    warmup_steps: int = 0
    loss_on: str = "answer"
    circuit_shots: int = 4
    n_circuit: int = 6
    patching: bool = True

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise IclVsFtError(f"preset must be one of {list(PRESETS)}, got {self.preset!r}")
        if self.preset == "paper" and any(t not in GENERATORS for t in self.tasks):
            raise IclVsFtError(f"the paper preset has the families {list(GENERATORS)} (the "
                               f"paper has no parity data), got {list(self.tasks)}")
        if (self.max_steps is not None and self.max_steps < 1) or self.warmup_steps < 0:
            raise IclVsFtError("max_steps must be >= 1 (or None) and warmup_steps >= 0")
        bad = [t for t in self.tasks if t not in TASK_NAMES]
        if not self.tasks or bad:
            raise IclVsFtError(f"unknown task(s) {bad}; choose from {list(TASK_NAMES)}")
        if not self.splits or any(s not in ("normal", "misleading") for s in self.splits):
            raise IclVsFtError(f"splits must be normal/misleading, got {self.splits!r}")
        if any(m not in METHOD_NAMES for m in self.methods):
            raise IclVsFtError(f"methods must be among {list(METHOD_NAMES)}, got {self.methods}")
        if self.match not in MATCHES:
            raise IclVsFtError(f"match must be one of {list(MATCHES)}, got {self.match!r}")
        for name in ("shots", "samples", "ft_shots"):
            values = getattr(self, name)
            if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
                raise IclVsFtError(f"{name} must be non-negative ints, got {values!r}")
        if not self.shots or any(n < 1 for n in self.samples):
            raise IclVsFtError("shots must be non-empty and samples positive")
        low, high = self.best_range
        if not 0 <= low <= high or not any(low <= k <= high for k in self.shots):
            raise IclVsFtError(f"best_range {self.best_range} holds none of shots {self.shots}")
        for name in ("n_test", "max_new_tokens", "batch_size", "epochs"):
            if getattr(self, name) < 1:
                raise IclVsFtError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.n_circuit < 0 or self.circuit_shots < 1:
            raise IclVsFtError("n_circuit must be >= 0 and circuit_shots >= 1")
        if self.n_circuit > self.n_test:
            raise IclVsFtError(f"n_circuit={self.n_circuit} exceeds n_test={self.n_test}")

    @classmethod
    def paper(cls, **overrides: Any) -> "IclVsFtConfig":
        """The ``paper`` preset: :data:`PAPER_DEFAULTS`, then ``overrides``."""
        return cls(**{**PAPER_DEFAULTS, **overrides})

    @property
    def n_pool(self) -> int:
        """Training examples generated per family (demonstrations and fine-tuning pairs)."""
        return max([*self.shots, *self.ft_shots, self.circuit_shots, *self.samples])

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data."""
        return asdict(self)


PAPER_DEFAULTS: dict[str, Any] = {
    "preset": "paper", "tasks": PAPER_FAMILIES, "shots": (0, 1, 2, 4, 8, 16, 32),
    "best_range": (1, 16), "n_test": 199, "match": "substring", "seed": PAPER_SEED,
    "samples": (1000,), "methods": ("full",), "ft_shots": (0,), "lr_full": 1e-5,
    "batch_size": 16, "max_steps": 100, "warmup_steps": 20, "loss_on": "sequence",
    "n_circuit": 0, "patching": False,
}
"""The paper's settings: its four headline families, shots, best of 1-16, 199 queries, seed
114514, substring scoring; full fine-tuning on a 4 x 1000-row mixture (loss on the whole
sequence, lr 1e-5 constant after 20 warm-up steps, batch 16), evaluated 0-shot at step 100;
no circuit shift (the paper released no code for it)."""
