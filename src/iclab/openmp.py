"""Choose how idle OpenMP threads wait, before torch loads OpenMP.

PyTorch's CPU kernels run in OpenMP parallel regions. Between regions, libgomp's worker
threads spin for a while by default before they sleep. Measured on a 2-core machine
(BENCHMARKS.md, "OpenMP wait policy"), scoring 64 sst2 queries with gemma-3-270m took:

- idle machine: 2.3-2.7 s with the default (spinning) policy, 3.0-3.7 s with
  ``OMP_WAIT_POLICY=PASSIVE`` (threads sleep at once and pay a wake-up per region);
- one other busy process: 9.5-12.3 s spinning, 4.9-5.5 s passive (a spinning worker that the
  kernel deschedules makes every parallel region wait for it).

So :func:`configure_openmp` keeps OpenMP's default on an idle machine and asks for passive
waiting when other processes are using the CPU, in a 0.1 s sample and again in a 0.2 s one
(a process merely starting beside this one, like the other end of a shell pipe, is not
load). A policy set by the user (``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``) is never changed. The variable is read once, when
torch first loads OpenMP, so this must run before ``import torch``; afterwards it does nothing.
"""

from __future__ import annotations

import os
import sys
import time
from typing import MutableMapping

#: Other processes' CPU use, in cores, from which idle threads should sleep instead of spin.
BUSY_CORES = 0.5
_CHECKED = "ICLAB_OPENMP_CHECKED"


def cpu_busy(sample_s: float = 0.1) -> float | None:
    """Cores in use by all processes over a short sample (Linux ``/proc/stat``), or None."""
    def read() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields[:8]), idle

    try:
        total0, idle0 = read()
        time.sleep(sample_s)
        total1, idle1 = read()
    except (OSError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    cores = os.cpu_count() or 1
    return cores * (1 - (idle1 - idle0) / (total1 - total0))


def choose_wait_policy(busy_cores: float | None, threshold: float = BUSY_CORES) -> str | None:
    """``"PASSIVE"`` when other processes keep ``threshold`` cores busy, else None (keep
    OpenMP's default), also when the load is unknown."""
    return "PASSIVE" if busy_cores is not None and busy_cores >= threshold else None


def configure_openmp(env: MutableMapping[str, str] | None = None) -> str:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` on a busy machine (before torch is imported).

    Nothing is sampled or set when torch is already loaded, when the user chose a policy, or
    when a parent process already chose (the CLI's own work is not load).

    Returns:
        The policy in effect: the user's ``OMP_WAIT_POLICY``, ``"PASSIVE"`` when set here,
        or ``"default"``.
    """
    env = os.environ if env is None else env
    user_set = "OMP_WAIT_POLICY" in env or "GOMP_SPINCOUNT" in env
    if "torch" in sys.modules or user_set or env.get(_CHECKED) == "1":
        return env.get("OMP_WAIT_POLICY", "default")
    policy = choose_wait_policy(cpu_busy())  # 0.1 s at start-up
    if policy is not None:  # confirm: not just a process starting beside this one
        time.sleep(0.1)
        policy = choose_wait_policy(cpu_busy(0.2))
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    env[_CHECKED] = "1"
    return env.get("OMP_WAIT_POLICY", "default")
