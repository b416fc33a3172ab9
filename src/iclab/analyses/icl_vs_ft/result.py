"""What one ICL-vs-fine-tuning comparison produced (its config is in
:mod:`iclab.analyses.icl_vs_ft.config`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iclab.analyses.icl_vs_ft.circuit_shift import Shift
from iclab.analyses.icl_vs_ft.eval import ShotAccuracy


@dataclass
class TrainedRun:
    """One fine-tuning run: its label, training record and evaluation."""

    label: str
    method: str
    n_per_task: int
    info: dict[str, Any]
    cells: list[ShotAccuracy]


@dataclass
class IclVsFtResult:
    """Everything one comparison produced.

    Attributes:
        base: base-model accuracy per (task, split, shots).
        trained: one entry per fine-tuning run.
        shifts: task -> method label -> :class:`Shift`.
        patching: task -> patching summary (``n_queries``, ``ld_zero``, ``ld_icl``).
        table: accuracy rows (``task``, ``split``, ``method``, ``accuracy``, ``shots``).
        circuit: circuit rows (``task``, ``method``, ``measure``, ``layer``, ``head``,
            ``value``).
    """

    base: list[ShotAccuracy]
    trained: list[TrainedRun] = field(default_factory=list)
    shifts: dict[str, dict[str, Shift]] = field(default_factory=dict)
    patching: dict[str, dict[str, float]] = field(default_factory=dict)
    table: list[dict[str, Any]] = field(default_factory=list)
    circuit: list[dict[str, Any]] = field(default_factory=list)
