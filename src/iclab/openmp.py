"""Choose how idle OpenMP threads wait, before torch loads OpenMP.

PyTorch's CPU kernels run in OpenMP parallel regions. Between regions, libgomp's worker
threads spin for a while by default before they sleep. Measured on a 2-core machine
(BENCHMARKS.md, "OpenMP wait policy"), scoring 64 sst2 queries with gemma-3-270m took:

- idle machine: 2.3-2.6 s with the default (spinning) policy, 3.1-3.6 s with
  ``OMP_WAIT_POLICY=PASSIVE`` (threads sleep at once and pay a wake-up per region);
- one other busy process: 9.5-12 s spinning, 4.9-5.5 s passive (a spinning worker that the
  kernel deschedules makes every parallel region wait for it).

So :func:`configure_openmp` keeps OpenMP's default on an idle machine and asks for passive
waiting when other processes are using the CPU, in a 0.1 s sample and again in a 0.2 s one
(a process merely starting beside this one, like the other end of a shell pipe, is not load). A policy set by the user
(``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``) is never changed. The variable is read once, when
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


def choose_wait_policy(env: MutableMapping[str, str], busy_cores: float | None,
                       threshold: float = BUSY_CORES) -> str | None:
    """``"PASSIVE"`` when other processes keep ``threshold`` cores busy, else None (keep
    OpenMP's default). None as well when the user already chose a policy or the load is
    unknown."""
    if "OMP_WAIT_POLICY" in env or "GOMP_SPINCOUNT" in env or busy_cores is None:
        return None
    return "PASSIVE" if busy_cores >= threshold else None


def configure_openmp(env: MutableMapping[str, str] | None = None) -> str:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` on a busy machine (before torch is imported).

    Returns:
        The policy in effect: the user's ``OMP_WAIT_POLICY``, ``"PASSIVE"`` when set here,
        or ``"default"``.
    """
    env = os.environ if env is None else env
    user_set = "OMP_WAIT_POLICY" in env or "GOMP_SPINCOUNT" in env
    if "torch" not in sys.modules and env.get(_CHECKED) != "1" and not user_set:
        busy = cpu_busy()  # 0.1 s at start-up
        if busy is not None and busy >= BUSY_CORES:  # confirm: not just a process starting
            time.sleep(0.1)
            again = cpu_busy(0.2)
            busy = None if again is None else min(busy, again)
        policy = choose_wait_policy(env, busy)
        if policy is not None:
            env["OMP_WAIT_POLICY"] = policy
        env[_CHECKED] = "1"  # sampled once per process tree: the CLI's own work is not load
    return env.get("OMP_WAIT_POLICY", "default")
