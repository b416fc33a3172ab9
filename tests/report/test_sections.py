"""Section builders on TEST DATA shaped like each analysis' rows (see conftest.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from iclab.report import Figure, Section, Table, Text, build_section, register_section
from iclab.report.sections import get_builder, section_names
from iclab.analyses.curves.section import aggregate_curves, flip_point
from iclab.analyses.icl_vs_ft.section import method_aliases
from iclab.analyses.trtl.section import checkpoint_curves, with_steps

from report_data import (curves_cells, eval_cells, frame, icl_ft_cells, layers_cells,
                       trtl_cells)


def kinds(section: Section) -> list[str]:
    return [type(b).__name__ for b in section.blocks]


def errors(section: Section) -> list[str]:
    return [b.text for b in section.blocks if isinstance(b, Text) and b.kind == "error"]


def test_shipped_analyses_have_builders() -> None:
    assert {"tr-tl", "curves", "layers", "icl-vs-ft", "eval", "prompt-stats"} <= set(
        section_names())


def test_trtl_section_one_figure_and_table_per_model() -> None:
    df = frame(trtl_cells(), "tr-tl")
    section = build_section("tr-tl", df, {"config_keys": ["model", "revision", "task", "seed",
                                                          "setting"]})
    assert not errors(section)
    assert kinds(section).count("Figure") == 1 and kinds(section).count("Table") == 1
    table = next(b for b in section.blocks if isinstance(b, Table))
    assert [r[0] for r in table.rows] == ["1000", "2000", "4000", "8000", "16000", "32000",
                                          "64000", "143000"]
    assert table.rows[0][4] == "—" and "1" in [r[4] for r in table.rows]


def test_trtl_steps_from_revisions_and_curves_in_percent() -> None:
    df = with_steps(frame(trtl_cells(), "tr-tl"))
    curves = checkpoint_curves(df)
    assert list(curves.columns) == ["step", "golden", "tr", "tl"]
    assert curves["golden"].iloc[0] == pytest.approx(50.0, abs=1.0)


def test_trtl_steps_from_local_checkpoint_dirs() -> None:
    df = frame(trtl_cells(), "tr-tl")
    df["revision"] = df["revision"].str.replace("step", "/ckpts/run1/checkpoint-")
    assert sorted(with_steps(df)["step"].unique())[:2] == [1000, 2000]


def test_trtl_bad_revision_is_reported_in_the_section() -> None:
    df = frame(trtl_cells(), "tr-tl").assign(revision="main")
    section = build_section("tr-tl", df, {})
    assert "revisions named like 'step4000'" in errors(section)[0]
    assert isinstance(section.blocks[-1], Table)  # the rows are still shown


def test_curves_section_figures_per_metric_and_flip_point() -> None:
    df = frame(curves_cells(), "curves")
    section = build_section("curves", df, {"config_keys": ["model", "task", "repeat",
                                                           "demos"]})
    assert not errors(section)
    figures = [b for b in section.blocks if isinstance(b, Figure)]
    assert len(figures) == 3  # accuracy, loglik, entropy
    assert flip_point(["default", "flip-after:12", "flip-after:12:f2d"], 40) == 12
    assert flip_point(["default", "flip"], 24) == 12  # the analysis' alias: N // 2
    assert flip_point(["flip-after:4", "flip-after:8"], 40) is None


def test_aggregate_curves_ci_brackets_mean() -> None:
    agg = aggregate_curves(frame(curves_cells(), "curves"), "loglik")
    assert set(agg["setting"]) == {"default", "random", "flip"}
    assert (agg["lo"] <= agg["mean"]).all() and (agg["mean"] <= agg["hi"]).all()
    assert (agg["n"] == 6).all()


def test_layers_section_table_numbers_layers_from_one() -> None:
    section = build_section("layers", frame(layers_cells(), "layers"), {})
    assert not errors(section)
    table = next(b for b in section.blocks if isinstance(b, Table))
    assert [r[-1] for r in table.rows] == ["7", "none found"]  # 0-based 6 shown as 7


def test_layers_section_averages_seeds() -> None:
    cells = []
    for seed, rec, base in ((1, 6, 30.0), (2, 7, 32.0)):
        cells += [({**cfg, "seed": seed}, [{**r, "recognition_layer": rec, "baseline": base,
                                            "score": r["score"] + seed} for r in rows])
                  for cfg, rows in layers_cells() if cfg["mask"] == "examples"]
    section = build_section("layers", frame(cells, "layers"), {})
    assert not errors(section)
    assert [type(b).__name__ for b in section.blocks].count("Figure") == 1
    table = next(b for b in section.blocks if isinstance(b, Table))
    assert table.rows == [["all", "examples", "BLEU", "31.000", table.rows[0][4],
                           "7, 8 (differs across seeds)"]]


def test_icl_vs_ft_section_table_and_one_shared_heatmap() -> None:
    df = frame(icl_ft_cells(), "icl-vs-ft")
    keys = ["model", "task", "split", "circuit"]
    section = build_section("icl-vs-ft", df, {"config_keys": keys})
    assert not errors(section)
    assert kinds(section).count("Table") == 1
    assert kinds(section).count("Figure") == 1  # the circuit axis only restates the method
    heat = df[df["head"].notna()]
    assert "circuit" in method_aliases(heat, keys)


def test_eval_section_escapes_and_marks_failures() -> None:
    from report_data import HOSTILE

    df = frame(eval_cells(), "eval")
    summary = {"config_keys": ["model", "task", "labels", "seed", "shots"],
               "failures": [{"cell": "abc", "error": "DataError: <boom>"}]}
    section = build_section("eval", df, summary)
    html = section.to_html()
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert "DataError: &lt;boom&gt;" in html
    table = next(b for b in section.blocks if isinstance(b, Table))
    assert list(table.columns) == ["task", "labels=gold", "labels=random"]


def test_prompt_stats_section() -> None:
    rows = [{"model": m, "task": "sst2", "shots": k, "seed": s, "tokens_mean": 20.0 * (k + 1),
             "tokens_min": 15 * (k + 1), "tokens_max": 30 * (k + 1), "tokens_p95": 28.0 * (k + 1),
             "context_window": 8192, "n_over_context": 0}
            for m in ("gemma-3-270m", "smollm2-135m") for k in (0, 4) for s in (1, 2)]
    section = build_section("prompt-stats", pd.DataFrame(rows), {})
    assert kinds(section) == ["Text", "Figure", "Table"]
    assert "fits its model's context window" in section.blocks[0].text


def test_unknown_analysis_gets_generic_section() -> None:
    df = pd.DataFrame([{"cell": "c", "analysis": "mine", "x": 1, "y": "<z>"}])
    section = build_section("mine", df, {"analysis": "mine"})
    assert section.title == "Analysis: mine"
    assert "No dedicated report section" in section.blocks[0].text
    assert "&lt;z&gt;" in section.to_html()


def test_missing_columns_become_a_visible_error() -> None:
    df = pd.DataFrame([{"cell": "c", "analysis": "layers", "mask": "examples", "score": 1.0}])
    section = build_section("layers", df, {})
    assert "needs column(s) layer" in errors(section)[0]


def test_register_section_refuses_silent_overwrite() -> None:
    def mine(df, summary):
        return Section("Mine")

    register_section("test-only-analysis", mine)
    with pytest.raises(ValueError, match="already has"):
        register_section("test-only-analysis", mine)
    register_section("test-only-analysis", mine, overwrite=True)
    assert get_builder("test-only-analysis") is mine


def test_curves_section_reads_the_curves_analysis_rows_and_matches_its_summary() -> None:
    """Rows exactly as iclab.analyses.curves.run writes them (TEST DATA arrays) give the same
    per-position means and CIs as the analysis' own summary."""
    import numpy as np

    from iclab.analyses.curves.run import CurvesConfig, CurvesResult, per_position_frame, summarize

    rng = np.random.default_rng(5)
    cfg = CurvesConfig(settings=("default", "flip"), repeats=5, shots=8)
    result = CurvesResult(cfg, "sst2", "gemma-test", n_labels=2)
    for setting in cfg.settings:
        result.values[setting] = {m: rng.random((5, 8)) for m in ("loglik", "accuracy",
                                                                  "entropy")}
    result.flip_points["flip"] = 4
    df = pd.DataFrame(result.rows()).assign(cell="c", analysis="curves", demos=8)
    section = build_section("curves", df, {"config_keys": ["demos"], "chance_accuracy": 0.5})
    assert not errors(section)
    assert "labels flip after 4 demonstrations" in section.to_html()  # the analysis' F
    mine = aggregate_curves(df, "loglik").drop(columns="n")
    theirs = per_position_frame(summarize(result), "loglik")
    pd.testing.assert_frame_equal(mine.reset_index(drop=True),
                                  theirs[["setting", "demos", "mean", "lo", "hi"]],
                                  check_dtype=False)


def test_curves_flip_point_from_the_cells() -> None:
    import pandas as pd

    from iclab.analyses.curves.section import _cell_flip

    base = {"setting": ["flip", "flip"], "position": [0, 1]}
    assert _cell_flip(pd.DataFrame({**base, "flip_at": [6, 6]})) == 6
    paper = pd.DataFrame({**base, "flip_at": [None, None], "preset": ["paper"] * 2,
                          "task": ["lr-sst2"] * 2})
    assert _cell_flip(paper) == 60  # the paper's F for SST-2 (runs.md)
    assert _cell_flip(pd.DataFrame(base)) is None  # falls back to N // 2
