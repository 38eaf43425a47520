"""One day of the marketplace written the idiomatic Mesa way: a Python `step` per agent,
one draw per view. It is the yardstick the vectorised model is measured against: the
same pipeline (post, allocate, view, follow, buy) with the same rates, no columns."""

from __future__ import annotations

import bisect
import itertools
import math

import mesa

from sim.scenario.schema import Scenario


class MesaCreator(mesa.Agent):  # type: ignore[misc]
    """A creator that posts a work with probability post_rate."""

    def __init__(self, model: MesaDayModel) -> None:
        super().__init__(model)
        self.quality = model.random.lognormvariate(0.0, 0.5)
        self.commerce = model.random.random() < 0.2
        self.followers = 0
        self.price = 80.0 * model.random.lognormvariate(0.0, 0.3)

    def post(self) -> None:
        """Maybe post a work today."""
        if self.random.random() < self.model.config.population.post_rate:
            self.model.works.append([self, self.model.config.traffic.base_exposure, 0])


class MesaFan(mesa.Agent):  # type: ignore[misc]
    """A fan that views, follows and buys one view at a time."""

    def __init__(self, model: MesaDayModel) -> None:
        super().__init__(model)
        p = model.config.population
        sigma = math.sqrt(2 * math.log(p.views_mean / p.views_median))
        self.activity = model.random.lognormvariate(math.log(p.views_median), sigma)
        self.budget = 300.0 * model.random.lognormvariate(0.0, 0.8)

    def browse(self) -> None:
        """Spend today's views on works chosen in proportion to their impressions."""
        model = self.model
        rng = self.random
        c = model.config.commerce
        views = _poisson(rng, self.activity)
        for _ in range(views):
            k = bisect.bisect(model.cumulative, rng.random() * model.cumulative[-1])
            work = model.works[min(k, len(model.works) - 1)]
            creator = work[0]
            work[2] += 1
            if rng.random() < model.config.traffic.follow_rate * creator.quality:
                creator.followers += 1
            if creator.commerce and rng.random() < c.buy_rate and self.budget >= creator.price:
                self.budget -= creator.price
                model.orders += 1


def _poisson(rng: object, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()  # type: ignore[attr-defined]
        if p <= limit:
            return k
        k += 1


class MesaDayModel(mesa.Model):  # type: ignore[misc]
    """Fans and creators as Mesa agents; `step` simulates one day agent by agent."""

    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.config = scenario
        p = scenario.population
        self.creators = [MesaCreator(self) for _ in range(p.creators)]
        self.fans = [MesaFan(self) for _ in range(p.fans)]
        self.works: list[list[object]] = []
        self.cumulative: list[float] = []
        self.orders = 0

    def step(self) -> None:
        self.works = []
        for creator in self.creators:
            creator.post()
        # The platform: base exposure for each work, per work, in a Python loop.
        budget = sum(f.activity for f in self.fans) * 4
        total = sum(w[1] for w in self.works) or 1  # type: ignore[misc]
        share = min(1.0, budget / total)
        self.cumulative = list(itertools.accumulate(w[1] * share for w in self.works))
        for fan in self.fans:
            fan.browse()
