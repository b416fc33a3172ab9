"""Each plot function on small, real-shaped TEST DATA: the PNG decodes, has the expected size
and is not blank; bad input gives a clear error."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from iclab.report import Figure, ReportError
from iclab.analyses.eval.plot import accuracy_summary, accuracy_table, plot_accuracy
from iclab.analyses.icl_vs_ft.plot import heatmap_matrices, icl_vs_ft_table, plot_circuit_heatmaps
from iclab.analyses.curves.plot import plot_icl_curves
from iclab.analyses.layers.plot import plot_masking_curves
from iclab.analyses.trtl.plot import plot_trtl
from iclab.analyses.trtl.plot import competition_points
from iclab.report.plots._common import DPI


def decoded(fig: Figure) -> Image.Image:
    """The figure's PNG decoded, after checking it is a non-blank image of the stated size."""
    image = Image.open(io.BytesIO(fig.png))
    image.load()
    assert image.format == "PNG"
    assert image.size == fig.size
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 5, "the image is blank"
    return image


def trtl_frame() -> pd.DataFrame:
    return pd.DataFrame({"step": [1000, 2000, 4000, 8000, 143000],
                         "golden": [40.0, 45.0, 50.0, 55.0, 60.0],
                         "tr": [35.0, 40.0, 38.0, 45.0, 50.0],
                         "tl": [30.0, 28.0, 35.0, 35.0, 40.0]})


def test_trtl_marks_competition_points_and_has_figure_size() -> None:
    fig = plot_trtl(trtl_frame(), alpha=0.1, title="pythia <test>")
    image = decoded(fig)
    assert image.size == (round(7.5 * DPI), round(4.2 * DPI))
    # TR up & TL down (1000->2000), TR down & TL up (2000->4000); 4000->8000 TL flat.
    assert "2 hard-competition point(s)" in fig.alt
    assert "pythia <test>" in fig.alt


def test_competition_points_are_the_later_checkpoint_of_each_pair() -> None:
    assert competition_points([1, 0, 1]) == [1, 3]
    assert competition_points([]) == []


def test_trtl_rejects_hard_of_wrong_length_and_missing_columns() -> None:
    with pytest.raises(ReportError, match="one per consecutive pair"):
        plot_trtl(trtl_frame(), hard=[1, 0])
    with pytest.raises(ReportError, match="needs column.*tl"):
        plot_trtl(trtl_frame().drop(columns="tl"))


def curves_frame() -> pd.DataFrame:
    rows = []
    for setting, offset in (("gold", 0.0), ("random", -0.1)):
        for demos in range(10):
            mean = 0.5 + 0.03 * demos + offset
            rows.append({"setting": setting, "demos": demos, "mean": mean, "lo": mean - 0.05,
                         "hi": mean + 0.05})
    return pd.DataFrame(rows)


def test_icl_curves_with_flip_point_and_chance() -> None:
    fig = plot_icl_curves(curves_frame(), metric="accuracy", flip_point=4, chance=0.5)
    image = decoded(fig)
    assert image.size == (7 * DPI, 4 * DPI)
    assert "2 setting(s) (gold, random)" in fig.alt


def test_icl_curves_missing_ci_columns() -> None:
    with pytest.raises(ReportError, match="lo, hi"):
        plot_icl_curves(curves_frame().drop(columns=["lo", "hi"]))


def test_masking_curves_number_layers_from_one() -> None:
    rows = [{"mask": m, "layer": layer, "score": min(1.0, 0.2 * layer)}
            for m in ("examples", "instructions+examples") for layer in range(7)]
    fig = plot_masking_curves(pd.DataFrame(rows), baseline=1.0,
                              recognition_layer={"examples": 4}, metric="accuracy")
    decoded(fig)
    assert "examples: L=5" in fig.alt  # 0-based layer 4 is shown as layer 5


def test_masking_curves_custom_line_labels() -> None:
    """A per-layer LoRA line drawn beside masking curves is labelled as such, not 'mask lora'."""
    rows = [{"mask": m, "layer": layer, "score": 0.5} for m in ("lora", "examples")
            for layer in range(3)]
    fig = plot_masking_curves(pd.DataFrame(rows), labels={"lora": "LoRA on layer L"},
                              xlabel="LoRA on layer L / masked from layer L")
    decoded(fig)
    assert "lines: LoRA on layer L, mask examples" in fig.alt
    assert "mask lora" not in fig.alt and "LoRA on layer L / masked" in fig.alt


def test_masking_curves_without_recognition_layer() -> None:
    rows = [{"mask": "examples", "layer": layer, "score": 0.1} for layer in range(4)]
    fig = plot_masking_curves(pd.DataFrame(rows))
    decoded(fig)
    assert "recognition layer not found" in fig.alt


def test_circuit_heatmaps_share_one_scale() -> None:
    rng = np.random.default_rng(0)
    fig = plot_circuit_heatmaps({"ICL": rng.random((6, 4)), "FT": rng.random((6, 4)) * 0.5,
                                 "LoRA": rng.random((6, 4)) * 0.2}, title="circuit shift")
    image = decoded(fig)
    assert image.size[0] > image.size[1]  # three panels side by side
    assert "ICL, FT, LoRA on one color scale" in fig.alt


def test_circuit_heatmaps_reject_ragged_or_empty() -> None:
    with pytest.raises(ReportError, match="rectangular"):
        plot_circuit_heatmaps({"ICL": [[1.0, 2.0], [3.0]]})
    with pytest.raises(ReportError, match="no matrices"):
        plot_circuit_heatmaps({})


def test_heatmap_matrices_from_long_rows() -> None:
    rows = pd.DataFrame([{"method": "ICL", "layer": 1, "head": 2, "value": 0.5},
                         {"method": "ICL", "layer": 1, "head": 2, "value": 0.7},  # 2nd seed
                         {"method": "ICL", "layer": 0, "head": 0, "value": 0.1},
                         {"method": "FT", "layer": 0, "head": 1, "value": 0.2}])
    matrices = heatmap_matrices(rows)
    grid = matrices["ICL"]
    assert list(matrices) == ["ICL", "FT"]
    assert len(grid) == 2 and len(grid[0]) == 3
    assert grid[1][2] == pytest.approx(0.6) and grid[0][0] == 0.1 and np.isnan(grid[0][1])
    assert matrices["FT"][0][1] == 0.2 and np.isnan(matrices["FT"][1][2])


def test_icl_vs_ft_table_bolds_best_per_row() -> None:
    rows = pd.DataFrame([
        {"task": "expression", "split": "normal", "method": "ICL best", "accuracy": 0.9},
        {"task": "expression", "split": "normal", "method": "FT n=100", "accuracy": 0.4},
        {"task": "code", "split": "misleading", "method": "FT n=100", "accuracy": 0.7}])
    table = icl_vs_ft_table(rows)
    assert list(table.columns) == ["task", "split", "ICL best", "FT n=100"]
    assert table.rows[0][2:] == ["0.900", "0.400"]
    assert table.rows[1][2:] == ["—", "0.700"]
    assert table.bold == frozenset({(0, 2), (1, 3)})


def accuracy_frame() -> pd.DataFrame:
    return pd.DataFrame([{"task": t, "setting": s, "seed": seed, "accuracy": a}
                         for t, s, seed, a in [("sst2", "gold", 1, 0.8), ("sst2", "gold", 2, 0.6),
                                               ("sst2", "random", 1, 0.5),
                                               ("trec", "gold", 1, 0.3)]])


def test_accuracy_summary_mean_std_over_seeds() -> None:
    summary = accuracy_summary(accuracy_frame())
    gold = summary[(summary["task"] == "sst2") & (summary["setting"] == "gold")].iloc[0]
    assert gold["mean"] == pytest.approx(0.7)
    assert gold["std"] == pytest.approx(np.std([0.8, 0.6], ddof=1))
    assert gold["n_seeds"] == 2


def test_accuracy_table_and_bars() -> None:
    table = accuracy_table(accuracy_frame())
    assert table.rows[0][1] == "0.700 ± 0.141 (n=2)"
    assert table.rows[1][2] == "—"  # trec has no random rows
    decoded(plot_accuracy(accuracy_frame(), chance=0.5))


def test_figure_save_and_html(tmp_path) -> None:
    fig = plot_icl_curves(curves_frame())
    path = fig.save(tmp_path / "sub" / "curves.png")
    assert path.read_bytes() == fig.png
    html = fig.to_html()
    assert html.startswith("<figure><img src=\"data:image/png;base64,")
    width, height = fig.size
    assert f'width="{width // 2}" height="{height // 2}"' in html
