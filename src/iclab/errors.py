"""Exceptions that iclab raises for bad input. The CLI prints them without a traceback."""


class IclabError(Exception):
    """Base class for every error caused by user input or the environment (not a bug)."""


class ModelSpecError(IclabError):
    """A model specification could not be resolved or loaded."""


class DataError(IclabError):
    """A dataset, task spec or data file is missing or malformed."""


class PromptError(IclabError):
    """A prompt could not be built (unknown template, context too long, ...)."""


class EngineError(IclabError):
    """Bad input to the engine (prompt over the context window, empty label, no queries, ...)."""
