"""The ``icl-vs-ft`` analysis in sweeps: rows the report section renders, defaults shared."""

from __future__ import annotations

import torch

from iclab.models.tiny import tiny_model, tiny_tokenizer
from iclab.runs import load_results
from iclab.runs.runner import run_config


def test_icl_vs_ft_cell_rows_render(tmp_path) -> None:
    from iclab.analyses.icl_vs_ft.section import icl_vs_ft_section

    model_dir = tmp_path / "tiny"
    tiny_model("gemma3", seed=1).save_pretrained(model_dir)
    tiny_tokenizer("gemma3").save_pretrained(model_dir)
    config = tmp_path / "run.yaml"
    config.write_text(f"""\
analysis: icl-vs-ft
grid:
  seed: [0]
params:
  model: {model_dir}
  tasks: [relation]
  splits: [normal, misleading]
  shots: [0, 1]
  samples: [1]
  methods: [lora]
  ft_shots: [0]
  n_test: 2
  n_circuit: 1
""", encoding="utf-8")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert run_config(config, tmp_path / "run", progress=False).finished == 1
    finally:
        torch.set_num_threads(before)
    df = load_results(tmp_path / "run", analysis="icl-vs-ft")
    table = df[df["accuracy"].notna()]
    assert sorted(set(table["method"])) == ["ICL best", "LoRA n=1", "base 0-shot"]
    assert len(table) == 2 * 3
    heat = df[df["head"].notna()]
    assert set(heat["method"]) == {"ICL", "LoRA n=1"}
    assert set(heat["measure"]) == {"head output change", "MLP output change",
                                    "patching recovery"}
    section = icl_vs_ft_section(df, {"config_keys": []})
    assert [type(b).__name__ for b in section.blocks].count("Table") == 1


def test_example_config_expands() -> None:
    from pathlib import Path

    from iclab.runs import expand
    from iclab.runs.config import load_config

    path = Path(__file__).parents[2] / "examples" / "icl-vs-ft.yaml"
    (cell,) = expand(load_config(path))
    assert cell["tasks"] == ["expression", "code", "relation", "boolean", "parity", "algebra"]


def test_cell_defaults_are_the_librarys() -> None:
    from iclab.analyses.icl_vs_ft.run import IclVsFtConfig
    from iclab.analyses.icl_vs_ft.sweep import IclVsFtCell, config_of, estimate_cost

    cell = IclVsFtCell().model_dump()
    assert config_of(cell) == IclVsFtConfig()
    assert config_of({**cell, "samples": [3]}).samples == (3,)
    assert estimate_cost(cell) > 60
