"""Task-recognition paper settings pinned against RUCAIBox/Competitive-ICL.

- ``src/dataset/base_dataset.py`` ``map_example_labels``: after ``random.seed(0)``,
  ``abstract_numbers`` shuffles ``["0", ..., "n-1"]``; ``abstract_letters`` takes
  ``random.sample(string.ascii_uppercase, n)`` and shuffles it (values below from running those
  lines in a scratch script);
- ``src/post_process/competitive_main.py``: TR/TL in % rounded to 2 decimals, soft intensities
  rounded to 2 decimals (the values below from running its comparison on the same inputs);
- ``src/post_process/model-fusion.py``: weights from accuracies 0.38, 0.45 and
  ``random_guess = 0.36``;
- the Pythia checkpoint list of the paper.
"""

from __future__ import annotations

import numpy as np
import pytest

from iclab.analyses.trtl.checkpoints import PAPER_PYTHIA_STEPS, paper_series, parse_checkpoint_arg
from iclab.metrics.competition import competition
from iclab.analyses.trtl.ensemble import fit_weights
from iclab.errors import IclabError
from iclab.prompts.settings import abstract_letters, abstract_numbers, parse_setting

NUMBERS = {2: ("0", "1"), 3: ("0", "2", "1"), 4: ("2", "0", "1", "3"),
           6: ("4", "2", "1", "0", "5", "3")}
LETTERS = {2: ("M", "Y"), 3: ("N", "Y", "M"), 4: ("M", "Y", "B", "N"),
           6: ("M", "I", "Y", "N", "Q", "B")}


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_abstract_numbers_and_letters(n):
    assert abstract_numbers(n) == NUMBERS[n]
    assert abstract_letters(n) == LETTERS[n]


def test_abstract_settings_show_and_score_the_mapping():
    from iclab.data import load_task
    from iclab.prompts.settings import apply_setting

    task = load_task("glue-sst2")
    demos, query = task.split("train")[:3], task.split("test")[0]
    plan = apply_setting(parse_setting("abstract-letters"), task, demos, query, seed=13)
    assert plan.choices == LETTERS[2] and plan.score_against == "shown"
    assert plan.shown == tuple(LETTERS[2][task.label_index(d.label)] for d in demos)
    plan = apply_setting(parse_setting("abstract-numbers"), task, demos, query, seed=13)
    assert plan.choices == NUMBERS[2]


def test_rounded_competition_matches_the_papers():
    tr = [30.1234, 40.456, 35.0, 35.0]
    tl = [60.111, 50.999, 58.0, 58.0]
    comp = competition(tr, tl, 0.1, decimals=2)
    assert comp["intensity"] == [0.88, 0.78, 0.0] and comp["hard"] == [1, 1, 0]
    exact = competition(tr, tl, 0.1)["intensity"]
    assert exact[0] != 0.88 and round(exact[0], 2) == 0.88  # the default stays unrounded


def test_fixed_global_ensemble_weights():
    dev = [np.full((4, 2), 0.5), np.full((4, 2), 0.5)]
    w = fit_weights(dev, [0, 1, 0, 1], "paper-fixed")
    assert np.allclose(w, [0.18181818, 0.81818182])  # (0.38-0.36)/(0.02+0.09), 0.09/0.11


def test_paper_pythia_series():
    assert PAPER_PYTHIA_STEPS[0] == 4000 and PAPER_PYTHIA_STEPS[-1] == 143000
    assert len(PAPER_PYTHIA_STEPS) == 17
    series = parse_checkpoint_arg("paper:pythia-410m")
    assert [c.spec for c in series][:2] == ["EleutherAI/pythia-410m@step4000",
                                            "EleutherAI/pythia-410m@step13000"]
    assert len(paper_series("pythia-12b")) == 17
    with pytest.raises(IclabError, match="MiniCPM"):
        paper_series("minicpm-2b")


def test_natural_language_cells_use_each_datasets_format():
    from iclab.analyses.trtl.checkpoints import Checkpoint
    from iclab.analyses.trtl.run import TrTlConfig, cell_config
    from iclab.prompts import build_prompts
    from iclab.models.tiny import tiny_tokenizer

    ck = Checkpoint("s", 0, "model")
    cfg = TrTlConfig(checkpoints=(ck,), tasks=("glue-sst2",), template="trtl-natural")
    ecfg = cell_config(cfg, ck, "glue-sst2", "random")
    assert ecfg.template == "trtl-natural" and ecfg.labels == "random"
    assert cell_config(TrTlConfig(checkpoints=(ck,), tasks=("trec",)), ck, "trec",
                       "gold").template == "metaicl-minimal"
    # the paper's sst2 query: 'sentence: ...'.strip() + "\nThe sentiment is " (sentiment1)
    from iclab.data import load_task

    task = load_task("glue-sst2")
    p = build_prompts(task, tiny_tokenizer("gpt_neox"), shots=16, seed=13, template=ecfg.template,
                      limit=1)[0]
    query = task.split("test")[0].fields["input"].strip()
    assert p.text.endswith("\n\n\n" + query + "\nThe sentiment is ")
    assert p.text.count("\nThe sentiment is ") == 17
    with pytest.raises(IclabError, match="unknown template"):
        TrTlConfig(checkpoints=(ck,), tasks=("trec",), template="natural")
