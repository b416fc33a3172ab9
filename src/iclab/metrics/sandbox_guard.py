"""The Python source that runs first inside every sandboxed program (see
:mod:`iclab.metrics.execution`).

It is written next to the program and started as ``python -I -S _guard.py ROOT MEM CPU FSIZE
PROGRAM``. It sets the resource limits (address space, CPU, file size, no core dumps and, last,
no new processes), replaces ``os.mkfifo``, ``os.mknod`` and ``_posixsubprocess.fork_exec``
(which raise no audit event) with functions that refuse, installs an
audit hook and then executes the program as ``__main__``. The hook's tables live in a closure
and the guard's own names are deleted, so the program does not find them in ``__main__``.
"""

GUARD_SOURCE = r'''
import os, posix, resource, sys


def _install(root, mem, cpu, fsize):
    import _posixsubprocess, os, posix, resource, sys  # locals, kept in the hook's closure
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # No new processes (nor threads). The kernel ignores this for root, which is why the
    # runner drops to an unprivileged user first when it can.
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))

    def denier(what):
        def denied(*args, **kwargs):
            raise PermissionError(f"sandbox: {what} is not allowed")
        return denied

    # These raise no audit event (Python 3.11), so they are replaced; re-importing their
    # modules to get them back is refused below.
    for module in (os, posix):
        for name in ("mkfifo", "mknod"):
            if hasattr(module, name):
                setattr(module, name, denier(f"os.{name}"))
    _posixsubprocess.fork_exec = denier("_posixsubprocess.fork_exec")

    path_events = frozenset({"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown",
                             "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile",
                             "shutil.move", "os.chdir"})
    two_paths = frozenset({"os.rename", "os.link", "os.symlink"})
    deny = frozenset({"socket.__new__", "socket.connect", "socket.bind", "socket.sendto",
                      "socket.sendmsg", "subprocess.Popen", "_posixsubprocess.fork_exec",
                      "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                      "os.forkpty", "os.kill", "os.killpg", "ctypes.dlopen", "ctypes.dlsym",
                      "ctypes.cdata", "pty.spawn", "resource.setrlimit",
                      "resource.prlimit"})
    modules = frozenset({"ctypes", "_ctypes", "_xxsubinterpreters", "_posixsubprocess", "posix",
                         "_imp"})
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def inside(path):
        if isinstance(path, int):
            return True
        try:
            p = os.path.realpath(os.fsdecode(path))
        except Exception:
            return False
        return p == root or p.startswith(root + os.sep)

    def hook(event, args):
        if event in deny:
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "import" and args and args[0] in modules:
            raise PermissionError(f"sandbox: importing {args[0]} is not allowed")
        if event == "open":
            path, mode, flags = args
            writing = (mode and any(c in mode for c in "wax+")) or (flags & write_flags)
            if writing and path is not None and not inside(path):
                raise PermissionError(f"sandbox: writing {path!r} outside the sandbox directory")
        elif event in path_events and args and not inside(args[0]):
            raise PermissionError(f"sandbox: {event} on {args[0]!r} outside the sandbox directory")
        elif event in two_paths and not all(inside(a) for a in args[:2]):
            raise PermissionError(f"sandbox: {event} outside the sandbox directory")

    sys.addaudithook(hook)


_install(os.path.realpath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
sys.argv = [sys.argv[5]]
for _name in ("_install", "os", "posix", "resource"):
    globals().pop(_name, None)
with open(sys.argv[0], encoding="utf-8") as _f:
    _code = compile(_f.read(), sys.argv[0], "exec")
del _f, _name
exec(_code, {"__name__": "__main__", "__builtins__": __builtins__})
'''
