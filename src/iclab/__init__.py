"""iclab: a toolkit for research on how in-context learning works in language models."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iclab")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+local"

__all__ = ["__version__", "load_results"]


def __getattr__(name: str):
    """Lazy public names, so that ``import iclab`` imports neither pandas nor torch."""
    if name == "load_results":
        from iclab.runs.results import load_results

        return load_results
    raise AttributeError(f"module 'iclab' has no attribute {name!r}")
