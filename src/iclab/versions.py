"""The dependency releases iclab is tested with, and checks against what is installed.

``TESTED`` is the one place the ranges live: ``pyproject.toml`` states the same ranges (a test
pins the two together), ``make test-oldest`` installs each floor, the lock installs releases
inside them, and :func:`check_installed` compares them with the installed distributions.
A release below a floor is refused with one line (iclab uses APIs it lacks); a release at or
above a ceiling is allowed with a one-line warning (it has not been tested).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from packaging.version import Version

from iclab.errors import IclabError

# name -> (oldest supported release, first release not tested)
TESTED: dict[str, tuple[str, str]] = {
    "torch": ("2.13", "2.14"),
    "transformers": ("5.10", "5.25"),
    "peft": ("0.18", "0.22"),
    "accelerate": ("1.11", "1.16"),
}


class UnsupportedVersionError(IclabError):
    """An installed dependency is older than iclab supports."""


class UntestedVersionWarning(UserWarning):
    """An installed dependency is newer than the releases iclab was tested with."""


@dataclass(frozen=True)
class VersionCheck:
    """One dependency: its installed release and how it compares with the tested range."""

    name: str
    installed: str | None
    floor: str
    ceiling: str

    @property
    def spec(self) -> str:
        """The supported range as a pip specifier, e.g. ``>=5.10,<5.25``."""
        return f">={self.floor},<{self.ceiling}"

    @property
    def status(self) -> str:
        """``ok``, ``missing``, ``too old`` or ``untested`` (newer than tested)."""
        if self.installed is None:
            return "missing"
        v = Version(Version(self.installed).base_version)
        if v < Version(self.floor):
            return "too old"
        if v >= Version(self.ceiling):
            return "untested"
        return "ok"

    def message(self) -> str:
        """One line naming the installed and the supported releases."""
        got = self.installed or "not installed"
        if self.status == "untested":
            return (f"{self.name} {got} is newer than the releases iclab is tested with "
                    f"({self.name}{self.spec}); results may differ, run `make test-latest`")
        return (f"{self.name} {got} is installed; iclab supports {self.name}{self.spec}: "
                f"pip install '{self.name}{self.spec}'")


def installed_version(name: str) -> str | None:
    """The installed release of a distribution, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def check_installed() -> list[VersionCheck]:
    """Compare every dependency in :data:`TESTED` with what is installed."""
    return [VersionCheck(name, installed_version(name), lo, hi) for name, (lo, hi) in TESTED.items()]


@lru_cache(maxsize=1)
def require_supported() -> None:
    """Refuse releases below the floors (one line each); warn once about untested ones.

    Raises:
        UnsupportedVersionError: a dependency is missing or older than supported.
    """
    checks = check_installed()
    bad = [c.message() for c in checks if c.status in ("missing", "too old")]
    if bad:
        raise UnsupportedVersionError("; ".join(bad))
    for c in checks:
        if c.status == "untested":
            warnings.warn(c.message(), UntestedVersionWarning, stacklevel=2)
