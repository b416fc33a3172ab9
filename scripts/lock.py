"""The lock of exact releases that `make demo` and `make test` install (requirements/lock.txt).

    python scripts/lock.py write LOCK      freeze this interpreter's distributions into LOCK
    python scripts/lock.py check LOCK      exit 1 unless what is installed is exactly LOCK
    python scripts/lock.py diff LOCK       print how what is installed differs from LOCK
    python scripts/lock.py requirements [--except NAME]
                                           the project's dependency names, without versions

Run with the interpreter of the environment in question (``.venv/bin/python``); ``requirements``
needs only the standard library. iclab itself (installed editable) is never part of the lock.
Local version labels (``+cpu``) are dropped: ``torch==2.13.0`` admits the CPU build.
"""

from __future__ import annotations

import datetime
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SELF = {"iclab"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    """Every installed distribution (normalised name -> release, local label dropped)."""
    from importlib.metadata import distributions

    out = {}
    for dist in distributions():
        name = _norm(dist.metadata["Name"])
        if name not in SELF:
            out[name] = dist.version.split("+")[0]
    return out


def read_lock(path: Path) -> dict[str, str]:
    """``name==version`` lines of a lock file (comments and blank lines skipped)."""
    pins = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#")[0].strip()
        if not line:
            continue
        if "==" not in line:
            sys.exit(f"{path}:{n}: not a name==version line: {line!r}")
        name, ver = line.split("==", 1)
        pins[_norm(name)] = ver.strip()
    return pins


def diff(lock: dict[str, str], have: dict[str, str]) -> list[str]:
    """Human-readable differences between a lock and an environment."""
    lines = []
    for name in sorted(set(lock) | set(have)):
        want, got = lock.get(name), have.get(name)
        if want != got:
            lines.append(f"  {name}: lock {want or '-'}, installed {got or '-'}")
    return lines


def requirement_names() -> list[str]:
    """Names of the project's dependencies and dev extras (no versions), for `test-latest`."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [re.split(r"[<>=!~; \[]", r, maxsplit=1)[0] for r in reqs]


def main(argv: list[str]) -> int:
    if argv[:1] == ["requirements"]:
        skip = set(argv[2:3]) if argv[1:2] == ["--except"] else set()
        print(" ".join(n for n in requirement_names() if n not in skip))
        return 0
    if len(argv) != 2 or argv[0] not in ("write", "check", "diff"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd, path = argv[0], Path(argv[1])
    if cmd == "write":
        have = installed()
        head = (f"# iclab's lock: exact releases of every package `make demo` and `make test` "
                f"install.\n# Regenerate with `make lock`; written {datetime.date.today()} on "
                f"Python {platform.python_version()} ({platform.machine()}).\n")
        path.write_text(head + "".join(f"{n}=={v}\n" for n, v in sorted(have.items())),
                        encoding="utf-8")
        print(f"wrote {path}: {len(have)} packages")
        return 0
    lines = diff(read_lock(path), installed())
    if cmd == "diff":
        print("\n".join(["differences from the lock:", *lines]) if lines
              else "installed == lock")
        return 0
    if lines:
        print(f"the environment differs from {path} (run `make clean-venv test`):", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
