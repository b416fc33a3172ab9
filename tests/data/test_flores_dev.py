"""A FLORES dev directory: devtest stays whole (1012 lines) and the dev lines fill train
(1-800) and validation (801 on), as the where-ICL paper's ``bin/prepare-flores.sh`` splits them
(``sed -n '1,800p'`` -> train_split, ``sed -n '801,1000p'`` -> dev) and its
``get_fn_dataset`` maps train/valid/test to train/dev/devtest."""

from __future__ import annotations

from pathlib import Path

import pytest

from iclab import paths
from iclab.analyses.layer_lora.run import LayerLoraConfig, LayerLoraError, run_layer_lora
from iclab.analyses.layers.run import LayersConfig, pool_split
from iclab.data import load_task
from iclab.errors import DataError

DEVTEST = Path(paths.data_dir() or "") / "flores200_devtest"
pytestmark = pytest.mark.skipif(not (DEVTEST / "eng_Latn.devtest").is_file(),
                                reason="no local FLORES devtest")


def _dev_dir(root: Path, n: int = 805, langs=("eng", "fra")) -> Path:
    dev = root / "dev"
    dev.mkdir()
    for lang in langs:
        (dev / f"{lang}_Latn.dev").write_text(
            "".join(f" {lang} sentence {i} \n" for i in range(1, n + 1)), encoding="utf-8")
    return dev


def _lines(lang: str) -> list[str]:
    return (DEVTEST / f"{lang}_Latn.devtest").read_text(encoding="utf-8").splitlines()


def test_dev_fills_train_and_validation_and_devtest_stays_whole(tmp_path):
    task = load_task("flores-eng-fra", flores_dev=_dev_dir(tmp_path))
    train, val, test = task.split("train"), task.split("validation"), task.split("test")
    assert len(train) == 800 and len(val) == 5 and len(test) == 1012
    assert (train[0].fields["source"], train[0].label) == ("eng sentence 1", "fra sentence 1")
    assert train[-1].fields["source"] == "eng sentence 800" and train[-1].meta["line"] == 800
    assert val[0].fields["source"] == "eng sentence 801" and val[0].meta["line"] == 801
    eng, fra = _lines("eng"), _lines("fra")
    assert [e.fields["source"] for e in test] == [x.strip() for x in eng]
    assert [e.label for e in test] == [x.strip() for x in fra]
    assert test[0].meta["target_language"] == "French"
    # without a dev directory the devtest cut stays: 200 pool lines, 812 test lines
    plain = load_task("flores-eng-fra")
    assert len(plain.split("train")) == 200 and len(plain.split("test")) == 812


def test_environment_variable_names_the_dev_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("ICLAB_FLORES_DEV", str(_dev_dir(tmp_path)))
    assert len(load_task("flores-eng-fra").split("test")) == 1012
    assert len(load_task("glue-sst2").split("test")) > 0  # other tasks ignore it


def test_bad_dev_directories(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_task("flores-eng-fra", flores_dev=tmp_path / "nope")
    dev = _dev_dir(tmp_path, langs=("eng",))
    with pytest.raises(DataError, match="fra_Latn.dev not found"):
        load_task("flores-eng-fra", flores_dev=dev)
    (tmp_path / "s").mkdir()
    short = _dev_dir(tmp_path / "s", n=800)
    with pytest.raises(DataError, match="800 lines.*more than 800"):
        load_task("flores-eng-fra", flores_dev=short)
    (dev / "fra_Latn.dev").write_text("one line\n", encoding="utf-8")
    with pytest.raises(DataError, match="eng_Latn.dev has 805 lines but .*fra_Latn.dev has 1"):
        load_task("flores-eng-fra", flores_dev=dev)


def test_paper_presets_use_the_papers_splits(tmp_path):
    task = load_task("flores-eng-fra", flores_dev=_dev_dir(tmp_path))
    assert pool_split(task, LayersConfig.paper()) == "validation"  # its masking pool
    assert pool_split(task, LayersConfig()) == "train"
    assert pool_split(load_task("flores-eng-fra"), LayersConfig.paper()) == "train"
    cfg = LayerLoraConfig.paper()
    assert cfg.eval_split == "validation" and len(task.split(cfg.eval_split)) == 5
    assert len(task.split("train")) >= LayerLoraConfig.paper(n_train=800).n_train


def test_lora_evaluation_without_a_dev_split_says_how_to_get_one():
    from iclab.engine import Engine
    from iclab.models.tiny import tiny_model, tiny_tokenizer

    engine = Engine(tiny_model("llama"), tiny_tokenizer("llama"))
    with pytest.raises(LayerLoraError, match="'validation' split.*ICLAB_FLORES_DEV"):
        run_layer_lora(engine, load_task("flores-eng-fra"), LayerLoraConfig.paper(n_train=8))
