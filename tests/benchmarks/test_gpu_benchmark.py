"""``benchmarks/gpu.py --small --json``: the contract of its last stdout line (a reduced
run: one shape, two prompts per measurement; the real Gemma-3 tokenizer and real data)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"score_speedup_vs_hf", "generate_speedup_vs_hf", "mfu", "layer_sweep_prompts_per_s",
        "bf16_agreement_vs_fp32"}


@pytest.mark.integration
def test_small_json_contract():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--small", "--cpu",
         "--models", "gemma3-270m", "--queries", "2", "--json"],
        capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isinstance(out["device"], str) and out["device"].startswith("cpu")
    assert set(out["models"]) == {"gemma3-270m"}
    fig = out["models"]["gemma3-270m"]
    assert KEYS <= set(fig)
    for key in KEYS:
        assert isinstance(fig[key], (int, float)) and math.isfinite(fig[key]) and fig[key] > 0
    assert 0 < fig["mfu"] < 1 and 0 <= fig["bf16_agreement_vs_fp32"] <= 1
    assert fig["generate_identical"] == 1.0  # fp32: the same greedy tokens as HF generate
    assert fig["score_agreement_vs_hf"] == 1.0 and fig["score_max_logprob_diff_vs_hf"] < 1e-3
