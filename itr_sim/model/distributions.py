"""Handling-time and delay distributions with named parameters and known moments.

Written in YAML as a one-key mapping, e.g. ``{lognormal: {mean: 25m, cv: 1.0}}``.
Every parameter is named and every time is a duration with a unit, so there is no
"is Exponential(4) a rate or a mean?" ambiguity. Each family knows its mean and variance
(in minutes and minutes squared) so tests can compare samples against them.
"""

from __future__ import annotations

import itertools
import math
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, model_validator

from itr_sim.model.fields import ElapsedDuration, Strict
from itr_sim.units import UnitError, parse_fraction

if TYPE_CHECKING:  # numpy is imported where arrays are made: validating never loads it
    import numpy as np

__all__ = ["Distribution"]

PositiveCV = Annotated[float, Field(gt=0, le=10)]
MIN_WEIBULL_SHAPE = 0.1
"""Below this the Weibull's moments overflow a float (Gamma(1 + 2/k))."""


class _WithMean(Strict):
    """A family given by its mean: the mean must be above zero (log(0), rate 1/0)."""

    mean: ElapsedDuration

    @model_validator(mode="after")
    def _positive(self) -> _WithMean:
        if self.mean.minutes <= 0:
            raise ValueError(f"mean must be above 0m, got {self.mean}; for no delay at all "
                             "write {fixed: {value: 0m}}")
        return self


class Exponential(_WithMean):
    pass


class LogNormal(_WithMean):
    cv: PositiveCV = Field(description="coefficient of variation: standard deviation / mean")


class Gamma(_WithMean):
    cv: PositiveCV


class Weibull(_WithMean):
    shape: Annotated[float, Field(ge=MIN_WEIBULL_SHAPE, le=20)]


class Fixed(Strict):
    value: ElapsedDuration


class Uniform(Strict):
    low: ElapsedDuration
    high: ElapsedDuration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high.minutes <= self.low.minutes:
            raise ValueError(f"high ({self.high}) must be above low ({self.low})")
        return self


class Triangular(Strict):
    low: ElapsedDuration
    mode: ElapsedDuration
    high: ElapsedDuration

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low.minutes <= self.mode.minutes <= self.high.minutes or (
            self.high.minutes == self.low.minutes
        ):
            raise ValueError(f"need low <= mode <= high and low < high, got "
                             f"{self.low}, {self.mode}, {self.high}")
        return self


MAX_QUANTILES = 1000
"""Most points of an empirical distribution."""


class Empirical(Strict):
    """A piecewise-linear quantile function through the given points: between two
    neighbouring points (p1, x1) and (p2, x2), a share p2 - p1 of the values is spread
    uniformly over [x1, x2]."""

    quantiles: dict[str, ElapsedDuration] = Field(
        description="probability -> value, e.g. {\"0%\": 2m, \"50%\": 30m, \"100%\": 2d}: "
        "0% and 100% required, values non-decreasing with the probability",
        json_schema_extra={"propertyNames": {"pattern": r"^\d+(\.\d+)?\s*%$|^[01](\.\d+)?$"}},
    )

    @model_validator(mode="after")
    def _points(self) -> Empirical:
        if len(self.quantiles) > MAX_QUANTILES:
            raise ValueError(f"{len(self.quantiles)} points, more than the {MAX_QUANTILES} "
                             "allowed; thin the quantiles")
        probs = []
        for key in self.quantiles:
            try:
                probs.append(parse_fraction(key, what="a probability"))
            except UnitError as exc:
                raise ValueError(f"quantile key {key!r}: {exc}") from None
        if 0.0 not in probs or 1.0 not in probs:
            raise ValueError("the quantiles need the points 0% and 100% (the smallest and the "
                             f"largest value), got {', '.join(self.quantiles) or 'none'}")
        if any(b <= a for a, b in itertools.pairwise(probs)):
            raise ValueError("give the quantiles in strictly increasing order of probability, "
                             f"each once, got {', '.join(self.quantiles)}")
        values = [d.minutes for d in self.quantiles.values()]
        for (k1, a), (k2, b) in zip(self.quantiles.items(),
                                    list(self.quantiles.items())[1:], strict=False):
            if b.minutes < a.minutes:
                raise ValueError(f"values must not decrease with the probability: {k1} is "
                                 f"{a} but {k2} is {b}")
        if values[-1] <= 0:
            raise ValueError("every quantile is 0m: for no delay at all write "
                             "{fixed: {value: 0m}}")
        return self

    @cached_property
    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, values in minutes) of the quantile function's corners."""
        import numpy as np

        probs = [parse_fraction(k) for k in self.quantiles]
        return (np.array(probs, float),
                np.array([d.minutes for d in self.quantiles.values()], float))

    def moments(self) -> tuple[float, float]:
        """Exact mean and variance: each piece is a uniform on [x1, x2] of weight p2 - p1
        (E X = (x1 + x2) / 2, E X^2 = (x1^2 + x1 x2 + x2^2) / 3)."""
        import numpy as np

        p, x = self.points
        w, a, b = np.diff(p), x[:-1], x[1:]
        mean = float(np.sum(w * (a + b) / 2.0))
        second = float(np.sum(w * (a * a + a * b + b * b) / 3.0))
        return mean, max(second - mean * mean, 0.0)


FAMILIES = ("exponential", "lognormal", "gamma", "weibull", "fixed", "uniform", "triangular",
            "empirical")


class Distribution(Strict):
    """Exactly one of the families, with its named parameters."""

    exponential: Exponential | None = None
    lognormal: LogNormal | None = None
    gamma: Gamma | None = None
    weibull: Weibull | None = None
    fixed: Fixed | None = None
    uniform: Uniform | None = None
    triangular: Triangular | None = None
    empirical: Empirical | None = None

    model_config = Strict.model_config | {
        "json_schema_extra": {"minProperties": 1, "maxProperties": 1}
    }

    @model_validator(mode="before")
    @classmethod
    def _one_family(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(
                "a distribution is a one-key mapping such as {lognormal: {mean: 25m, cv: 1.0}}"
                f" or {{exponential: {{mean: 15m}}}}, got {data!r}"
            )
        if len(data) != 1:
            raise ValueError(
                f"give exactly one distribution family, got {len(data)}: "
                f"{', '.join(map(str, data)) or 'none'} (families: {', '.join(FAMILIES)})"
            )
        return data

    @cached_property
    def family(self) -> str:
        return next(name for name in FAMILIES if getattr(self, name) is not None)

    @cached_property
    def params(self) -> Any:
        return getattr(self, self.family)

    @cached_property
    def mean(self) -> float:
        """Mean in minutes."""
        p, f = self.params, self.family
        if f in ("exponential", "lognormal", "gamma", "weibull"):
            return float(p.mean.minutes)
        if f == "fixed":
            return float(p.value.minutes)
        if f == "uniform":
            return (p.low.minutes + p.high.minutes) / 2.0
        if f == "empirical":
            return p.moments()[0]
        return (p.low.minutes + p.mode.minutes + p.high.minutes) / 3.0

    @property
    def variance(self) -> float:
        """Variance in minutes squared."""
        p, f, m = self.params, self.family, self.mean
        if f == "exponential":
            return m * m
        if f in ("lognormal", "gamma"):
            return (p.cv * m) ** 2
        if f == "weibull":
            k = p.shape
            g1, g2 = math.gamma(1 + 1 / k), math.gamma(1 + 2 / k)
            return m * m * (g2 / (g1 * g1) - 1.0)
        if f == "fixed":
            return 0.0
        if f == "uniform":
            return (p.high.minutes - p.low.minutes) ** 2 / 12.0
        if f == "empirical":
            return p.moments()[1]
        a, c, b = p.low.minutes, p.mode.minutes, p.high.minutes
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """Draw from the distribution (minutes) with the caller's generator."""
        if size is None:  # one value: the first of a block of one, the same stream
            return float(self.sample(rng, 1)[0])
        p, f, m = self.params, self.family, self.mean
        if f == "exponential":
            return rng.exponential(m, size)
        if f == "lognormal":
            sigma2 = math.log1p(p.cv * p.cv)
            return rng.lognormal(math.log(m) - sigma2 / 2.0, math.sqrt(sigma2), size)
        if f == "gamma":
            shape = 1.0 / (p.cv * p.cv)
            return rng.gamma(shape, m / shape, size)
        if f == "weibull":
            scale = m / math.gamma(1 + 1 / p.shape)
            return scale * rng.weibull(p.shape, size)
        if f == "fixed":
            import numpy as np

            return np.full(size, m)
        if f == "uniform":
            return rng.uniform(p.low.minutes, p.high.minutes, size)
        if f == "empirical":
            import numpy as np

            probs, values = p.points
            return np.interp(rng.random(size), probs, values)
        return rng.triangular(p.low.minutes, p.mode.minutes, p.high.minutes, size)

    def __str__(self) -> str:
        dumped = self.params.model_dump(mode="json")
        if self.family == "empirical":
            dumped = dumped["quantiles"]
        fields = ", ".join(f"{k}: {v}" for k, v in dumped.items())
        return f"{self.family}({fields})"
