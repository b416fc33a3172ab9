"""Competition metrics pinned on hand-made curves, including ties and alpha edges."""

import pytest

from iclab.metrics.competition import competition


def test_hand_made_curve():
    tr = [50.0, 60.0, 55.0, 55.0, 70.0]
    tl = [40.0, 35.0, 45.0, 50.0, 50.0]
    out = competition(tr, tl, alpha=0.1)
    # 1: TR +10, TL -5 -> hard, 5/10; 2: TR -5, TL +10 -> hard, 5/10; 3: TR tie -> 0; 4: TL tie -> 0
    assert out["hard"] == [1, 1, 0, 0]
    assert out["intensity"] == pytest.approx([0.5, 0.5, 0.0, 0.0])
    assert out["cumulative"] == pytest.approx([0.0, 50.0, 100.0, 100.0, 100.0])
    assert out["mean_intensity"] == pytest.approx(0.25)


def test_alpha_edges_are_strict():
    # changes of exactly alpha do not count; just above alpha does
    assert competition([0, 1], [1, 0], alpha=1.0)["hard"] == [0]
    out = competition([0, 1.5], [1.5, 0], alpha=1.0)
    assert out["hard"] == [1] and out["intensity"] == pytest.approx([1.0])


def test_both_rise_is_not_competition():
    out = competition([10, 20, 30], [10, 20, 30], alpha=0.1)
    assert out["hard"] == [0, 0] and out["cumulative"] == [0.0, 0.0, 0.0]


def test_unequal_or_short_curves():
    with pytest.raises(ValueError, match="equal lengths"):
        competition([1, 2], [1])
    with pytest.raises(ValueError, match="at least 2"):
        competition([1], [1])
