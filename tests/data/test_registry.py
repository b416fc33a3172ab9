"""Registry behaviour that needs no local data: names, suggestions, the hub fallback."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from iclab.data import list_tasks, load_task
from iclab.errors import DataError


def test_unknown_name_suggests_close_names() -> None:
    with pytest.raises(DataError, match=r"unknown task 'glue-sst'; did you mean 'glue-sst2'"):
        load_task("glue-sst")
    with pytest.raises(DataError, match="unknown task family"):
        list_tasks("nope")


def test_families() -> None:
    assert len(list_tasks("label-relationships")) == 9
    assert "flores-eng-fra" in list_tasks("generation")
    assert "wmt14-en-de" in list_tasks("generation")


def test_hub_path_without_datasets_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    real_import = builtins.__import__

    def no_datasets(name, *args, **kwargs):
        if name == "datasets" or name.startswith("datasets."):
            raise ImportError("No module named 'datasets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_datasets)
    # an empty data directory: nothing local, so the hub path runs
    with pytest.raises(DataError, match=r"pip install 'iclab\[hub\]'"):
        load_task("lr-ag_news", data_dir=tmp_path)
    with pytest.raises(DataError, match=r"pip install 'iclab\[hub\]'"):
        load_task("glue-sst2", data_dir=tmp_path)


def test_missing_data_dir_argument(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_task("glue-sst2", data_dir=tmp_path / "nope")
