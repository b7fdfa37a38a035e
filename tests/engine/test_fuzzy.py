"""Fuzzy comprehensive evaluation: both operators worked by hand, batches, grades."""

from __future__ import annotations

import numpy as np
import pytest

from jixiao.engine.weights import FuzzyError, fuzzy_evaluate, membership_from_counts

# Three factors rated by 10 raters on four grades (优、良、中、差).
COUNTS = [[5, 3, 2, 0], [2, 5, 2, 1], [1, 2, 5, 2]]
W = [0.5, 0.3, 0.2]
GRADES = ["优", "良", "中", "差"]


def test_membership_from_counts():
    r = membership_from_counts(COUNTS)
    assert r[0].tolist() == [0.5, 0.3, 0.2, 0.0]
    assert membership_from_counts([[0, 0]]).tolist() == [[0.0, 0.0]]
    with pytest.raises(FuzzyError):
        membership_from_counts([[-1, 2]])


def test_weighted_average_operator():
    r = membership_from_counts(COUNTS)
    result = fuzzy_evaluate(W, r, grade_scores=[95, 85, 75, 60])
    # bⱼ = Σ wᵢ rᵢⱼ: 0.25+0.06+0.02, 0.15+0.15+0.04, 0.10+0.06+0.10, 0+0.03+0.04
    assert result.b.tolist() == pytest.approx([0.33, 0.34, 0.26, 0.07])
    assert result.b_normalized.sum() == pytest.approx(1.0)
    assert result.grade == 1 and not result.tied
    assert result.score == pytest.approx(0.33 * 95 + 0.34 * 85 + 0.26 * 75 + 0.07 * 60)
    data = result.as_json(GRADES)
    assert data["grade"] == "良" and data["operator"] == "weighted_average"


def test_max_min_operator():
    r = membership_from_counts(COUNTS)
    result = fuzzy_evaluate(W, r, operator="max_min")
    # bⱼ = maxᵢ min(wᵢ, rᵢⱼ): max(.5,.2,.1)=.5, max(.3,.3,.2)=.3, max(.2,.2,.2)=.2, max(0,.1,.2)=.2
    assert result.b.tolist() == pytest.approx([0.5, 0.3, 0.2, 0.2])
    assert result.b_normalized.tolist() == pytest.approx(
        [0.5 / 1.2, 0.3 / 1.2, 0.2 / 1.2, 0.2 / 1.2]
    )
    assert result.grade == 0


def test_batches_of_appraisees_and_ties():
    r = np.stack([membership_from_counts(COUNTS), np.full((3, 4), 0.25)])
    result = fuzzy_evaluate(W, r, grade_scores=[4, 3, 2, 1])
    assert result.b.shape == (2, 4)
    assert result.grade.tolist() == [1, 0]
    assert result.tied.tolist() == [False, True]
    assert result.score is not None and result.score[1] == pytest.approx(2.5)
    assert len(result.as_json()["results"]) == 2


def test_bad_input():
    with pytest.raises(FuzzyError):
        fuzzy_evaluate(W, [[0.5, 1.5]] * 3)
    with pytest.raises(FuzzyError):
        fuzzy_evaluate([0.5, 0.5], membership_from_counts(COUNTS))
    with pytest.raises(FuzzyError):
        fuzzy_evaluate(W, membership_from_counts(COUNTS), grade_scores=[1, 2])
    with pytest.raises(ValueError):
        fuzzy_evaluate(W, membership_from_counts(COUNTS), operator="nope")  # type: ignore[arg-type]
