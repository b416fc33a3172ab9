"""The pass@1 sandbox: correct code passes; loops, sockets and outside writes are stopped."""

from __future__ import annotations

import socket
import time

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
