"""The iclab command line: version, model listing, errors without tracebacks."""

import subprocess
import sys

import pytest

from typer.testing import CliRunner

from iclab import __version__
from iclab.cli import app

runner = CliRunner()


def test_version():
    import torch
    import transformers

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"iclab {__version__} (torch {torch.__version__.split('+')[0]}")
    assert f"transformers {transformers.__version__}" in first


def test_models_lists_bundled():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    assert "gemma-3-270m" in result.stdout and "smollm2-135m" in result.stdout
    assert "Cache (" in result.stdout


@pytest.mark.slow
def test_bad_model_is_one_line_error():
    proc = subprocess.run(
        [sys.executable, "-c", "from iclab.cli import run; run()", "models", "check", "nosuch"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: unknown model: 'nosuch'")
    assert "Traceback" not in proc.stderr
