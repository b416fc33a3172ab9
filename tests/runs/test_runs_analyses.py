"""The curves and tr-tl analyses in sweeps give the same numbers as their library paths."""

from __future__ import annotations

import numpy as np
import pytest
from runs_support import write_config

from iclab.analyses.curves.run import CurvesConfig, run_curves
from iclab.data import load_task
from iclab.engine import Engine
from iclab.models.tiny import tiny_model, tiny_tokenizer
from iclab.runs import load_results
from iclab.runs.runner import run_config


@pytest.fixture(scope="module")
def tiny_dir(tiny_dir_of):
    return tiny_dir_of("llama", seed=5)


@pytest.mark.slow
def test_curves_cells_match_run_curves(tiny_dir, tmp_path):
    config = write_config(tmp_path, f"""\
analysis: curves
grid:
  setting: [default, random]
  repeat: [0, 1]
params:
  model: {tiny_dir}
  task: word-sentiment
  template: default
  shots: 6
""")
    assert run_config(config, tmp_path / "run", progress=False).finished == 4
    df = load_results(tmp_path / "run")
    assert len(df) == 4 * 6 and set(df["position"]) == set(range(6))
    ref = run_curves(Engine(tiny_model("llama", seed=5), tiny_tokenizer("llama")),
                     load_task("word-sentiment"),
                     CurvesConfig(settings=("default", "random"), repeats=2, shots=6,
                                  template="default", label_mass=True))
    for setting in ("default", "random"):
        for metric in ("loglik", "accuracy", "entropy", "label_mass"):
            got = (df[df["setting"] == setting].sort_values(["repeat", "position"])[metric]
                   .to_numpy().reshape(2, 6))
            np.testing.assert_allclose(got, ref.values[setting][metric], atol=1e-5)


def test_trtl_cells_carry_setting_and_step(tiny_dir, tmp_path):
    config = write_config(tmp_path, f"""\
analysis: tr-tl
grid:
  setting: [gold, random, abstract]
params:
  model: {tiny_dir}
  step: 500
  task: word-sentiment
  shots: 4
  scoring: rank
  limit: 8
""")
    assert run_config(config, tmp_path / "run", progress=False).finished == 3
    df = load_results(tmp_path / "run")
    assert sorted(df["setting"]) == ["abstract", "gold", "random"]
    assert (df["step"] == 500).all() and (df["n"] == 8).all()
    assert df["accuracy"].between(0, 1).all()


def test_trtl_step_from_revision_or_zero():
    from iclab.runs import expand, parse_config

    cells = expand(parse_config({"analysis": "tr-tl", "grid": {
        "revision": ["step4000", None], "setting": ["gold"]}, "params": {"task": "trec"}}))
    assert [c["step"] for c in cells] == [4000, 0]


def test_layers_cells_match_run_layers(tiny_dir, tmp_path):
    from iclab.analyses.layers.run import LayersConfig, run_layers
    from iclab.models import load_model

    config = write_config(tmp_path, f"""\
analysis: layers
grid:
  mask: [examples, "instructions,examples"]
params:
  model: {tiny_dir}
  task: word-sentiment
  instruction: "Sentiment:"
  shots: 3
  n: 6
""")
    assert run_config(config, tmp_path / "run", progress=False).finished == 2
    df = load_results(tmp_path / "run")
    assert len(df) == 2 * 5 and set(df["layer"]) == set(range(5))  # 4 layers + baseline
    ref = run_layers(Engine(load_model(tiny_dir)), load_task("word-sentiment"),
                     LayersConfig(masks=("examples",), shots=3, n=6, instruction="Sentiment:"), "x")
    got = df[df["mask"] == "examples"].sort_values("layer")["score"].tolist()
    assert got == [r["score"] for r in sorted(ref, key=lambda r: r["layer"])]


def test_curves_cells_score_the_query_with_instructions(tiny_dir, tmp_path):
    """The cell fields added later (task_instruction, instruction, query) reach the analysis:
    rows carry the query's metrics as `iclab curves --query` computes them; cells that leave
    them unset keep the ids they had before the fields existed."""
    from iclab.analyses.curves.sweep import CurvesCell
    from iclab.runs.config import cell_id

    config = write_config(tmp_path, f"""\
analysis: curves
grid:
  setting: [default]
params:
  model: {tiny_dir}
  task: lr-sst2
  shots: 4
  query: true
  task_instruction: true
""")
    assert run_config(config, tmp_path / "run", progress=False).finished == 1
    df = load_results(tmp_path / "run")
    ref = run_curves(Engine(tiny_model("llama", seed=5), tiny_tokenizer("llama")),
                     load_task("lr-sst2"),
                     CurvesConfig(settings=("default",), repeats=1, shots=4, query=True,
                                  task_instruction=True))
    for metric in ("query_accuracy", "query_loglik", "query_loglik_calibrated"):
        np.testing.assert_allclose(df[metric], float(ref.query["default"][metric][0]),
                                   atol=1e-5)
    np.testing.assert_allclose(df.sort_values("position")["loglik"],
                               ref.values["default"]["loglik"][0], atol=1e-5)
    plain = CurvesCell(task="lr-sst2", setting="default").model_dump(mode="json")
    assert "query" not in plain and "instruction" not in plain
    assert cell_id("curves", plain) == cell_id("curves", {
        "model": plain["model"], "revision": None, "dtype": None, "task": "lr-sst2",
        "setting": "default", "repeat": 0, "demos": None, "template": "label-relationships",
        "sampling": "iid", "preset": "iclab", "flip_at": None})
