"""`iclab icl-vs-ft`, the `icl-vs-ft` sweep cell and IclVsFtConfig agree on every default."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from defaults_helpers import assert_options_default_to_none, cli_config

from iclab.analyses.icl_vs_ft.cli import icl_vs_ft_command
from iclab.analyses.icl_vs_ft.config import IclVsFtConfig
from iclab.analyses.icl_vs_ft.sweep import IclVsFtCell, config_of

ENTRY = "iclab.analyses.icl_vs_ft.run:run_icl_vs_ft"


def test_cli_options_default_to_the_config() -> None:
    assert_options_default_to_none(icl_vs_ft_command, IclVsFtConfig,
                                   renames={"split": "splits", "method": "methods"},
                                   not_config=("model", "out", "as_json", "device", "dtype"))


def test_sweep_cell_options_are_config_fields_left_to_the_config() -> None:
    """The cell copies no default: None means the config's (or the paper preset's)."""
    fields = {f.name for f in dataclasses.fields(IclVsFtConfig)}
    for name, info in IclVsFtCell.model_fields.items():
        if name in ("model", "revision", "dtype"):
            continue
        assert name in fields, f"cell field {name!r} is no IclVsFtConfig field"
        assert info.default is None, f"cell field {name!r} defaults to {info.default!r}"
    cell = IclVsFtCell().model_dump()
    assert config_of(cell) == IclVsFtConfig()
    assert config_of({**cell, "preset": "paper"}) == IclVsFtConfig.paper()


def test_the_verb_builds_the_config(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    out = ["-o", str(tmp_path / "o")]
    assert cli_config(monkeypatch, ["icl-vs-ft", *out], ENTRY, IclVsFtConfig) == IclVsFtConfig()
    cfg = cli_config(monkeypatch, ["icl-vs-ft", *out, "--tasks", "parity", "--split", "normal",
                                   "--shots", "0", "--shots", "2", "--samples", "3",
                                   "--no-patching"], ENTRY, IclVsFtConfig)
    assert cfg == IclVsFtConfig(tasks=("parity",), splits=("normal",), shots=(0, 2),
                                samples=(3,), patching=False)


def test_paper_preset_builds_the_paper_config(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    out = ["-o", str(tmp_path / "o")]
    cfg = cli_config(monkeypatch, ["icl-vs-ft", "--preset", "paper", *out], ENTRY, IclVsFtConfig)
    assert cfg == IclVsFtConfig.paper()
    cfg = cli_config(monkeypatch, ["icl-vs-ft", "--preset", "paper", "--n-test", "3", *out],
                     ENTRY, IclVsFtConfig)
    assert cfg == IclVsFtConfig.paper(n_test=3)


def test_help_quotes_the_configs_samples() -> None:
    """The resolved drift: the help said "default 4 16" where the config has (1, 4)."""
    from typer.testing import CliRunner

    from iclab.cli import app

    text = " ".join(CliRunner().invoke(app, ["icl-vs-ft", "--help"],
                                       env={"COLUMNS": "400"}).output.split())
    assert "Fine-tuning pairs per task. (repeat; default: 1 4; --preset paper: 1000)" in text
    assert IclVsFtConfig().samples == (1, 4)


def test_config_module_is_light() -> None:
    code = ("import sys, iclab.analyses.icl_vs_ft.config, iclab.analyses.trtl.config, "
            "iclab.analyses.curves.config; "
            "print(sorted(m for m in ('torch', 'transformers', 'iclab.engine') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
