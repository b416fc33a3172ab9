"""``iclab run`` / ``iclab results`` as a user types them: output, errors, nothing partial."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from runs_support import SMALL_GRID, write_config

ICLAB = str(Path(sys.executable).parent / "iclab")


def _iclab(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([ICLAB, *map(str, args)], capture_output=True, text=True, timeout=120)


def test_dry_run_prints_cells_and_cost_and_writes_nothing(tmp_path) -> None:
    config = write_config(tmp_path, SMALL_GRID)
    res = _iclab("run", config, "--out", tmp_path / "out", "--dry-run")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("analysis prompt-stats: 40 cells over task, shots, seed")
    assert sum("  todo  task='word-sentiment', shots=" in line for line in lines) == 20
    assert lines[-1].startswith("40 to run, 0 already done; 1 model(s) to load; estimated")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("yaml_text, out_kind, message", [
    ("analysis: prompt-stats\ngrid: {shots: [0, 4}\n", "fresh", "invalid YAML (line 2"),
    ("analysis: prompt-stats\ngrid: {shots: [0]}\nparams: {task: antonyms, k: 3}\n", "fresh",
     "params.k: unknown key"),
    ("analysis: prompt-stats\ngrid: {shots: []}\n", "fresh", "grid: axis 'shots' is empty"),
    ("analysis: nope\ngrid: {shots: [0]}\n", "fresh", "analysis: unknown analysis 'nope'"),
    (SMALL_GRID, "under-a-file", "cannot create output directory"),
    (SMALL_GRID, "old-store", "has store schema 0"),
])
def test_bad_input_is_one_clear_line_and_nothing_partial(tmp_path, yaml_text, out_kind,
                                                         message) -> None:
    config = write_config(tmp_path, yaml_text)
    out = tmp_path / "out"
    if out_kind == "under-a-file":
        (tmp_path / "f").write_text("")
        out = tmp_path / "f" / "out"
    if out_kind == "old-store":
        out.mkdir()
        conn = sqlite3.connect(out / "results.sqlite")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('store_schema', '0')")
        conn.commit()
        conn.close()
    before = sorted(p.name for p in out.iterdir()) if out.is_dir() else None
    res = _iclab("run", config, "--out", out)
    assert res.returncode == 1 and res.stderr.startswith("error: ") and message in res.stderr
    assert "Traceback" not in res.stderr
    assert (sorted(p.name for p in out.iterdir()) if out.is_dir() else None) == before


def test_ray_options_need_the_ray_executor(tmp_path) -> None:
    res = _iclab("run", write_config(tmp_path, SMALL_GRID), "--out", tmp_path / "o",
                 "--address", "auto")
    assert res.returncode == 2 and "--address/--gpus-per-actor need --executor ray" in res.stderr


def test_results_summary_and_export(reference_run, tmp_path) -> None:
    _, out = reference_run
    res = _iclab("results", out)
    assert res.returncode == 0 and "40 result rows from 40 cells" in res.stdout
    res = _iclab("results", out, "--csv", tmp_path / "r.csv")
    assert res.returncode == 0 and f"wrote {tmp_path / 'r.csv'}" in res.stdout
    assert len(pd.read_csv(tmp_path / "r.csv")) == 40
    res = _iclab("results", tmp_path)
    assert res.returncode == 1 and "holds no iclab results" in res.stderr


def test_dry_run_needs_no_out_but_a_run_does(tmp_path):
    config = write_config(tmp_path, SMALL_GRID)
    res = _iclab("run", config, "--dry-run")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1].startswith("40 to run, 0 already done")
    assert not (tmp_path / ".iclab-dry-run-no-out").exists()
    res = _iclab("run", config)
    assert res.returncode != 0 and "--out" in res.stderr


@pytest.mark.slow
def test_paper_run_configs_dry_run():
    from pathlib import Path

    papers = Path(__file__).resolve().parents[2] / "examples" / "papers"
    names = sorted(p.name for p in papers.glob("*.yaml"))
    assert names == ["icl-vs-ft-small.yaml", "icl-vs-ft.yaml", "label-relationships-small.yaml",
                     "label-relationships.yaml", "tr-tl-small.yaml", "tr-tl.yaml",
                     "where-icl-small.yaml", "where-icl.yaml"]
    for name in names:
        res = _iclab("run", papers / name, "--dry-run")
        assert res.returncode == 0 and " to run, 0 already done" in res.stdout, (name, res.stderr)
