"""Handling-time and delay distributions with named parameters and known moments.

Written in YAML as a one-key mapping, e.g. ``{lognormal: {mean: 25m, cv: 1.0}}``.
Every parameter is named and every time is a duration with a unit, so there is no
"is Exponential(4) a rate or a mean?" ambiguity. Each family knows its mean and variance
(in minutes and minutes squared) so tests can compare samples against them.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Any

import numpy as np
from pydantic import Field, model_validator

from itr_sim.model.fields import ElapsedDuration, Strict

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


FAMILIES = ("exponential", "lognormal", "gamma", "weibull", "fixed", "uniform", "triangular")


class Distribution(Strict):
    """Exactly one of the families, with its named parameters."""

    exponential: Exponential | None = None
    lognormal: LogNormal | None = None
    gamma: Gamma | None = None
    weibull: Weibull | None = None
    fixed: Fixed | None = None
    uniform: Uniform | None = None
    triangular: Triangular | None = None

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
            return np.full(size, m)
        if f == "uniform":
            return rng.uniform(p.low.minutes, p.high.minutes, size)
        return rng.triangular(p.low.minutes, p.mode.minutes, p.high.minutes, size)

    def __str__(self) -> str:
        fields = ", ".join(f"{k}: {v}" for k, v in self.params.model_dump(mode="json").items())
        return f"{self.family}({fields})"
