"""The Ray executor on a local Ray instance gives the same store as the local executor."""

from __future__ import annotations

import pandas as pd
import pytest
from runs_support import write_config

from iclab.runs import load_results
from iclab.runs.ray_exec import RayOptions
from iclab.runs.runner import run_config
from iclab.runs.store import ResultStore

pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'iclab[ray]'")

# Two models -> two actors. shots=100000 is more demonstrations than the pool holds, so that
# cell fails inside the actor: failures must travel back and be recorded like local ones.
GRID = """\
analysis: prompt-stats
grid:
  model: [gemma-3-270m, smollm2-135m]
  shots: [0, 3, 100000]
params:
  task: word-sentiment
  limit: 5
"""


def _failed(out) -> list[tuple[str, str]]:
    with ResultStore(out) as store:
        return sorted((f["cell_id"], f["error"].split(":")[0]) for f in store.failures())


@pytest.mark.slow
def test_ray_executor_matches_local_executor(tmp_path) -> None:
    config = write_config(tmp_path, GRID)
    local = run_config(config, tmp_path / "local", progress=False)
    on_ray = run_config(config, tmp_path / "ray", executor="ray", progress=False,
                        ray=RayOptions(init_kwargs={"num_cpus": 2}))
    assert (local.finished, len(local.failed)) == (on_ray.finished, len(on_ray.failed)) == (4, 2)
    pd.testing.assert_frame_equal(load_results(tmp_path / "ray"),
                                  load_results(tmp_path / "local"))
    assert _failed(tmp_path / "ray") == _failed(tmp_path / "local")
    with ResultStore(tmp_path / "ray") as store:
        assert {c["host"] for c in store.cells()} and all(
            c["started_at"] < c["finished_at"] for c in store.cells())
        (run,) = store.conn.execute("SELECT executor FROM runs").fetchall()
        assert run == ("ray",)
    import ray

    assert not ray.is_initialized()  # the instance it started was shut down
