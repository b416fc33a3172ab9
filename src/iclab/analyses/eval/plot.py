"""Accuracy of ``eval``-style results per task × setting, mean ± std over seeds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iclab.report.blocks import Figure, Table, format_cell
from iclab.report.plots._common import (colors, new_figure, plot_style, require_columns,
                                        to_figure)

if TYPE_CHECKING:
    import pandas as pd


def accuracy_summary(data: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std and number of seeds of ``accuracy`` per (task, setting).

    Args:
        data: one row per (task, setting, seed) with columns ``task``, ``setting`` (str: a
            label setting, a model, a shot count... whatever is compared), ``seed`` and
            ``accuracy`` (0–1). Rows with equal (task, setting, seed) are averaged first.

    Returns:
        Columns ``task``, ``setting``, ``mean``, ``std`` (0 for one seed), ``n_seeds``, in
        order of first appearance.
    """
    require_columns(data, ("task", "setting", "seed", "accuracy"), "accuracy_summary")
    per_seed = (data.groupby(["task", "setting", "seed"], sort=False)["accuracy"].mean()
                .reset_index())
    out = (per_seed.groupby(["task", "setting"], sort=False)["accuracy"]
           .agg(mean="mean", std="std", n_seeds="count").reset_index())
    out["std"] = out["std"].fillna(0.0)
    return out


def accuracy_table(data: pd.DataFrame, *, caption: str = "") -> Table:
    """Tasks as rows, settings as columns, cells ``mean ± std (n seeds)``; best in bold.

    Args:
        data: as for :func:`accuracy_summary`.
        caption: the table caption.
    """
    summary = accuracy_summary(data)
    settings = [str(s) for s in dict.fromkeys(summary["setting"])]
    rows, bold = [], set()
    for i, task in enumerate(dict.fromkeys(summary["task"])):
        part = summary[summary["task"] == task]
        part = part.assign(setting=part["setting"].astype(str)).set_index("setting")
        best = part["mean"].max()
        cells = [str(task)]
        for j, setting in enumerate(settings):
            if setting not in part.index:
                cells.append("—")
                continue
            rec = part.loc[setting]
            cells.append(f"{format_cell(float(rec['mean']))} ± {format_cell(float(rec['std']))}"
                         f" (n={int(rec['n_seeds'])})")
            if rec["mean"] == best:
                bold.add((i, j + 1))
        rows.append(cells)
    return Table(["task", *settings], rows, caption, frozenset(bold))


def plot_accuracy(data: pd.DataFrame, *, chance: float | None = None,
                  title: str = "") -> Figure:
    """Grouped bars: one group per task, one bar per setting, error bars = std over seeds.

    Args:
        data: as for :func:`accuracy_summary`.
        chance: draw a horizontal chance line.
        title: the plot title.
    """
    import numpy as np

    summary = accuracy_summary(data)
    tasks = list(dict.fromkeys(summary["task"]))
    settings = list(dict.fromkeys(summary["setting"]))
    width = 0.8 / len(settings)
    x = np.arange(len(tasks))
    with plot_style():
        fig, ax = new_figure(max(5.0, min(1.0 + 0.9 * len(tasks) * max(1, len(settings) / 3),
                                          14.0)), 4.0)
        for k, (setting, color) in enumerate(zip(settings, colors(len(settings)))):
            part = summary[summary["setting"] == setting].set_index("task").reindex(tasks)
            ax.bar(x + (k - (len(settings) - 1) / 2) * width, part["mean"], width * 0.95,
                   yerr=part["std"], capsize=2, color=color, label=str(setting),
                   error_kw={"elinewidth": 0.9, "ecolor": "#333333"})
        if chance is not None:
            ax.axhline(chance, color="grey", ls=":", lw=1.2, label=f"chance ({chance:.2g})")
        ax.set_xticks(x, [str(t) for t in tasks], rotation=30 if len(tasks) > 4 else 0,
                      ha="right" if len(tasks) > 4 else "center")
        ax.set_ylabel("accuracy (mean ± std over seeds)")
        ax.set_ylim(0, max(1.05, float(np.nanmax(summary["mean"])) * 1.05))
        ax.set_title(title or "Accuracy per task and setting")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        alt = (f"{title or 'accuracy'}: bars of mean accuracy over seeds for {len(tasks)} "
               f"task(s) and {len(settings)} setting(s), error bars are one std")
        return to_figure(fig, alt)
