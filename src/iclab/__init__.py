"""iclab: a toolkit for research on how in-context learning works in language models."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iclab")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
