"""The analysis registry: how an analysis plugs into ``iclab run``.

An analysis is a function from one grid cell to result rows. The runner never knows what it
does; it only calls ``run_cell(cell, ctx)`` and stores the rows it returns::

    from pydantic import BaseModel
    from iclab.runs import Context, register_analysis

    class MyCell(BaseModel, extra="forbid"):
        model: str = "gemma-3-270m"
        shots: int

    def my_cell(cell: dict, ctx: Context) -> list[dict]:
        loaded = ctx.model(cell["model"])          # loaded once, reused by later cells
        return [{"n_layers": loaded.n_layers, "shots": cell["shots"]}]

    register_analysis("my-analysis", my_cell, cell_schema=MyCell,
                      estimate_cost=lambda cell: 0.5)   # seconds per cell, for --dry-run

Analyses that ship with iclab are listed in :data:`BUILTIN` by module and imported on first use,
so ``import iclab`` stays light. A user's own module is loaded with ``imports:`` in the config.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from iclab.runs.context import Context

RunCell = Callable[[dict[str, Any], "Context"], list[dict[str, Any]]]
EstimateCost = Callable[[Mapping[str, Any]], float]

BUILTIN: dict[str, str] = {
    "eval": "iclab.analyses.eval.sweep",
    "prompt-stats": "iclab.analyses.prompt_stats.sweep",
    "tr-tl": "iclab.analyses.trtl.sweep",
    "curves": "iclab.analyses.curves.sweep",
    "layers": "iclab.analyses.layers.sweep",
    "icl-vs-ft": "iclab.analyses.icl_vs_ft.sweep",
}
"""Analyses shipped with iclab: name -> module that registers it when imported."""


@dataclass(frozen=True)
class Analysis:
    """A registered analysis.

    Attributes:
        name: the name configs use (``analysis: prompt-stats``).
        run_cell: ``(cell, ctx) -> rows``; each row a flat dict of JSON values.
        estimate_cost: ``cell -> seconds`` on the machine at hand, for ``--dry-run``; None if
            the analysis cannot say.
        cell_schema: a pydantic model that validates (and fills defaults of) every cell; None
            accepts any keys.
        version: the analysis's own version, recorded with every finished cell.
        description: one line for listings.
        model_keys: the cell keys naming the model; cells with equal values share a loaded
            model (and, on Ray, an actor).
    """

    name: str
    run_cell: RunCell
    estimate_cost: EstimateCost | None = None
    cell_schema: type[BaseModel] | None = None
    version: str = "1"
    description: str = ""
    model_keys: tuple[str, ...] = ("model", "revision", "dtype")

    def model_group(self, cell: Mapping[str, Any]) -> str:
        """A key equal for cells that need the same loaded model ('' when none is named)."""
        return "|".join(str(cell.get(k, "")) for k in self.model_keys if cell.get(k) is not None)


_REGISTRY: dict[str, Analysis] = {}


def register_analysis(
    name: str,
    run_cell: RunCell,
    *,
    estimate_cost: EstimateCost | None = None,
    cell_schema: type[BaseModel] | None = None,
    version: str = "1",
    description: str = "",
    model_keys: tuple[str, ...] = ("model", "revision", "dtype"),
    overwrite: bool = False,
) -> Analysis:
    """Register an analysis under ``name`` and return it (see the module docstring).

    Raises:
        ValueError: ``name`` is taken (pass ``overwrite=True`` to replace it on purpose).
    """
    if not name or not isinstance(name, str):
        raise ValueError("an analysis needs a non-empty name")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"analysis {name!r} is already registered")
    analysis = Analysis(name, run_cell, estimate_cost, cell_schema, version, description,
                        tuple(model_keys))
    _REGISTRY[name] = analysis
    return analysis


def get_analysis(name: str) -> Analysis:
    """Return the analysis registered as ``name``, importing a built-in one on first use.

    Raises:
        KeyError: no such analysis; the message lists the known names.
    """
    if name not in _REGISTRY and name in BUILTIN:
        importlib.import_module(BUILTIN[name])
    if name not in _REGISTRY:
        raise KeyError(f"unknown analysis {name!r}; known: {', '.join(analysis_names())}")
    return _REGISTRY[name]


def analysis_names() -> list[str]:
    """Names of every registered or built-in analysis, sorted."""
    return sorted(set(_REGISTRY) | set(BUILTIN))
