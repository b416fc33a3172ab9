"""``--wandb``: off by default, offline without an API key, one logged row per result row.

wandb is not installed in this environment, so the logger is exercised against a stand-in module
that records the calls (the real package's offline mode is not tested here).
"""

from __future__ import annotations

import sys
import types

import pytest
from runs_support import write_config

from iclab.runs.runner import run_config


class _FakeRun:
    def __init__(self, **kwargs) -> None:
        self.init = kwargs
        self.logged: list[tuple[dict, int]] = []
        self.finished = False

    def log(self, data: dict, step: int) -> None:
        self.logged.append((data, step))

    def finish(self) -> None:
        self.finished = True


def test_wandb_mirrors_each_row_offline_by_default(tmp_path, monkeypatch) -> None:
    runs: list[_FakeRun] = []
    fake = types.ModuleType("wandb")
    fake.init = lambda **kw: runs.append(_FakeRun(**kw)) or runs[-1]
    fake.__spec__ = types.SimpleNamespace(name="wandb")  # so find_spec sees it as installed
    monkeypatch.setitem(sys.modules, "wandb", fake)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    config = write_config(tmp_path, "analysis: prompt-stats\nname: tiny\ngrid: {shots: [0, 2]}\n"
                          "params: {task: antonyms, limit: 3}\n")
    assert run_config(config, tmp_path / "out", progress=False).finished == 2
    assert runs == []  # off by default
    run_config(config, tmp_path / "out2", progress=False, wandb=True)
    (run,) = runs
    assert run.init["mode"] == "offline" and run.init["name"] == "tiny"
    assert run.init["config"]["grid"] == {"shots": [0, 2]} and run.finished
    assert [(d["shots"], step) for d, step in run.logged] == [(0, 0), (2, 1)]
    assert all(isinstance(d["tokens_mean"], float) and len(d["cell"]) == 16
               for d, _ in run.logged)
