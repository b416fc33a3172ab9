"""Running configs in process: resume, failures, dry runs, loading and exporting results."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from runs_support import SMALL_GRID, write_config
from iclab.runs import load_results, register_analysis
from iclab.runs.cellexec import BadRowsError, check_rows, order_by_model
from iclab.runs.config import Cell, ConfigError
from iclab.runs.registry import get_analysis
from iclab.runs.results import export, load_cells
from iclab.runs.runner import describe, execute, plan, run_config
from iclab.runs.store import ResultStore, StoreError


def test_reference_run_loads_one_row_per_cell_with_config_columns(reference_run) -> None:
    _, out = reference_run
    df = load_results(out)
    assert len(df) == 40 and df["cell"].is_unique
    assert {"cell", "analysis", "task", "shots", "seed", "model", "limit", "template",
            "tokens_mean", "demo_tokens_mean", "context_window"} <= set(df.columns)
    assert list(df.columns[:2]) == ["cell", "analysis"]
    one = df[(df.task == "word-sentiment") & (df.seed == 1)].set_index("shots")
    assert one.loc[0, "demo_tokens_mean"] == 0
    assert list(one["tokens_mean"]) == sorted(one["tokens_mean"])  # grows with k
    assert (df["context_window"] == 32768).all() and (df["n_over_context"] == 0).all()
    assert (df["n_prompts"] <= 20).all()
    cells = load_cells(out)
    assert len(cells) == 40 and (cells["n_rows"] == 1).all()
    assert cells["version_torch"].str.startswith("2.").all()


def test_rerun_skips_finished_cells_and_extension_runs_only_new_ones(reference_run,
                                                                     tmp_path) -> None:
    config, ref_out = reference_run
    out = tmp_path / "out"
    small = write_config(tmp_path, SMALL_GRID.replace("seed: [1, 2, 3, 4]", "seed: [1]"))
    assert run_config(small, out, progress=False).finished == 10
    with ResultStore(out) as store:
        before = {c["cell_id"]: c["finished_at"] for c in store.cells()}
    p = plan(config, out)
    assert len(p.pending) == 30 and "30 to run, 10 already done" in describe(p)
    assert execute(p, out, progress=False).finished == 30
    assert run_config(config, out, progress=False).finished == 0
    with ResultStore(out) as store:
        after = {c["cell_id"]: c["finished_at"] for c in store.cells()}
    assert {k: after[k] for k in before} == before  # finished cells were not recomputed
    pd.testing.assert_frame_equal(load_results(out), load_results(ref_out))


def _flaky_cell(cell: dict, ctx) -> list[dict]:
    if cell["x"] == 2 and not cell.get("fixed"):
        raise RuntimeError("cell 2 is broken")
    return [{"y": cell["x"] * 10, "part": i} for i in range(cell["x"])]


register_analysis("test-flaky", _flaky_cell, model_keys=())


def test_a_failing_cell_is_recorded_and_the_rest_are_kept(tmp_path) -> None:
    config = write_config(tmp_path, "analysis: test-flaky\ngrid: {x: [1, 2, 3]}\n")
    summary = execute(plan(config, tmp_path / "out"), tmp_path / "out", progress=False)
    assert summary.finished == 2 and [c["x"] for c, _ in summary.failed] == [2]
    assert "RuntimeError: cell 2 is broken" in summary.failed[0][1]
    df = load_results(tmp_path / "out")
    assert list(df["y"]) == [10, 30, 30, 30] and list(df["part"]) == [0, 0, 1, 2]
    with ResultStore(tmp_path / "out") as store:
        assert [f["error"] for f in store.failures()] == ["RuntimeError: cell 2 is broken"]
    assert len(plan(config, tmp_path / "out").pending) == 1  # retried by the next run


def test_rows_are_checked() -> None:
    cell = Cell("a", {"x": 1})
    assert check_rows([{"x": 1, "y": 2}], cell, "a") == [{"x": 1, "y": 2}]
    for bad, msg in [({"y": 1}, "not a list"), ([3], "not a dict"), ([{"x": 2}], "clashes"),
                     ([{"cell": 1}], "reserved key"), ([{"y": object()}], "not JSON")]:
        with pytest.raises((BadRowsError, TypeError), match=msg):
            check_rows(bad, cell, "a")


def test_cells_sharing_a_model_run_back_to_back() -> None:
    analysis = get_analysis("prompt-stats")
    cells = [Cell("prompt-stats", {"model": m, "k": i}, i)
             for i, m in enumerate(["a", "b", "a", "c", "b"])]
    assert [c["k"] for c in order_by_model(cells, analysis)] == [0, 2, 1, 4, 3]


def test_dry_run_lists_cells_and_estimates(reference_run) -> None:
    config, out = reference_run
    text = describe(plan(config, out))
    assert "analysis prompt-stats: 40 cells over task, shots, seed" in text
    assert "0 to run, 40 already done; 0 model(s) to load; estimated 0 s" in text
    assert text.count("  done  ") == 40
    fresh = describe(plan(config, out.parent / "nothing-here"))
    assert "40 to run, 0 already done; 1 model(s) to load" in fresh and not (out.parent / "nothing-here").exists()


def test_bad_input_creates_nothing(tmp_path, monkeypatch) -> None:
    bad = write_config(tmp_path, "analysis: prompt-stats\ngrid: {shots: [-1]}\n"
                       "params: {task: antonyms}\n")
    with pytest.raises(ConfigError):
        plan(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    good = write_config(tmp_path, SMALL_GRID, "good.yaml")
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create output directory"):
        run_config(good, blocker / "out", progress=False)
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("ray", "wandb") else real(name, *a))
    for kwargs, msg in [({"executor": "ray"}, "needs Ray"), ({"wandb": True}, "needs Weights")]:
        with pytest.raises(ConfigError, match=msg):
            run_config(good, tmp_path / "out", progress=False, **kwargs)
    assert not (tmp_path / "out").exists()


def test_export_csv_and_parquet(reference_run, tmp_path, monkeypatch) -> None:
    _, out = reference_run
    written = export(out, csv=tmp_path / "r.csv", parquet=tmp_path / "r.parquet")
    assert [p.name for p in written] == ["r.csv", "r.parquet"]
    from_csv = pd.read_csv(tmp_path / "r.csv")
    assert len(from_csv) == 40 and list(from_csv["cell"]) == list(load_results(out)["cell"])
    pytest.importorskip("pyarrow")
    assert len(pd.read_parquet(tmp_path / "r.parquet")) == 40
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(StoreError, match="parquet export needs pyarrow"):
        export(out, parquet=tmp_path / "x.parquet")


def test_load_results_errors(tmp_path) -> None:
    with pytest.raises(StoreError, match="holds no iclab results"):
        load_results(tmp_path)


def test_import_iclab_stays_light() -> None:
    code = textwrap.dedent("""\
        import sys, iclab
        heavy = [m for m in ("pandas", "torch", "transformers", "pydantic") if m in sys.modules]
        assert not heavy, heavy
        assert callable(iclab.load_results) and "pandas" not in sys.modules
        """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _double(cell: dict, ctx) -> list[dict]:
    return [{"y": cell["x"] * 2}]


register_analysis("test-double", _double, model_keys=())


def test_a_run_directory_refuses_another_config(tmp_path) -> None:
    """Another analysis or other params into one --out: refused, unless --append/--force-new;
    more values on a grid axis extend the same experiment."""
    out = tmp_path / "out"
    first = write_config(tmp_path, "analysis: test-flaky\ngrid: {x: [1, 3]}\n"
                         "params: {fixed: true}\n", "a.yaml")
    assert run_config(first, out, progress=False).finished == 2
    longer = write_config(tmp_path, "analysis: test-flaky\ngrid: {x: [1, 3, 4]}\n"
                          "params: {fixed: true}\n", "b.yaml")
    assert run_config(longer, out, progress=False).finished == 1
    other_params = write_config(tmp_path, "analysis: test-flaky\ngrid: {x: [1]}\n"
                                "params: {fixed: false}\n", "c.yaml")
    other_analysis = write_config(tmp_path, "analysis: test-double\ngrid: {x: [1]}\n", "d.yaml")
    for config, what in [(other_params, "differs in params"),
                         (other_analysis, "differs in analysis, params")]:
        with pytest.raises(ConfigError, match=f"holds results of config .*{what}.*--append"):
            run_config(config, out, progress=False)
        assert "running needs --append or --force-new" in describe(plan(config, out))
    assert len(load_results(out)) == 8  # untouched
    assert run_config(other_analysis, out, progress=False, on_conflict="append").finished == 1
    assert set(load_results(out)["analysis"]) == {"test-flaky", "test-double"}
    assert run_config(other_analysis, out, progress=False).finished == 0  # now accepted
    assert run_config(other_params, out, progress=False, on_conflict="force-new").finished == 1
    assert list(load_results(out)["analysis"]) == ["test-flaky"] and len(load_results(out)) == 1
    moved = list(out.glob("results.replaced-*.sqlite"))
    assert len(moved) == 1
    import sqlite3

    old = sqlite3.connect(moved[0])
    assert old.execute("SELECT count(*) FROM rows").fetchone()[0] == 9  # nothing lost
    old.close()
    with ResultStore(out) as fresh:
        assert len(fresh.configs()) == 1
    with pytest.raises(ConfigError, match="holds results of config"):
        run_config(first, out, progress=False)
