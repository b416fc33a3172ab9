"""Which report section shows which analysis: analysis name -> section builder.

A section builder is ``(df, summary) -> Section``:

* ``df`` holds the analysis's result rows as :func:`iclab.load_results` returns them: a
  ``cell`` and an ``analysis`` column, the cell's config keys (grid axes and params), then the
  row's own columns.
* ``summary`` is a dict of facts about those rows; :func:`iclab.report.report_from_run_dir`
  passes ``analysis`` (name), ``config_keys`` (the cells' config keys, so a builder can tell
  settings from measurements), ``n_cells``, ``failures`` (list of ``{cell, error}`` of cells
  that failed and are unfinished) and ``params`` (the run config's ``params`` mapping). Every
  key is optional for a builder called by hand.

Builders for the analyses shipped with iclab are listed in :data:`BUILTIN` by module name and
imported on first use (the module registers its builder), so this package never imports an
analysis; a project registers its own with :func:`register_section`. An analysis without a
builder gets :func:`generic_section`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from iclab.report.blocks import ReportError, Section, Table, Text

if TYPE_CHECKING:
    import pandas as pd

SectionBuilder = Callable[["pd.DataFrame", Mapping[str, Any]], Section]

_BUILDERS: dict[str, SectionBuilder] = {}

BUILTIN: dict[str, str] = {
    "eval": "iclab.analyses.eval.section",
    "prompt-stats": "iclab.analyses.eval.section",
    "tr-tl": "iclab.analyses.trtl.section",
    "curves": "iclab.analyses.curves.section",
    "layers": "iclab.analyses.layers.section",
    "icl-vs-ft": "iclab.analyses.icl_vs_ft.section",
}
"""Sections of the analyses shipped with iclab: analysis name -> module that registers it."""

BOOKKEEPING = ("cell", "analysis")
"""Columns every result frame has that are not data."""


def register_section(name: str, builder: SectionBuilder, *, overwrite: bool = False) -> None:
    """Show results of analysis ``name`` with ``builder``.

    Raises:
        ValueError: ``name`` already has a builder (pass ``overwrite=True`` to replace it).
    """
    if name in _BUILDERS and not overwrite:
        raise ValueError(f"analysis {name!r} already has a report section builder")
    _BUILDERS[name] = builder


def section_names() -> list[str]:
    """Analyses with a registered or built-in section builder, sorted."""
    return sorted(set(_BUILDERS) | set(BUILTIN))


def get_builder(name: str) -> SectionBuilder | None:
    """The builder registered for ``name`` (a built-in one is imported on first use), or None."""
    if name not in _BUILDERS and name in BUILTIN:
        importlib.import_module(BUILTIN[name])
    return _BUILDERS.get(name)


def config_keys(df: pd.DataFrame, summary: Mapping[str, Any],
                measurements: Sequence[str] = ()) -> list[str]:
    """The config columns of ``df`` (settings, not measurements).

    ``summary["config_keys"]`` when given; otherwise every column except the bookkeeping
    ones, ``measurements`` and float-valued columns (a float is taken to be a measurement).
    """
    keys = summary.get("config_keys")
    if keys is None:
        keys = [c for c in df.columns if c not in BOOKKEEPING and c not in measurements
                and df[c].dtype.kind != "f"]
    return [k for k in keys if k in df.columns and k not in measurements]


def varying(df: pd.DataFrame, keys: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """Those of ``keys`` (minus ``exclude``) that take more than one value in ``df``."""
    out = []
    for key in keys:
        if key in exclude or key not in df.columns:
            continue
        if df[key].astype(str).nunique(dropna=False) > 1:
            out.append(key)
    return out


def label_of(record: Mapping[str, Any], keys: Sequence[str]) -> str:
    """``k=v, k=v`` of ``keys`` in ``record`` ("all" when there are none)."""
    return ", ".join(f"{k}={record[k]}" for k in keys) or "all"


def groups(df: pd.DataFrame, keys: Sequence[str]) -> Iterator[tuple[str, pd.DataFrame]]:
    """``(label, rows)`` for each combination of ``keys`` in order of first appearance; one
    group labelled "all" when ``keys`` is empty."""
    if not keys:
        yield "all", df
        return
    for values, part in df.groupby(list(keys), sort=False, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        yield label_of(dict(zip(keys, values)), keys), part


def constant_config(df: pd.DataFrame, keys: Sequence[str]) -> str:
    """``k=v, ...`` of the config keys that have a single value in ``df`` (shared settings)."""
    shared = [k for k in keys if k in df.columns and df[k].astype(str).nunique() == 1]
    return ", ".join(f"{k}={df[k].iloc[0]}" for k in shared)


def failures_note(summary: Mapping[str, Any]) -> list[Text]:
    """An error callout listing unfinished failed cells, if any."""
    failures = summary.get("failures") or []
    if not failures:
        return []
    shown = "; ".join(f"{f.get('cell', '?')}: {f.get('error', '?')}" for f in failures[:5])
    more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
    return [Text(f"{len(failures)} cell(s) failed and are not in these results: {shown}{more}",
                 kind="error")]


def result_rows_table(df: pd.DataFrame, max_rows: int = 200, caption: str = "") -> Table:
    """The result rows without bookkeeping columns or list/dict-valued columns."""
    keep = [c for c in df.columns if c not in BOOKKEEPING
            and not df[c].map(lambda v: isinstance(v, (list, dict))).any()]
    return Table.from_frame(df[keep], caption=caption or "Result rows", max_rows=max_rows)


def _analysis_name(df: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    if summary.get("analysis"):
        return str(summary["analysis"])
    if "analysis" in df.columns and len(df):
        return str(df["analysis"].iloc[0])
    return "results"


def rows_section(df: pd.DataFrame, summary: Mapping[str, Any], notes: Sequence[Text]) -> Section:
    """A section of ``notes`` then the result rows as a table."""
    name = _analysis_name(df, summary)
    blocks: list[Any] = [*failures_note(summary), *notes]
    if len(df):
        blocks.append(result_rows_table(df))
    return Section(f"Analysis: {name}", blocks, anchor=f"analysis-{name}")


def generic_section(df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """A section for an analysis without a dedicated builder: its result rows as a table."""
    name = _analysis_name(df, summary)
    return rows_section(df, summary, [Text(
        f"No dedicated report section is registered for analysis {name!r}; showing its "
        "result rows.", kind="note")])


def build_section(name: str, df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """The section for analysis ``name``.

    If its builder rejects the rows (a :class:`ReportError`, e.g. missing columns), the
    section says so in an error callout and shows the rows as a table, so nothing is dropped
    silently.
    """
    builder = get_builder(name)
    if builder is None:
        return generic_section(df, summary)
    try:
        return builder(df, summary)
    except ReportError as exc:
        return rows_section(df, {**summary, "analysis": name}, [Text(
            f"The {name!r} section could not be built from these rows: {exc}", kind="error")])
