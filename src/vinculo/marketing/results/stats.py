"""The statistics of a campaign's results, with no Django import: intervals for the lift over
the control group and the tests behind an A/B winner.

- Conversion lift: the difference of two proportions with Newcombe's hybrid score interval
  (method 10 of Newcombe 1998, built from the two Wilson intervals). It keeps its coverage
  with few conversions and at rates near 0, where the normal approximation (Wald) is too
  narrow and can leave [-1, 1].
- Revenue (or margin) per member: Welch's t interval for the difference of two means with
  unequal variances, from each group's count, sum and sum of squares — the three figures one
  SQL aggregate gives, so a million members never leave the database. Revenue per member is
  mostly zeros and skewed; with hundreds of members per group the mean is close enough to
  normal (central limit), and for a few dozen the interval is wide, which is the honest answer.
- A/B: the pooled two-proportion z-test for a rate, Welch's t-test for revenue per recipient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as _st

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def _z(confidence: float) -> float:
    return float(_st.norm.ppf(0.5 + confidence / 2))


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> Interval:
    """Wilson's score interval of one proportion."""
    if trials <= 0:
        return Interval(math.nan, math.nan, math.nan)
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and trials")
    z = _z(confidence)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def newcombe(k1: int, n1: int, k0: int, n0: int,
             confidence: float = CONFIDENCE) -> Interval:
    """p1 − p0 with Newcombe's hybrid score interval (group 1 treated, group 0 control)."""
    if n1 <= 0 or n0 <= 0:
        return Interval(math.nan, math.nan, math.nan)
    one, zero = wilson(k1, n1, confidence), wilson(k0, n0, confidence)
    p1, p0 = one.estimate, zero.estimate
    diff = p1 - p0
    low = diff - math.sqrt((p1 - one.low) ** 2 + (zero.high - p0) ** 2)
    high = diff + math.sqrt((one.high - p1) ** 2 + (p0 - zero.low) ** 2)
    return Interval(diff, low, high)


@dataclass(frozen=True)
class Moments:
    """A group's count, sum and sum of squares of a per-member figure (zeros included)."""

    n: int
    total: float
    squares: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        """The sample variance (n − 1), never below 0 from rounding."""
        if self.n < 2:
            return math.nan
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))


def _welch(one: Moments, zero: Moments) -> tuple[float, float, float]:
    """(difference of means, its standard error, Welch–Satterthwaite degrees of freedom)."""
    a, b = one.variance / one.n, zero.variance / zero.n
    se = math.sqrt(a + b)
    if se == 0:
        return one.mean - zero.mean, 0.0, math.inf
    df = (a + b) ** 2 / ((a * a / (one.n - 1) if a else 0) + (b * b / (zero.n - 1) if b else 0))
    return one.mean - zero.mean, se, df


def welch(one: Moments, zero: Moments, confidence: float = CONFIDENCE) -> Interval:
    """mean₁ − mean₀ with Welch's t interval."""
    if one.n < 2 or zero.n < 2:
        return Interval(math.nan, math.nan, math.nan)
    diff, se, df = _welch(one, zero)
    if se == 0:
        return Interval(diff, diff, diff)
    t = float(_st.t.ppf(0.5 + confidence / 2, df))
    return Interval(diff, diff - t * se, diff + t * se)


def welch_p(one: Moments, zero: Moments) -> float:
    """Two-sided p-value of Welch's t-test (no difference of means)."""
    if one.n < 2 or zero.n < 2:
        return math.nan
    diff, se, df = _welch(one, zero)
    if se == 0:
        return 1.0 if diff == 0 else 0.0
    return float(2 * _st.t.sf(abs(diff / se), df))


def proportions_p(k1: int, n1: int, k0: int, n0: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    if n1 <= 0 or n0 <= 0:
        return math.nan
    pooled = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k0 / n0) / se
    return float(2 * _st.norm.sf(abs(z)))
