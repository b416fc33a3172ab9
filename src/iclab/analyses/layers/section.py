"""The ``layers`` section: context-masking sweeps and the task-recognition layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from iclab.report.blocks import Section, Table, Text, format_cell
from iclab.analyses.layers.plot import plot_masking_curves
from iclab.report.plots._common import require_columns
from iclab.report.sections.registry import (config_keys, constant_config, failures_note,
                                            groups, register_section, varying)

if TYPE_CHECKING:
    import pandas as pd

MEASUREMENTS = ("layer", "score", "baseline", "recognition_layer", "metric")


def _values(part: pd.DataFrame, column: str) -> list[Any]:
    """The distinct non-null values of ``column`` in ``part``, in order ([] when absent)."""
    if column not in part.columns:
        return []
    return list(dict.fromkeys(v for v in part[column] if v is not None and v == v))


def _recognition(part: pd.DataFrame) -> dict[str, list[int]]:
    """Distinct recognition layers (0-based) per mask config, e.g. one per seed; [] where
    none was found."""
    return {str(mask): sorted({int(v) for v in _values(rows, "recognition_layer")})
            for mask, rows in part.groupby("mask", sort=False)}


def _recognition_text(layers: list[int]) -> str:
    """Recognition layers numbered from 1; several (seeds disagree) are listed."""
    if not layers:
        return "none found"
    shown = ", ".join(str(x + 1) for x in layers)
    return shown if len(layers) == 1 else f"{shown} (differs across seeds)"


def _baseline(part: pd.DataFrame) -> float | None:
    """The unmasked score averaged over cells (each cell's sweep states it once or per row)."""
    if "baseline" not in part.columns or part["baseline"].isna().all():
        return None
    rows = part.dropna(subset=["baseline"])
    per_cell = rows.groupby("cell")["baseline"].first() if "cell" in rows else rows["baseline"]
    return float(per_cell.mean())


def _mean_curve(part: pd.DataFrame) -> pd.DataFrame:
    """Score per (mask, layer) averaged over repeated rows (e.g. seeds)."""
    return part.groupby(["mask", "layer"], sort=False)["score"].mean().reset_index()


def layers_section(df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """Score vs the layer masking starts from, per mask config, with the recognition layer.

    Rows need ``mask`` (the mask config, e.g. ``examples``), ``layer`` (0-based index of the
    first masked layer; ``n_layers`` masks nothing) and ``score``; optional ``baseline``
    (unmasked score), ``recognition_layer`` (0-based; null when none was found) and ``metric``
    (the score's name). One figure per value of the other varying config keys (model, task);
    seeds are averaged (a recognition layer is marked when every seed agrees, and the table
    lists them all). The figures and table number layers from 1, as the paper does.
    """
    require_columns(df, ("mask", "layer", "score"), "the layers section")
    keys = config_keys(df, summary, measurements=MEASUREMENTS)
    by = varying(df, keys, exclude=("mask", "layer", "seed"))
    blocks: list[Any] = [*failures_note(summary)]
    shared = constant_config(df, [k for k in keys if k not in ("mask", "layer", "seed")])
    if shared:
        blocks.append(Text(f"Shared by every cell: {shared}."))
    rows = []
    for label, part in groups(df, by):
        baseline = _baseline(part)
        recognition = _recognition(part)
        metric = str((_values(part, "metric") or ["score"])[0])
        suffix = "" if label == "all" else f" — {label}"
        blocks.append(plot_masking_curves(
            _mean_curve(part), baseline=baseline, metric=metric,
            recognition_layer={m: v[0] for m, v in recognition.items() if len(v) == 1},
            title=f"Context masking{suffix}"))
        for mask, layers in recognition.items():
            best = part[part["mask"] == mask]["score"].max()
            rows.append([label, mask, metric,
                         "—" if baseline is None else format_cell(baseline),
                         format_cell(float(best)), _recognition_text(layers)])
    blocks.append(Table(["group", "mask", "metric", "unmasked", "best masked",
                         "recognition layer (from 1)"], rows,
                        "Task-recognition layer: the first layer L from which masking the "
                        "context keeps the score near the unmasked baseline"))
    return Section("Where ICL happens: layer-wise context masking", blocks,
                   anchor="analysis-layers",
                   intro="From layer L onwards the query cannot attend to the masked parts of "
                         "the context. Layers are numbered from 1, as in the paper's figures.")


register_section("layers", layers_section)
