"""The ``eval`` analysis in sweeps gives exactly ``iclab eval``'s per-seed accuracy."""

from __future__ import annotations

import pandas as pd
import pytest
from runs_support import write_config

from iclab.runs import ConfigError, expand, load_results, parse_config
from iclab.runs.runner import run_config


@pytest.fixture(scope="module")
def tiny_dir(tiny_dir_of):
    return tiny_dir_of("gemma3", seed=3)


@pytest.mark.parametrize("scoring", ["rank", "generate"])
def test_eval_cells_match_iclab_eval(tiny_dir, tmp_path, scoring) -> None:
    from iclab.analyses.eval.run import EvalConfig, run_eval

    config = write_config(tmp_path, f"""\
analysis: eval
grid:
  seed: [1, 2, 3]
params:
  model: {tiny_dir}
  task: word-sentiment
  shots: 3
  template: default
  scoring: {scoring}
  max_new_tokens: 4
  limit: 12
""")
    assert run_config(config, tmp_path / "run", progress=False).finished == 3
    df = load_results(tmp_path / "run")
    summary = run_eval(EvalConfig(model=tiny_dir, task="word-sentiment", shots=3,
                                  seeds=(1, 2, 3), template="default", scoring=scoring,
                                  max_new_tokens=4, limit=12), tmp_path / "eval")
    expected = {int(s): v["accuracy"] for s, v in summary["accuracy_per_seed"].items()}
    assert dict(zip(df["seed"], df["accuracy"])) == expected
    assert (df["n"] == 12).all() and (df["n_correct"] == df["accuracy"] * 12).all()
    # the same prompts (a random model generates no label word, so under `generate` the
    # accuracies are all 0 and this is the check that matters)
    samples = pd.read_json(tmp_path / "eval" / "samples.jsonl", lines=True)
    lengths = samples.groupby("seed")["n_prompt_tokens"].mean().to_dict()
    assert dict(zip(df["seed"], df["prompt_tokens_mean"])) == lengths
    assert len(set(lengths.values())) > 1  # the seeds' demos differ


def test_eval_defaults_are_iclab_evals() -> None:
    from iclab.analyses.eval.run import EvalConfig

    (cell,) = expand(parse_config({"analysis": "eval", "grid": {"task": ["antonyms"]}}))
    ref = EvalConfig()
    for key in ("model", "shots", "labels", "template", "scoring", "mode", "limit",
                "max_new_tokens", "dtype"):
        assert cell[key] == getattr(ref, key), key
    assert cell["seed"] in ref.seeds


def test_eval_cells_are_checked_up_front() -> None:
    for params, msg in [({"scoring": "vote"}, "params.scoring"), ({"dtype": "fp8"}, "params.dtype"),
                        ({"template": "nope"}, "unknown template")]:
        with pytest.raises(ConfigError, match=msg):
            expand(parse_config({"analysis": "eval", "grid": {"task": ["antonyms"]},
                                 "params": params}))
