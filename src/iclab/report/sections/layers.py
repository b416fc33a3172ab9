"""The ``layers`` section: context-masking sweeps and the task-recognition layer."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from iclab.report.blocks import Section, Table, Text, format_cell
from iclab.report.plots import plot_masking_curves
from iclab.report.plots._common import require_columns
from iclab.report.sections.registry import (config_keys, constant_config, failures_note,
                                            groups, register_section, varying)

if TYPE_CHECKING:
    import pandas as pd

MEASUREMENTS = ("layer", "score", "baseline", "recognition_layer", "metric")


def _first(part: pd.DataFrame, column: str) -> Any:
    """The first non-null value of ``column`` in ``part``, else None."""
    if column not in part.columns:
        return None
    values = part[column].dropna()
    return values.iloc[0] if len(values) else None


def _recognition(part: pd.DataFrame) -> dict[str, int | None]:
    """Recognition layer (0-based) per mask config; None where none was found."""
    out: dict[str, int | None] = {}
    for mask, rows in part.groupby("mask", sort=False):
        value = _first(rows, "recognition_layer")
        out[str(mask)] = None if value is None or (isinstance(value, float)
                                                   and math.isnan(value)) else int(value)
    return out


def layers_section(df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """Score vs the layer masking starts from, per mask config, with the recognition layer.

    Rows need ``mask`` (the mask config, e.g. ``examples``), ``layer`` (0-based index of the
    first masked layer; ``n_layers`` masks nothing) and ``score``; optional ``baseline``
    (unmasked score), ``recognition_layer`` (0-based; null when none was found) and ``metric``
    (the score's name). One figure per value of the other varying config keys (model, task).
    The figures and table number layers from 1, as the paper does.
    """
    require_columns(df, ("mask", "layer", "score"), "the layers section")
    keys = config_keys(df, summary, measurements=MEASUREMENTS)
    by = varying(df, keys, exclude=("mask", "layer"))
    blocks: list[Any] = [*failures_note(summary)]
    shared = constant_config(df, [k for k in keys if k not in ("mask", "layer")])
    if shared:
        blocks.append(Text(f"Shared by every cell: {shared}."))
    rows = []
    for label, part in groups(df, by):
        baseline = _first(part, "baseline")
        recognition = _recognition(part)
        metric = str(_first(part, "metric") or "score")
        suffix = "" if label == "all" else f" — {label}"
        blocks.append(plot_masking_curves(
            part, baseline=None if baseline is None else float(baseline),
            recognition_layer=recognition, metric=metric, title=f"Context masking{suffix}"))
        for mask, layer in recognition.items():
            best = part[part["mask"] == mask]["score"].max()
            rows.append([label, mask, metric,
                         "—" if baseline is None else format_cell(float(baseline)),
                         format_cell(float(best)),
                         "none found" if layer is None else str(layer + 1)])
    blocks.append(Table(["group", "mask", "metric", "unmasked", "best masked",
                         "recognition layer (from 1)"], rows,
                        "Task-recognition layer: the first layer L from which masking the "
                        "context keeps the score near the unmasked baseline"))
    return Section("Where ICL happens: layer-wise context masking", blocks,
                   anchor="analysis-layers",
                   intro="From layer L onwards the query cannot attend to the masked parts of "
                         "the context. Layers are numbered from 1, as in the paper's figures.")


register_section("layers", layers_section)
