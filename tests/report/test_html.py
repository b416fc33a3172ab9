"""The HTML page: escaping, table of contents, self-containment, atomic writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from iclab.report import Code, ReportError, ReportMeta, Section, Table, Text, build_report
from iclab.report.blocks import format_cell, png_size, slug
from iclab.report.page import render_page, write_atomic

EVIL = '<img src=x onerror="alert(1)"> & "quotes"'


def meta(**kw) -> ReportMeta:
    return ReportMeta(title=kw.pop("title", "test report"), config="analysis: eval\n",
                      versions={"iclab": "0.1.0"}, machines=["host-a"], **kw)


def test_every_data_string_is_escaped() -> None:
    section = Section(EVIL, [Text(EVIL), Code(EVIL, title=EVIL),
                             Table([EVIL], [[EVIL]], caption=EVIL)], intro=EVIL)
    page = render_page([section], meta(title=EVIL, extra={EVIL: EVIL}))
    assert "<img src=x" not in page and 'onerror="alert' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;quotes&quot;" in page


def test_page_has_toc_titles_and_run_info() -> None:
    sections = [Section("Alpha results", [Text("a")]), Section("Beta results", [Text("b")])]
    page = render_page(sections, meta())
    for title, anchor in (("Run information", "run-information"),
                          ("Alpha results", "alpha-results"), ("Beta results", "beta-results")):
        assert f'<a href="#{anchor}">{title}</a>' in page
        assert f'<section id="{anchor}"><h2>{title}</h2>' in page
    assert "analysis: eval" in page and "host-a" in page
    assert "produced the results" in page and "wrote this report" in page


def test_page_refers_to_no_other_resource() -> None:
    page = render_page([Section("S", [Text("see https://example.org in text is data")])],
                       meta())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "url(" not in page


def test_duplicate_section_ids_are_refused() -> None:
    with pytest.raises(ReportError, match="share the id"):
        render_page([Section("Same"), Section("Same")], meta())


def test_table_rows_must_match_columns() -> None:
    with pytest.raises(ValueError, match="row 0 has 1 cells for 2 columns"):
        Table(["a", "b"], [["x"]])


def test_key_value_table_has_no_header_row() -> None:
    assert "<thead>" not in Table(["", ""], [["k", "v"]]).to_html()


def test_format_cell() -> None:
    assert format_cell(0.123456) == "0.123"
    assert format_cell(float("nan")) == "—"
    assert format_cell(None) == "—"
    assert format_cell(pd.NA) == "—"
    assert format_cell(3) == "3"
    assert format_cell(1234567.0) == "1,234,567"
    assert format_cell(0.00001234) == "1.23e-05"


def test_slug_and_png_size() -> None:
    assert slug("ICL vs fine-tuning!") == "icl-vs-fine-tuning"
    assert slug("???") == "section"
    with pytest.raises(ValueError):
        png_size(b"not a png")


def test_build_report_writes_atomically(tmp_path: Path) -> None:
    out = build_report([Section("Only", [Text("x")])], meta(), tmp_path / "a" / "r.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.html"]  # no temp file left
    assert oct(out.stat().st_mode & 0o777) == "0o644"


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "r.html"
    out.write_text("old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ReportError, match="No space left"):
        write_atomic("new", out)
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_output_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReportError, match="cannot write the report"):
        write_atomic("x", tmp_path / "file" / "r.html")
