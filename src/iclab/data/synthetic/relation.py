"""Relation task: is city A connected with city Z?

Each query lists undirected roads between cities named by capital letters, one per line
(``"F is connected with C"``), in shuffled order and orientation, then asks::

    So 'the city A and Z is connected' is 

and the answer is ``"True"`` or ``"False"``.

**Connected** means *reachable*: there is a chain of listed lines from A to Z (each line
connects its two cities both ways; a direct line is a chain of length one). The cities form
one or two components, each a random tree (plus, sometimes, one extra line that closes a cycle).

- **normal**: whenever Z appears it is in A's component, so the answer is True exactly when Z
  appears at all (the unstated shortcut: look for the letter Z). About half the queries
  include Z.
- **misleading**: Z always appears, in a second component that A cannot reach, so the answer
  is False while the shortcut says True.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from iclab.data.synthetic._base import Sample, check_range, make_family
from iclab.errors import DataError

_OWNER = "RelationOptions"
_OTHERS = [c for c in string.ascii_uppercase if c not in "AZ"]  # B..Y


@dataclass(frozen=True)
class RelationOptions:
    """Sizes of the relation task.

    Attributes:
        cities: (min, max) number of cities besides Z (A included), at most 24 (a spare
            letter must remain for a lone city in a second component).
        cycle_prob: chance that a component of 3+ cities gets one extra, cycle-closing line.
    """

    cities: tuple[int, int] = (6, 10)
    cycle_prob: float = 0.3

    def __post_init__(self) -> None:
        check_range(_OWNER, "cities", self.cities, 3, 24)
        if not isinstance(self.cycle_prob, (int, float)) or not 0 <= self.cycle_prob <= 1:
            raise DataError(f"{_OWNER}.cycle_prob must be in [0, 1], got {self.cycle_prob!r}")


def _tree_edges(rng: random.Random, nodes: list[str], cycle_prob: float) -> list[tuple[str, str]]:
    """A random spanning tree of ``nodes`` (each node links to an earlier one), maybe + 1 edge."""
    order = nodes[:]
    rng.shuffle(order)
    edges = [(order[i], rng.choice(order[:i])) for i in range(1, len(order))]
    if len(order) >= 3 and rng.random() < cycle_prob:
        present = {frozenset(e) for e in edges}
        candidates = [(u, w) for i, u in enumerate(order) for w in order[i + 1:]
                      if frozenset((u, w)) not in present]
        if candidates:
            edges.append(rng.choice(candidates))
    return edges


def _components(
    rng: random.Random, n_cities: int, misleading: bool
) -> tuple[list[str], list[str], bool]:
    """Split the cities into A's component and an optional second one; place Z.

    Returns (A's component, the other component, whether Z appears).
    """
    others = rng.sample(_OTHERS, n_cities - 1)
    with_z = misleading or rng.random() < 0.5
    two = misleading or rng.random() < 0.5
    cut = rng.randint(1, len(others) - 1) if two else len(others)
    home, away = ["A"] + others[:cut], others[cut:]
    if with_z:
        (away if misleading else home).append("Z")
    return home, away, with_z


def sample_relation(rng: random.Random, misleading: bool, opts: RelationOptions) -> Sample:
    """Draw one relation query (see the module docstring)."""
    home, away, with_z = _components(rng, rng.randint(*opts.cities), misleading)
    edges = _tree_edges(rng, home, opts.cycle_prob)
    if len(away) >= 2:
        edges += _tree_edges(rng, away, opts.cycle_prob)
    elif away:  # a lone city still needs a line to appear: tie it to a fresh city
        spare = next(c for c in _OTHERS if c not in home + away)
        edges.append((away[0], spare))
        away.append(spare)
    edges = [(v, u) if rng.random() < 0.5 else (u, v) for u, v in edges]
    rng.shuffle(edges)
    lines = "\n".join(f"{u} is connected with {v}" for u, v in edges)
    connected = "Z" in home
    text = f"{lines}\nSo 'the city A and Z is connected' is "
    return Sample(input=text, answer=str(connected), shortcut=str(with_z),
                  info={"edges": [list(e) for e in edges]})


FAMILY = make_family(
    "relation", sample_relation, RelationOptions, labels=("True", "False"),
    summary="is A connected with Z: Z appears only when reachable (normal) or unreachable "
            "(misleading)",
)
