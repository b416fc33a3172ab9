"""The demo runs all four analyses into one run directory and writes the report (tiny model)."""

import re

import pytest

import torch

from iclab.demo import demo_configs, run_demo
from iclab.models.tiny import tiny_model, tiny_tokenizer
from iclab.runs import load_results
from iclab.runs.store import ResultStore


@pytest.mark.slow
def test_demo_runs_every_analysis_and_reports(tmp_path):
    model_dir = tmp_path / "tiny"
    tiny_model("llama", seed=1).save_pretrained(model_dir)
    tiny_tokenizer("llama").save_pretrained(model_dir)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        report = run_demo(tmp_path / "demo", model=str(model_dir), progress=False,
                          echo=lambda _: None)
    finally:
        torch.set_num_threads(threads)
    assert [p.name for p in demo_configs()] == ["curves.yaml", "tr-tl.yaml", "tr-tl-series.yaml",
                                                "layers.yaml", "icl-vs-ft.yaml"]
    with ResultStore(tmp_path / "demo") as store:
        assert store.failures() == []
    df = load_results(tmp_path / "demo")
    assert set(df["analysis"]) == {"curves", "tr-tl", "layers", "icl-vs-ft"}
    html = report.read_text(encoding="utf-8")
    titles = re.findall(r"<h2[^>]*>([^<]*)</h2>", html)
    assert len(titles) >= 5 and "Run information" in titles  # run info + four analyses
    assert "class=\"error\"" not in html
