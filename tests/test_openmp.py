"""The OpenMP wait policy is chosen from the machine's load, never over the user's choice."""

from __future__ import annotations

import os
import subprocess
import sys

from iclab.openmp import choose_wait_policy, configure_openmp, cpu_busy


def test_busy_machine_gets_passive_waiting_idle_keeps_default():
    assert choose_wait_policy(busy_cores=1.2) == "PASSIVE"
    assert choose_wait_policy(busy_cores=0.5) == "PASSIVE"
    assert choose_wait_policy(busy_cores=0.1) is None
    assert choose_wait_policy(busy_cores=None) is None  # unknown load: OpenMP's default


def test_after_torch_is_loaded_nothing_changes():
    import torch  # noqa: F401  (OpenMP has read its settings by now)

    env: dict[str, str] = {}
    assert configure_openmp(env) == "default" and env == {}


def test_cpu_busy_reads_this_linux_machine():
    busy = cpu_busy(0.05)
    assert busy is not None and 0.0 <= busy <= (os.cpu_count() or 1) + 1e-9


def test_a_fresh_process_with_a_busy_cpu_sleeps_its_threads_unless_the_user_chose():
    """Two busy-looping children keep the CPU loaded; a fresh interpreter (torch not loaded)
    then picks PASSIVE and records that it chose, while one given a policy keeps it."""
    spin = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    code = ("import os; from iclab.openmp import configure_openmp; "
            "print(configure_openmp(), os.environ.get('ICLAB_OPENMP_CHECKED'))")
    base = {k: v for k, v in os.environ.items()
            if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "ICLAB_OPENMP_CHECKED")}

    def run(**extra: str) -> list[str]:
        return subprocess.run([sys.executable, "-c", code], env={**base, **extra},
                              capture_output=True, text=True, check=True,
                              timeout=60).stdout.split()

    try:
        chosen = run()
        active = run(OMP_WAIT_POLICY="ACTIVE")
        spincount = run(GOMP_SPINCOUNT="1000")
    finally:
        for p in spin:
            p.kill()
    assert chosen == ["PASSIVE", "1"]
    assert active == ["ACTIVE", "None"] and spincount == ["default", "None"]
