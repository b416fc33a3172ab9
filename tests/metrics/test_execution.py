"""The pass@1 sandbox: correct code passes; loops, sockets and outside writes are stopped."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from iclab.metrics.execution import (
    ExecResult,
    SandboxConfig,
    check_program,
    pass_at_1,
    run_program,
)

PROMPT = 'def add(a: int, b: int) -> int:\n    """Return a + b."""\n'
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
FAST = SandboxConfig(timeout=2.0)


def test_correct_humaneval_completion_passes():
    assert run_program(check_program("    return a + b\n", TEST, "add", prefix=PROMPT)).passed
    whole = PROMPT + "    return a + b\n"
    assert run_program(check_program(whole, TEST, "add")).passed  # where-ICL: no prefix


def test_wrong_completion_fails():
    res = run_program(check_program("    return a - b\n", TEST, "add", prefix=PROMPT))
    assert res.status == "failed" and "AssertionError" in res.detail


def test_infinite_loop_is_stopped():
    t0 = time.monotonic()
    res = run_program("while True:\n    pass\n", SandboxConfig(timeout=1.0))
    assert res.status == "timeout"
    assert time.monotonic() - t0 < 8


def test_socket_is_denied():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    code = f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
    try:
        for ns in ("auto", "off"):
            res = run_program(code, SandboxConfig(timeout=3.0, network_namespace=ns))
            assert res.status == "failed", res
            with pytest.raises(socket.timeout):
                server.accept()  # nothing ever connected
    finally:
        server.close()


def test_write_outside_temp_dir_is_denied(tmp_path):
    target = tmp_path / "escaped.txt"
    code = f"open({str(target)!r}, 'w').write('x')\n"
    res = run_program(code, FAST)
    assert res.status == "failed" and "sandbox" in res.detail
    assert not target.exists()
    rename = f"import os\nopen('a', 'w').write('x')\nos.rename('a', {str(target)!r})\n"
    assert run_program(rename, FAST).status == "failed" and not target.exists()
    escape = "import subprocess\nsubprocess.run(['touch', %r])\n" % str(target)
    assert run_program(escape, FAST).status == "failed" and not target.exists()


def test_writes_inside_temp_dir_are_allowed():
    code = "open('note.txt', 'w').write('hi')\nassert open('note.txt').read() == 'hi'\n"
    assert run_program(code, FAST).passed


def test_memory_cap():
    res = run_program("x = bytearray(2 * 1024 ** 3)\n", SandboxConfig(timeout=3.0, memory_mb=256))
    assert res.status == "failed" and "MemoryError" in res.detail


def test_pass_at_1():
    ok, bad = ExecResult("passed", 0, ""), ExecResult("failed", 1, "")
    assert pass_at_1([ok, bad, ok, ok]) == 0.75
    with pytest.raises(ValueError):
        pass_at_1([])


# Hostile programs (issue 18): each must be contained, whatever the sandbox's fallbacks.

ESCAPE = """
import sys
from multiprocessing import util
code = "import os, time; os.setsid(); time.sleep(2); open({marker!r}, 'w').write('escaped')"
exe = sys.executable.encode()
util.spawnv_passfds(exe, [exe, b'-c', code.encode()], [])
"""


@pytest.fixture
def shared_dir():
    """A directory that even ``nobody`` may write into (as /tmp is)."""
    import shutil
    import tempfile

    path = tempfile.mkdtemp(prefix="iclab-escape-")
    os.chmod(path, 0o777)
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("pid_namespace", ["auto", "off"])
def test_fork_exec_escape_is_contained(shared_dir, pid_namespace):
    """multiprocessing's spawn (``_posixsubprocess.fork_exec``) in a new session: no process
    starts, nothing is written after run_program returns, the timeout holds."""
    marker = shared_dir / "marker"
    t0 = time.monotonic()
    res = run_program(ESCAPE.format(marker=str(marker)),
                      SandboxConfig(timeout=2.0, pid_namespace=pid_namespace))
    assert time.monotonic() - t0 < 3.5
    assert res.status == "failed", res
    time.sleep(max(0.0, t0 + 3.5 - time.monotonic()))
    assert not marker.exists()


def test_fork_exec_is_refused_even_where_the_kernel_would_allow_it(shared_dir):
    """As root without the privilege drop the kernel ignores RLIMIT_NPROC; the audit hook
    still refuses ``_posixsubprocess.fork_exec``."""
    marker = shared_dir / "marker"
    res = run_program(ESCAPE.format(marker=str(marker)),
                      SandboxConfig(timeout=2.0, drop_privileges=False, pid_namespace="off"))
    assert res.status == "failed" and "fork_exec is not allowed" in res.detail, res
    time.sleep(2.5)
    assert not marker.exists()


def test_guard_tables_are_out_of_reach():
    """Clearing the guard's globals neither breaks nor lifts the hook."""
    code = ("import sys\nsys.modules['__main__'].__dict__.clear()\n"
            "open('inside.txt', 'w').write('ok')\n"
            "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\n")
    res = run_program(code, FAST)
    assert res.status == "failed" and "os.fork is not allowed" in res.detail, res


@pytest.mark.parametrize("ns", ["auto", "off"])
def test_no_sockets_in_any_mode(ns):
    code = "import socket\na, b = socket.socketpair()\n"
    res = run_program(code, SandboxConfig(timeout=2.0, network_namespace=ns))
    assert res.status == "failed" and "sandbox" in res.detail, res


def test_mkfifo_is_denied():
    res = run_program("import os\nos.mkfifo('pipe')\n", FAST)
    assert res.status == "failed" and "sandbox" in res.detail, res
    res = run_program("import posix\nposix.mknod('node')\n", FAST)
    assert res.status == "failed" and "sandbox" in res.detail, res


def test_output_is_capped():
    """Endless printing is stopped at the cap, long before the timeout."""
    code = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    t0 = time.monotonic()
    res = run_program(code, SandboxConfig(timeout=20.0, output_kb=1024))
    assert time.monotonic() - t0 < 10
    assert res.status == "failed" and "output over 1024 KiB" in res.detail, res


def test_small_output_is_fine():
    assert run_program("print('x' * 1000)\n", FAST).passed


def test_kernel_refuses_new_processes():
    """RLIMIT_NPROC = 0 is in force (as root: after the drop to nobody): not even a thread
    starts, so a way around the audit hook would still create no process."""
    import shutil

    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("as root without setpriv the kernel ignores RLIMIT_NPROC")
    code = "import threading\nthreading.Thread(target=print).start()\n"
    res = run_program(code, FAST)
    assert res.status == "failed" and "can't start new thread" in res.detail, res
