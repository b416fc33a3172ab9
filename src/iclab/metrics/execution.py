"""Sandboxed execution of generated code for pass@1 (HumanEval/MBPP style).

Each program runs in a fresh Python subprocess, in layers:

1. **Time**: a wall-clock timeout (default 3 s, as in the where-ICL paper); the whole process
   group is killed when it expires; ``RLIMIT_CPU`` backs it up.
2. **Memory**: ``RLIMIT_AS`` (default 1 GiB); ``RLIMIT_FSIZE`` caps file sizes; no core dumps.
3. **Network**: the process runs in a new network namespace (``unshare -n``: no interface but a
   down loopback) when that works here, and in every case a Python audit hook refuses
   ``socket.connect``/``bind``/``sendto``.
4. **Files**: the working directory is a fresh temporary directory, deleted afterwards. The
   audit hook refuses opening for writing, creating, removing, renaming or re-permissioning any
   path outside it; it also refuses starting processes (``subprocess``, ``os.system``, exec,
   fork, spawn) and loading ``ctypes``, so the hook cannot be side-stepped from Python. As root,
   the program additionally runs as ``nobody`` (``setpriv``), so the OS denies most writes too.

This is defence in depth for model-written code, not a security boundary against an adversary;
run untrusted code at scale inside a container or VM.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

Status = Literal["passed", "failed", "timeout"]

_GUARD = r'''
import os, resource, sys
_ROOT = os.path.realpath(sys.argv[1])
_MEM, _CPU, _FSIZE = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_AS, (_MEM, _MEM))
resource.setrlimit(resource.RLIMIT_CPU, (_CPU, _CPU))
resource.setrlimit(resource.RLIMIT_FSIZE, (_FSIZE, _FSIZE))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

def _inside(path):
    if isinstance(path, int):
        return True
    try:
        p = os.path.realpath(os.fsdecode(path))
    except Exception:
        return False
    return p == _ROOT or p.startswith(_ROOT + os.sep)

_PATH_EVENTS = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
                "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move", "os.chdir"}
_TWO_PATHS = {"os.rename", "os.link", "os.symlink"}
_DENY = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
         "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
         "os.forkpty", "os.kill", "os.killpg", "ctypes.dlopen", "ctypes.dlsym", "pty.spawn"}

def _hook(event, args):
    if event in _DENY:
        raise PermissionError(f"sandbox: {event} is not allowed")
    if event == "import" and args and args[0] in ("ctypes", "_ctypes"):
        raise PermissionError("sandbox: ctypes is not allowed")
    if event == "open":
        path, mode, flags = args
        writing = (mode and any(c in mode for c in "wax+")) or (flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
        if writing and path is not None and not _inside(path):
            raise PermissionError(f"sandbox: writing {path!r} outside the sandbox directory")
    elif event in _PATH_EVENTS and args and not _inside(args[0]):
        raise PermissionError(f"sandbox: {event} on {args[0]!r} outside the sandbox directory")
    elif event in _TWO_PATHS and not all(_inside(a) for a in args[:2]):
        raise PermissionError(f"sandbox: {event} outside the sandbox directory")

sys.addaudithook(_hook)
sys.argv = [sys.argv[5]]
_code = open(sys.argv[0], encoding="utf-8").read()
exec(compile(_code, sys.argv[0], "exec"), {"__name__": "__main__"})
'''


@dataclass(frozen=True)
class SandboxConfig:
    """Limits of one execution.

    Attributes:
        timeout: wall-clock seconds before the process group is killed (paper: 3).
        memory_mb: address-space limit (``RLIMIT_AS``) in MiB.
        file_mb: largest file the program may write, in MiB.
        network_namespace: run under ``unshare -n`` when available ("auto"), always ("on":
            fail if unavailable) or never ("off"; the audit hook still refuses sockets).
        drop_privileges: as root, run as ``nobody`` when ``setpriv`` exists.
    """

    timeout: float = 3.0
    memory_mb: int = 1024
    file_mb: int = 16
    network_namespace: Literal["auto", "on", "off"] = "auto"
    drop_privileges: bool = True

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.memory_mb <= 0 or self.file_mb <= 0:
            raise ValueError("timeout, memory_mb and file_mb must be positive")
        if self.network_namespace not in ("auto", "on", "off"):
            raise ValueError(f"network_namespace must be auto/on/off, got "
                             f"{self.network_namespace!r}")


@dataclass(frozen=True)
class ExecResult:
    """Outcome of one program: ``passed`` (exit 0), ``failed`` or ``timeout``; stderr tail."""

    status: Status
    returncode: int | None
    detail: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _netns_works() -> bool:
    """Whether ``unshare -n`` can start a process here (cached on first use)."""
    global _NETNS
    if _NETNS is None:
        exe = shutil.which("unshare")
        try:
            _NETNS = bool(exe) and subprocess.run([exe, "-n", "true"], capture_output=True,
                                                  timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            _NETNS = False
    return _NETNS


_NETNS: bool | None = None


def _command(config: SandboxConfig, root: Path, program: Path) -> list[str]:
    """The argv: [unshare -n] [setpriv as nobody] python -I guard ..."""
    limits = [str(config.memory_mb << 20), str(int(config.timeout) + 1), str(config.file_mb << 20)]
    cmd = [sys.executable, "-I", "-S", str(root / "_guard.py"), str(root), *limits, str(program)]
    if config.drop_privileges and os.geteuid() == 0 and shutil.which("setpriv"):
        os.chown(root, 65534, 65534)
        cmd = [shutil.which("setpriv") or "setpriv", "--reuid=65534", "--regid=65534",
               "--clear-groups", *cmd]
    use_ns = config.network_namespace == "on" or (config.network_namespace == "auto"
                                                  and _netns_works())
    if use_ns:
        if not _netns_works():
            raise RuntimeError("network_namespace='on' but `unshare -n` does not work here")
        cmd = [shutil.which("unshare") or "unshare", "-n", *cmd]
    return cmd


def run_program(source: str, config: SandboxConfig = SandboxConfig()) -> ExecResult:
    """Run Python ``source`` in the sandbox; passed means exit status 0 within the timeout."""
    with tempfile.TemporaryDirectory(prefix="iclab-exec-") as tmp:
        root = Path(tmp).resolve()
        (root / "_guard.py").write_text(_GUARD, encoding="utf-8")
        program = root / "program.py"
        program.write_text(source, encoding="utf-8")
        for f in (root / "_guard.py", program):
            f.chmod(0o444)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "TMPDIR": str(root),
               "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}
        proc = subprocess.Popen(_command(config, root, program), cwd=root, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=config.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return ExecResult("timeout", None, f"timed out after {config.timeout} s")
    detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
    status: Status = "passed" if proc.returncode == 0 else "failed"
    if proc.returncode == -signal.SIGXCPU:
        status = "timeout"
    return ExecResult(status, proc.returncode, detail[0] if detail else "")


def check_program(completion: str, test: str, entry_point: str, prefix: str = "") -> str:
    """The program pass@1 runs: ``prefix + completion``, the tests, ``check(entry_point)``.

    HumanEval's own harness uses ``prefix = problem prompt``; the where-ICL paper (qa-code,
    the model writes the whole function) uses no prefix.
    """
    return f"{prefix}{completion}\n\n{test}\n\ncheck({entry_point})\n"


def pass_at_1(results: Sequence[ExecResult]) -> float:
    """Fraction of programs that passed (one sample per problem)."""
    if not results:
        raise ValueError("pass@1 of no results")
    return sum(r.passed for r in results) / len(results)
