"""Bradley–Terry scores from pairwise votes, with bootstrap confidence intervals.

Each vote is a game: the winner scores 1, the loser 0; a tie, and "both bad",
give each side half (as public arenas count them). Strengths ``p`` are the
maximum-likelihood fit of P(i beats j) = p_i / (p_i + p_j), found with Hunter's
minorisation–maximisation update

    p_i <- W_i / sum_j n_ij / (p_i + p_j)

(W_i: i's points, n_ij: games between i and j). A model that never won would
have strength 0, so every model also plays ``prior`` virtual ties against a
fixed reference of strength 1: one model's first vote cannot send it to
minus infinity, and the scale is anchored there. Scores are on the Elo scale:
``1000 + 400 log10 p`` (a 100-point gap: the higher wins about 64% of the time).
With ``prior=0`` the fit is the plain MLE, scaled so strengths multiply to 1.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

Game = tuple[str, str, float]  # (a, b, a's points: 1, 0.5 or 0)
BASE, SCALE = 1000.0, 400.0
PRIOR = 0.5           # virtual points won (and lost) by each model against the reference
BOOTSTRAP_ROUNDS = 200
# Below this many votes a model's bootstrap interval says nothing (one vote
# resampled is the same vote every time): the page says "too few votes".
MIN_VOTES_FOR_INTERVAL = 5
MAX_ITERATIONS = 10_000
TOLERANCE = 1e-10


def strengths(games: Sequence[Game], prior: float = PRIOR) -> dict[str, float]:
    """Each model's Bradley–Terry strength."""
    players = sorted({p for a, b, _ in games for p in (a, b)})
    if not players:
        return {}
    points: dict[str, float] = defaultdict(float)
    meetings: dict[str, dict[str, float]] = {p: defaultdict(float) for p in players}
    for a, b, score in games:
        points[a] += score
        points[b] += 1.0 - score
        meetings[a][b] += 1.0
        meetings[b][a] += 1.0
    p = dict.fromkeys(players, 1.0)
    for _ in range(MAX_ITERATIONS):
        new = {}
        for i in players:
            denominator = sum(n / (p[i] + p[j]) for j, n in meetings[i].items())
            denominator += 2 * prior / (p[i] + 1.0)
            new[i] = (points[i] + prior) / denominator if denominator else 1.0
        if prior == 0:  # no reference: fix the scale by the geometric mean
            mean = math.exp(sum(math.log(max(v, 1e-300)) for v in new.values()) / len(new))
            new = {i: v / mean for i, v in new.items()}
        change = max(abs(math.log(max(new[i], 1e-300)) - math.log(max(p[i], 1e-300)))
                     for i in players)
        p = new
        if change < TOLERANCE:
            break
    return p


def score_of(strength: float) -> float:
    return BASE + SCALE * math.log10(max(strength, 1e-300))


@dataclass(frozen=True)
class Rating:
    model: str
    score: float
    low: float
    high: float
    votes: int

    @property
    def interval_known(self) -> bool:
        """Whether the interval means something: enough votes, and they disagree."""
        return self.votes >= MIN_VOTES_FOR_INTERVAL and self.high > self.low


def ratings(games: Sequence[Game], prior: float = PRIOR, rounds: int = BOOTSTRAP_ROUNDS,
            seed: int = 0) -> list[Rating]:
    """Scores with 95% intervals (the 2.5th and 97.5th percentiles of the scores
    refitted on ``rounds`` resamples of the votes, seeded: the same votes always
    give the same page), best first."""
    fitted = strengths(games, prior)
    votes: dict[str, int] = defaultdict(int)
    for a, b, _ in games:
        votes[a] += 1
        votes[b] += 1
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {m: [] for m in fitted}
    for _ in range(rounds if games else 0):
        resampled = [games[rng.randrange(len(games))] for _ in games]
        refit = strengths(resampled, prior)
        for model in fitted:
            # A model missing from a resample is where the prior leaves it.
            samples[model].append(score_of(refit.get(model, 1.0)))
    out = []
    for model, strength in fitted.items():
        drawn = sorted(samples[model]) or [score_of(strength)]
        out.append(Rating(model, round(score_of(strength), 1), round(_percentile(drawn, 2.5), 1),
                          round(_percentile(drawn, 97.5), 1), votes[model]))
    return sorted(out, key=lambda r: (-r.score, r.model))


def _percentile(ordered: list[float], percent: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    at = (len(ordered) - 1) * percent / 100
    low, high = math.floor(at), math.ceil(at)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


WINNER_POINTS = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}


def games_from_votes(votes: Sequence[tuple[str, str, str]]) -> list[Game]:
    """(model of side a, model of side b, winner) -> games."""
    return [(a, b, WINNER_POINTS[w]) for a, b, w in votes if w in WINNER_POINTS]
