"""Parity task: which side of a coin is up after people act on it (our design).

The paper names parity but released no parity data; this is our own task. Each query tells
a coin's starting side and what each of several people does, one line each, and asks for the
side that is up at the end::

    The coin starts heads up.
    Mia flips it.
    Noah looks at it.
    Ava flips it.
    Liam puts it on the table.
    Now the coin is 

The answer (``"heads"`` or ``"tails"``) is decided by an unstated parity property: the coin
ends on the other side exactly when the total number of flips is odd. Distractor lines (looking
at, tapping, moving the coin, ...) never flip it, and names and line counts carry no signal.

- **normal**: every line that mentions flipping flips the coin once, so the shortcut "count
  the lines that mention a flip and take its parity" always gives the answer.
- **misleading**: an odd number of lines say ``flips it twice.`` (two flips, no change), so
  the count of lines mentioning a flip has the opposite parity of the true number of flips
  and the shortcut's side is always wrong.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iclab.data.synthetic._base import Sample, check_range, make_family
from iclab.errors import DataError

_OWNER = "ParityOptions"
_NAMES = (
    "Mia", "Noah", "Ava", "Liam", "Emma", "Omar", "Lena", "Ravi", "Sofia", "Kenji", "Nora",
    "Diego", "Hana", "Ivan", "Zoe", "Yusuf", "Clara", "Theo", "Amara", "Felix",
)
_DISTRACTORS = (
    "looks at it.", "taps it.", "puts it on the table.", "leaves it alone.", "points at it.",
    "slides it to the left.", "writes down the date.", "photographs it.",
)
_FLIP_ONCE = "flips it."
_FLIP_TWICE = "flips it twice."
_SIDES = ("heads", "tails")


@dataclass(frozen=True)
class ParityOptions:
    """Sizes of the parity task.

    Attributes:
        steps: (min, max) number of people acting, at most the 20 available names.
        flip_prob: chance that a (non-"twice") line is a single flip rather than a distractor.
    """

    steps: tuple[int, int] = (4, 8)
    flip_prob: float = 0.5

    def __post_init__(self) -> None:
        check_range(_OWNER, "steps", self.steps, 1, len(_NAMES))
        if not isinstance(self.flip_prob, (int, float)) or not 0 <= self.flip_prob <= 1:
            raise DataError(f"{_OWNER}.flip_prob must be in [0, 1], got {self.flip_prob!r}")


def _actions(rng: random.Random, n: int, misleading: bool, flip_prob: float) -> list[str]:
    """``n`` actions; in misleading, an odd number of them (1 or 3) flip twice."""
    twice = rng.choice([c for c in (1, 3) if c <= n]) if misleading else 0
    actions = [_FLIP_TWICE] * twice
    actions += [_FLIP_ONCE if rng.random() < flip_prob else rng.choice(_DISTRACTORS)
                for _ in range(n - twice)]
    rng.shuffle(actions)
    return actions


def sample_parity(rng: random.Random, misleading: bool, opts: ParityOptions) -> Sample:
    """Draw one parity query (see the module docstring)."""
    n = rng.randint(*opts.steps)
    start = rng.randrange(2)
    actions = _actions(rng, n, misleading, opts.flip_prob)
    flips = sum(2 if a == _FLIP_TWICE else 1 if a == _FLIP_ONCE else 0 for a in actions)
    mentions = sum(a in (_FLIP_ONCE, _FLIP_TWICE) for a in actions)
    lines = [f"{name} {action}" for name, action in zip(rng.sample(_NAMES, n), actions)]
    text = "\n".join([f"The coin starts {_SIDES[start]} up.", *lines, "Now the coin is "])
    return Sample(input=text, answer=_SIDES[(start + flips) % 2],
                  shortcut=_SIDES[(start + mentions) % 2],
                  info={"start": _SIDES[start], "flips": flips, "flip_lines": mentions})


FAMILY = make_family(
    "parity", sample_parity, ParityOptions, labels=("heads", "tails"),
    summary="coin side after flips: parity of the number of flips (misleading: 'flips it "
            "twice')",
)
