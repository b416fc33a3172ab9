"""The one parser of comma-separated option values (``--seeds 13,21``, ``--tasks a,b``)."""

from __future__ import annotations

from iclab.errors import IclabError


def split_list(text: str) -> tuple[str, ...]:
    """``"a, b,,c "`` -> ``("a", "b", "c")``: items stripped, empty items dropped."""
    return tuple(t.strip() for t in text.split(",") if t.strip())


def int_list(text: str, option: str, *, allow_empty: bool = False,
             error: type[Exception] = IclabError) -> tuple[int, ...]:
    """``"13,21"`` -> ``(13, 21)``.

    Raises:
        ``error`` (default :class:`IclabError`) naming ``option``: an item is not an integer,
        or nothing was given (unless ``allow_empty``).
    """
    try:
        values = tuple(int(t) for t in split_list(text))
    except ValueError:
        raise error(f"{option} must be comma-separated integers, got {text!r}") from None
    if not values and not allow_empty:
        raise error(f"{option}: give at least one integer")
    return values
