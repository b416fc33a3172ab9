"""The OpenMP wait policy is chosen from the machine's load, never over the user's choice."""

from __future__ import annotations

import os
import subprocess
import sys

from iclab.openmp import choose_wait_policy, configure_openmp, cpu_busy


def test_busy_machine_gets_passive_waiting_idle_keeps_default():
    assert choose_wait_policy({}, busy_cores=1.2) == "PASSIVE"
    assert choose_wait_policy({}, busy_cores=0.5) == "PASSIVE"
    assert choose_wait_policy({}, busy_cores=0.1) is None
    assert choose_wait_policy({}, busy_cores=None) is None  # unknown load: OpenMP's default


def test_user_choice_is_never_overridden():
    assert choose_wait_policy({"OMP_WAIT_POLICY": "ACTIVE"}, busy_cores=2.0) is None
    assert choose_wait_policy({"GOMP_SPINCOUNT": "1000"}, busy_cores=2.0) is None
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    assert configure_openmp(env) == "ACTIVE" and env["OMP_WAIT_POLICY"] == "ACTIVE"


def test_after_torch_is_loaded_nothing_changes():
    import torch  # noqa: F401  (OpenMP has read its settings by now)

    env: dict[str, str] = {}
    assert configure_openmp(env) == "default" and env == {}


def test_cpu_busy_reads_this_linux_machine():
    busy = cpu_busy(0.05)
    assert busy is not None and 0.0 <= busy <= (os.cpu_count() or 1) + 1e-9


def test_a_fresh_process_with_a_busy_cpu_sleeps_its_threads():
    """Two busy-looping children keep the CPU loaded; a fresh interpreter then picks PASSIVE,
    and the choice is made once per process tree."""
    spin = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        code = ("import os; from iclab.openmp import configure_openmp; "
                "print(configure_openmp(), os.environ.get('ICLAB_OPENMP_CHECKED'))")
        env = {k: v for k, v in os.environ.items()
               if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "ICLAB_OPENMP_CHECKED")}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, timeout=60).stdout.split()
    finally:
        for p in spin:
            p.kill()
    assert out == ["PASSIVE", "1"]
