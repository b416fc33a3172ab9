"""Sandboxed execution of generated code for pass@1 (HumanEval/MBPP style).

Each program runs in a fresh Python subprocess, in layers (the README lists what is guaranteed):

1. **Processes**: the program starts in a new session and process group, inside a new PID
   namespace (``unshare --pid --fork --kill-child``) when that works here. It cannot create
   processes or threads: ``RLIMIT_NPROC`` is 0, enforced by the kernel because, as root, the
   program first drops to ``nobody`` (``setpriv``; the kernel ignores the limit for root); the
   audit hook also refuses ``subprocess``, ``_posixsubprocess.fork_exec`` (``multiprocessing``),
   ``os.fork``/``exec``/``spawn``/``posix_spawn``/``system`` and ``pty``.
2. **Time**: a wall-clock timeout (default 3 s, as in the where-ICL paper), after which
   everything the program started is killed: the process group, and with the PID namespace
   every process in it (the namespace dies with its first process); ``RLIMIT_CPU`` backs it up.
   Pipes held open by a stray process cannot stretch the timeout: reading stops at the deadline.
3. **Memory and output**: ``RLIMIT_AS`` (default 1 GiB); ``RLIMIT_FSIZE`` caps file sizes; no
   core dumps; stdout and stderr are read incrementally and the program is killed (``failed``)
   once together they exceed ``output_kb`` (default 1 MiB), so the parent never holds more.
4. **Network**: no sockets in any mode: the audit hook refuses creating, connecting, binding and
   sending on sockets, and since no process can be started the hook cannot be left behind; in
   addition the program runs in a new network namespace (``unshare -n``: only a down loopback)
   when that works here (``network_namespace``).
5. **Files**: the working directory is a fresh temporary directory, deleted afterwards. The
   audit hook refuses opening for writing, creating, removing, renaming or re-permissioning any
   path outside it and loading ``ctypes``; ``os.mkfifo``/``os.mknod`` are removed. As
   ``nobody`` the OS denies most writes too.

This is defence in depth for model-written code, not a security boundary against an adversary;
run untrusted code at scale inside a container or VM.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

from iclab.metrics.sandbox_guard import GUARD_SOURCE

Status = Literal["passed", "failed", "timeout"]
Switch = Literal["auto", "on", "off"]
NOBODY = 65534


@dataclass(frozen=True)
class SandboxConfig:
    """Limits of one execution.

    Attributes:
        timeout: wall-clock seconds before everything the program started is killed (paper: 3).
        memory_mb: address-space limit (``RLIMIT_AS``) in MiB.
        file_mb: largest file the program may write, in MiB.
        output_kb: stdout + stderr beyond this many KiB kills the program (status ``failed``).
        network_namespace: run under ``unshare -n`` when available ("auto"), always ("on":
            fail if unavailable) or never ("off"); sockets are refused in every mode.
        pid_namespace: run in a new PID namespace (``unshare --pid --fork --kill-child``)
            when available ("auto"), always ("on") or never ("off").
        drop_privileges: as root, run as ``nobody`` when ``setpriv`` exists (needed for the
            kernel to enforce "no new processes").
    """

    timeout: float = 3.0
    memory_mb: int = 1024
    file_mb: int = 16
    output_kb: int = 1024
    network_namespace: Switch = "auto"
    pid_namespace: Switch = "auto"
    drop_privileges: bool = True

    def __post_init__(self) -> None:
        if min(self.timeout, self.memory_mb, self.file_mb, self.output_kb) <= 0:
            raise ValueError("timeout, memory_mb, file_mb and output_kb must be positive")
        for name in ("network_namespace", "pid_namespace"):
            if getattr(self, name) not in ("auto", "on", "off"):
                raise ValueError(f"{name} must be auto/on/off, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class ExecResult:
    """Outcome of one program: ``passed`` (exit 0), ``failed`` or ``timeout``; stderr tail."""

    status: Status
    returncode: int | None
    detail: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"


_WORKS: dict[tuple[str, ...], bool] = {}


def _unshare_works(flags: tuple[str, ...]) -> bool:
    """Whether ``unshare FLAGS true`` starts a process here (cached per flag set)."""
    if flags not in _WORKS:
        exe = shutil.which("unshare")
        try:
            _WORKS[flags] = bool(exe) and subprocess.run(
                [exe, *flags, "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            _WORKS[flags] = False
    return _WORKS[flags]


def _namespaces(config: SandboxConfig) -> list[str]:
    """The ``unshare`` prefix for the namespaces asked for and available ([] for none).

    Raises:
        RuntimeError: a namespace asked for with "on" cannot be created here.
    """
    user = () if os.geteuid() == 0 else ("--user", "--map-root-user")
    wanted = {"--pid": config.pid_namespace, "-n": config.network_namespace}
    flags: list[str] = []
    for flag, switch in wanted.items():
        extra = ("--pid", "--fork", "--kill-child") if flag == "--pid" else ("-n",)
        if switch == "off":
            continue
        if _unshare_works((*user, *extra)):
            flags += extra
        elif switch == "on":
            raise RuntimeError(f"{flag} namespace asked for ('on') but `unshare {' '.join(extra)}`"
                               " does not work here")
    if not flags:
        return []
    return [shutil.which("unshare") or "unshare", *user, *flags]


def _command(config: SandboxConfig, root: Path, program: Path) -> list[str]:
    """The argv: [unshare --pid --fork --kill-child -n] [setpriv as nobody] python -I guard ..."""
    limits = [str(config.memory_mb << 20), str(int(config.timeout) + 1), str(config.file_mb << 20)]
    cmd = [sys.executable, "-I", "-S", str(root / "_guard.py"), str(root), *limits, str(program)]
    if config.drop_privileges and os.geteuid() == 0 and shutil.which("setpriv"):
        os.chown(root, NOBODY, NOBODY)
        cmd = [shutil.which("setpriv") or "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
               "--clear-groups", "--no-new-privs", *cmd]
    return _namespaces(config) + cmd


@dataclass
class _Output:
    """What the parent keeps of the program's output: a byte count and the stderr tail."""

    total: int = 0
    err_tail: bytes = b""

    def add(self, data: bytes, is_err: bool) -> None:
        self.total += len(data)
        if is_err:
            self.err_tail = (self.err_tail + data)[-8192:]


def _read_until(proc: subprocess.Popen, deadline: float, cap: int, out: _Output) -> str:
    """Read stdout/stderr incrementally until both close and the process exits ("done"),
    the deadline passes ("timeout") or more than ``cap`` bytes arrive ("output")."""
    sel = selectors.DefaultSelector()
    for stream, is_err in ((proc.stdout, False), (proc.stderr, True)):
        assert stream is not None
        os.set_blocking(stream.fileno(), False)
        sel.register(stream, selectors.EVENT_READ, is_err)
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            for key, _ in sel.select(timeout=left):
                data = os.read(key.fd, 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                out.add(data, key.data)
                if out.total > cap:
                    return "output"
    finally:
        sel.close()
    while time.monotonic() < deadline:  # wait for the exit but do not reap: a zombie leader
        if _exited(proc.pid):            # keeps the group id from being reused before _kill
            return "done"
        time.sleep(0.01)
    return "timeout"


def _exited(pid: int) -> bool:
    """Whether child ``pid`` has exited, leaving it waitable (``WNOWAIT``)."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _kill(proc: subprocess.Popen) -> None:
    """Kill the program's process group (with a PID namespace: everything in it), then reap
    the leader (not reaped before, so the group id cannot have been reused)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def run_program(source: str, config: SandboxConfig = SandboxConfig()) -> ExecResult:
    """Run Python ``source`` in the sandbox; passed means exit status 0 within the timeout.

    A program that writes more than ``config.output_kb`` KiB is killed and ``failed``; one
    still running at the deadline is killed with everything it started and ``timeout``.
    """
    with tempfile.TemporaryDirectory(prefix="iclab-exec-") as tmp:
        root = Path(tmp).resolve()
        (root / "_guard.py").write_text(GUARD_SOURCE, encoding="utf-8")
        program = root / "program.py"
        program.write_text(source, encoding="utf-8")
        for f in (root / "_guard.py", program):
            f.chmod(0o444)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "TMPDIR": str(root),
               "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}
        out = _Output()
        proc = subprocess.Popen(_command(config, root, program), cwd=root, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        ended = "timeout"
        try:
            ended = _read_until(proc, time.monotonic() + config.timeout,
                                config.output_kb << 10, out)
        finally:
            _kill(proc)  # also strays left in the group after a normal exit
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
    if ended == "timeout":
        return ExecResult("timeout", None, f"timed out after {config.timeout} s")
    if ended == "output":
        return ExecResult("failed", proc.returncode,
                          f"output over {config.output_kb} KiB (stdout + stderr); killed")
    lines = out.err_tail.decode("utf-8", "replace").strip().splitlines()[-1:]
    status: Status = "passed" if proc.returncode == 0 else "failed"
    if proc.returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        status = "timeout"
    return ExecResult(status, proc.returncode, lines[0] if lines else "")


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
