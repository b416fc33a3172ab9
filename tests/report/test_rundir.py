"""``report_from_run_dir`` and ``iclab report`` on a run directory of TEST DATA."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_data import HOSTILE, write_run_dir
from typer.testing import CliRunner

from iclab.cli import app
from iclab.runs.rundir import report_from_run_dir
from iclab.runs.store import StoreError

SECTION_TITLES = ["Run information", "Task recognition vs task learning",
                  "ICL curves under label settings",
                  "Where ICL happens: layer-wise context masking", "ICL vs fine-tuning",
                  "Evaluation: accuracy", "Analysis: my-analysis"]


def test_report_has_every_section_in_order(report_path: Path) -> None:
    page = report_path.read_text(encoding="utf-8")
    found = re.findall(r"<h2>(.*?)</h2>", page)
    assert found == SECTION_TITLES
    assert page.count('<a href="#') == len(SECTION_TITLES)  # the table of contents


def test_report_shows_config_versions_failures_and_escapes(report_path: Path) -> None:
    page = report_path.read_text(encoding="utf-8")
    assert "# TEST DATA" in page and "analysis: curves" in page  # the recorded configs
    assert "transformers" in page and "torch" in page
    assert "finished cells" in page
    assert "1 cell(s) failed" in page and "&lt;i&gt;escaped&lt;/i&gt;" in page
    assert HOSTILE not in page and "&lt;script&gt;alert(&quot;x&quot;)" in page
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert not re.search(r'class="error">The ', page)  # every builder accepted its rows


def test_report_images_are_embedded_pngs(report_path: Path) -> None:
    page = report_path.read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == 7  # tr-tl 1, curves 3, layers 1, heatmaps 1, eval 1
    assert all(s.startswith("data:image/png;base64,iVBORw0KGgo") for s in sources)


def test_default_output_is_in_the_run_dir(tmp_path: Path) -> None:
    from report_data import eval_cells

    run = write_run_dir(tmp_path / "run", {"eval": eval_cells}, fail=False)
    path = report_from_run_dir(run)
    assert path == run / "report.html"
    assert "<title>iclab report: test-eval</title>" in path.read_text(encoding="utf-8")


def test_cli_prints_the_path(tmp_path: Path) -> None:
    from report_data import layers_cells

    run = write_run_dir(tmp_path / "run", {"layers": layers_cells}, fail=False)
    out = tmp_path / "out" / "r.html"
    result = CliRunner().invoke(app, ["report", str(run), "--out", str(out),
                                      "--title", "Masking <run>"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(out)
    assert "<title>Masking &lt;run&gt;</title>" in out.read_text(encoding="utf-8")


def test_not_a_run_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="holds no iclab results"):
        report_from_run_dir(tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_cli_error_without_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "from iclab.cli import run; run()", "report",
                           str(tmp_path / "missing")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "holds no iclab results" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_store_without_finished_cells(tmp_path: Path) -> None:
    run = write_run_dir(tmp_path / "run", {}, fail=False)
    page = report_from_run_dir(run).read_text(encoding="utf-8")
    assert "has no finished cells yet" in page
