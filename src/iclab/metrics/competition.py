"""Competition between task recognition (TR) and task learning (TL) over checkpoints.

Definitions from Wang et al. (2024), "Investigating the Pre-Training Dynamics of In-Context
Learning: Task Recognition vs. Task Learning". For consecutive checkpoints i-1, i and a
tolerance alpha (same units as the scores, which are in %):

* hard competition ``C^h_i = 1`` when one ability rises by more than alpha while the other
  falls by more than alpha, else 0;
* intensity ``C^s_i`` = size of the fall / size of the rise in those cases, else 0;
* cumulative ``R_i = 100 * sum_{j<=i} C^s_j / sum_j C^s_j`` with a 0 prepended (one entry per
  checkpoint). When no competition occurs at all the sum is 0 and R is all zeros (the paper's
  code would divide by zero).
"""

from __future__ import annotations

from typing import Sequence

PAPER_ALPHA_PER_TASK = 0.1
PAPER_ALPHA_AVERAGED = 0.01


def competition(tr: Sequence[float], tl: Sequence[float], alpha: float = PAPER_ALPHA_PER_TASK,
                decimals: int | None = None) -> dict:
    """Competition metrics between two curves over checkpoints.

    Args:
        tr: task-recognition accuracy (random-label accuracy, %) per checkpoint, in order.
        tl: task-learning accuracy (abstract-symbol accuracy, %) per checkpoint, same length.
        alpha: tolerance; changes of at most alpha do not count.
        decimals: None (default: exact) or the paper's 2: accuracies rounded to 2 decimals
            (in %) before comparing, and each soft intensity rounded to 2 decimals.

    Returns:
        ``hard`` (list of 0/1) and ``intensity`` (list of floats), one per consecutive pair;
        ``cumulative`` (R, with the leading 0, one per checkpoint); ``mean_intensity``.
    """
    if len(tr) != len(tl):
        raise ValueError(f"tr and tl must have equal lengths, got {len(tr)} and {len(tl)}")
    if len(tr) < 2:
        raise ValueError(f"competition needs at least 2 checkpoints, got {len(tr)}")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    if decimals is not None:
        tr, tl = [round(x, decimals) for x in tr], [round(x, decimals) for x in tl]
    hard: list[int] = []
    intensity: list[float] = []
    for i in range(1, len(tr)):
        d_tr, d_tl = tr[i] - tr[i - 1], tl[i] - tl[i - 1]
        if d_tr > alpha and -d_tl > alpha:  # TR rises, TL falls
            hard.append(1)
            intensity.append(-d_tl / d_tr)
        elif -d_tr > alpha and d_tl > alpha:  # TR falls, TL rises
            hard.append(1)
            intensity.append(-d_tr / d_tl)
        else:
            hard.append(0)
            intensity.append(0.0)
        if decimals is not None:
            intensity[-1] = round(intensity[-1], decimals)
    total = sum(intensity)
    running, cumulative = 0.0, [0.0]
    for c in intensity:
        running += c
        cumulative.append(100.0 * running / total if total > 0 else 0.0)
    return {
        "hard": hard,
        "intensity": intensity,
        "cumulative": cumulative,
        "mean_intensity": total / len(intensity),
        "alpha": alpha,
        "decimals": decimals,
    }
