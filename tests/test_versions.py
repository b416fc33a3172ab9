"""Supported dependency releases: one table, pinned to pyproject; clear lines outside it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iclab import versions
from iclab.cli import app
from iclab.versions import (TESTED, UnsupportedVersionError, UntestedVersionWarning,
                            VersionCheck, check_installed, require_supported)

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_ranges() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        name = re.split(r"[<>=!~]", dep, maxsplit=1)[0]
        out[name] = dep[len(name):]
    return out


def test_pyproject_states_the_tested_ranges():
    ranges = _pyproject_ranges()
    for name, (lo, hi) in TESTED.items():
        assert ranges[name] == f">={lo},<{hi}", name


def test_oldest_constraints_pin_every_floor():
    pins = dict(line.split("==") for line in (ROOT / "requirements/oldest.txt").read_text()
                .splitlines() if line and not line.startswith("#"))
    for name, (lo, _) in TESTED.items():
        assert pins[name].startswith(lo), (name, pins[name], lo)


def test_installed_releases_are_inside_the_tested_ranges(monkeypatch):
    import os

    if os.environ.get("ICLAB_UNLOCKED"):
        pytest.skip("make test-latest / test-oldest may install releases outside the ranges")
    statuses = {c.name: c.status for c in check_installed()}
    assert statuses == {name: "ok" for name in TESTED}


@pytest.mark.parametrize("installed, status", [
    ("4.57.6", "too old"), ("5.9.0", "too old"), ("5.10.1", "ok"), ("5.24.0", "ok"),
    ("5.25.0", "untested"), ("5.25.0.dev0", "untested"), ("5.24.1+local", "ok"),
    (None, "missing")])
def test_status(installed, status):
    assert VersionCheck("transformers", installed, "5.10", "5.25").status == status


def test_too_old_is_one_line_naming_both_releases(monkeypatch):
    monkeypatch.setattr(versions, "installed_version",
                        lambda name: "4.55.0" if name == "transformers" else "99")
    require_supported.cache_clear()
    try:
        with pytest.raises(UnsupportedVersionError) as err:
            require_supported()
    finally:
        require_supported.cache_clear()
    msg = str(err.value)
    assert "transformers 4.55.0 is installed" in msg and "transformers>=5.10,<5.25" in msg
    assert "\n" not in msg


def test_untested_release_warns(monkeypatch):
    monkeypatch.setattr(versions, "installed_version",
                        lambda name: "5.30.0" if name == "transformers" else
                        TESTED[name][0] + ".0")
    require_supported.cache_clear()
    try:
        with pytest.warns(UntestedVersionWarning, match=r"transformers 5\.30\.0 is newer"):
            require_supported()
    finally:
        require_supported.cache_clear()


def test_cli_refuses_an_unsupported_transformers_in_one_line(tmp_path):
    """A real interpreter whose transformers reports 4.55.0: one error line, no traceback."""
    code = ("import iclab.versions as v; real = v.installed_version; "
            "v.installed_version = lambda n: '4.55.0' if n == 'transformers' else real(n); "
            "import sys; sys.argv = ['iclab', 'eval', '--task', 'glue-sst2']; "
            "from iclab.cli import run; run()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: transformers 4.55.0 is installed; iclab supports transformers>=5.10,<5.25: "
        "pip install 'transformers>=5.10,<5.25'"]


def _floors(name: str) -> str:
    return TESTED[name][0] + ".0"


def test_doctor_prints_versions_defaults_and_locations(monkeypatch, tmp_path):
    monkeypatch.setenv("ICLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(versions, "installed_version", _floors)  # in range whatever is installed
    res = CliRunner().invoke(app, ["doctor"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    for name in ("iclab", "torch", "transformers", "peft", "accelerate"):
        assert re.search(rf"^{name}\s+\d", out, re.M), name
    assert re.search(r"^device\s+cpu", out, re.M) and re.search(r"^dtype\s+float32", out, re.M)
    assert f"cache        {tmp_path / 'cache'}" in out
    assert "warning" not in res.output


def test_doctor_warns_once_per_untested_dependency(monkeypatch):
    monkeypatch.setattr(versions, "installed_version",
                        lambda n: "0.99.0" if n == "peft" else _floors(n))
    res = CliRunner().invoke(app, ["doctor"])
    warnings = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert res.exit_code == 0
    assert warnings == ["warning: peft 0.99.0 is newer than the releases iclab is tested with "
                        "(peft>=0.18,<0.22); results may differ, run `make test-latest`"]


def test_cache_argument_matches_the_installed_release():
    """The decoder takes the cache under the name compat passes (no deprecated alias)."""
    import inspect

    from transformers import LlamaModel

    from iclab.engine.compat import cache_in_call, cache_kwargs, cache_kwarg_name
    from iclab.models.tiny import tiny_model

    name = cache_kwarg_name()
    assert name in inspect.signature(LlamaModel.forward).parameters
    body = tiny_model("llama").get_decoder()
    assert list(cache_kwargs(body, "C")) == [name]
    assert cache_in_call({"cache": "C"}) == "C" == cache_in_call({"past_key_values": "C"})
    assert cache_in_call({"use_cache": True}) is None


def test_lock_is_what_is_installed():
    """`make test` installs exactly the lock (test-latest / test-oldest set ICLAB_UNLOCKED)."""
    import os

    if os.environ.get("ICLAB_UNLOCKED"):
        pytest.skip("an unlocked environment (make test-latest / test-oldest)")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts/lock.py"), "check",
                           str(ROOT / "requirements/lock.txt")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
