"""The scenario: every policy lever and population size of one simulation, validated.

A scenario is immutable and fully resolved (defaults are the 2019 Kuaishou baseline), so
it can key caches and name run directories. Loading it from YAML lives in
:mod:`sim.scenario.files`; its memory budget in :mod:`sim.scenario.memory`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from sim.allocation import Method, PolicyShare

__all__ = [
    "LEVER_GROUPS",
    "CommercePolicy",
    "Population",
    "RunSettings",
    "Scenario",
    "TimelineEntry",
    "TrafficPolicy",
    "lever_paths",
]

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
"""Scenario names become directory names, so they are restricted to a portable slug."""

_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def _reject_bool(value: object) -> object:
    """Refuse ``true``/``false`` where a number is due: pydantic would read them as 1 and 0."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {str(value).lower()}")
    return value


def _check_slug(value: str) -> str:
    if not re.fullmatch(SLUG_PATTERN, value):
        raise ValueError(
            "must be a slug of at most 64 lowercase letters, digits, '-' or '_' "
            f"(it names the run directory), got {value!r}"
        )
    return value


def _check_unique[T](values: tuple[T, ...]) -> tuple[T, ...]:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"must not repeat entries, got {', '.join(repeated)} more than once")
    return values


Int = Annotated[int, BeforeValidator(_reject_bool)]
Float = Annotated[float, BeforeValidator(_reject_bool)]
Share = Annotated[float, Field(ge=0, le=1), BeforeValidator(_reject_bool)]
"""A share in [0, 1]; the bounds sit inside so that ``Share | None`` keeps them in the schema."""
Slug = Annotated[str, AfterValidator(_check_slug)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class TrafficPolicy(BaseModel):
    """How the platform hands out impressions: the climbing stages and fairness control."""

    model_config = _CONFIG

    base_exposure: Int = Field(
        300, ge=0, le=1_000_000, description="Impressions every new work gets in its first round."
    )
    stage_quotas: tuple[
        Annotated[int, Field(ge=1, le=1_000_000_000), BeforeValidator(_reject_bool)], ...
    ] = Field(
        (5000, 40000, 200000),
        min_length=1,
        max_length=6,
        description="Impressions for the 2nd, 3rd, ... push of a climbing work (stages = 1 + len).",
    )
    promote_share: Float = Field(
        0.2,
        gt=0,
        le=1,
        description="Share of a stage's works pushed to the next stage, by smoothed conversion.",
    )
    conversion_prior: Float = Field(
        20.0,
        ge=0,
        le=1_000_000,
        description="Pseudo-views that smooth a work's conversion before ranking it for promotion.",
    )
    gini_cap: PolicyShare | None = Field(
        0.6,
        description="Upper bound on the Gini of per-creator impressions each day; null = no cap.",
    )
    ordinary_floor: PolicyShare | None = Field(
        0.7,
        description="Minimum share of traffic to ordinary (non-head) creators: held on "
        "discovery impressions by the kernel and on all views by throttling head creators' "
        "climbing quotas; null = none.",
    )
    head_follower_share: Float = Field(
        0.0005,
        ge=0,
        le=1,
        description="Followers as a share of fans above which a creator counts as 'head'.",
    )
    method: Method = Field(
        "blend",
        description="Fairness method: 'blend' moves boosts toward the mean, 'cap' trims the top.",
    )
    feed: Literal["double_column", "single_column"] = Field(
        "double_column",
        description="Discovery feed layout: fans choose among covers, or are pushed one item.",
    )
    covers_per_screen: Int = Field(
        4, ge=1, le=10, description="Covers a fan sees per screen (double-column feed only)."
    )
    follow_page_weight: Float = Field(
        0.06433, ge=0, le=1, description="Share of a fan's views spent on the follow page."
    )
    follow_rate: Float = Field(
        0.00008744,
        ge=0,
        le=1,
        description="Follow probability per discovery view of an average work by a creator "
        "whose earlier works a fan can browse.",
    )


class CommercePolicy(BaseModel):
    """How goods are sourced, sold, checked and promoted."""

    model_config = _CONFIG

    platform_commission: Float = Field(
        0.05,
        ge=0,
        le=0.5,
        description="Share of a platform-shop sale the platform keeps; merchants pass half into "
        "shop prices and half out of creators' commission, so creators with an external store "
        "sell there more as it rises.",
    )
    creator_commission: Float = Field(
        0.2,
        ge=0,
        le=0.9,
        description="Share of the price a merchant pays a creator carrying its goods.",
    )
    external_links: bool = Field(
        True,
        description="Whether creators may link to external stores (Taobao, JD, PDD ...): "
        "their own fee and natural traffic, no platform guarantee.",
    )
    external_store_share: Float = Field(
        0.3, ge=0, le=1, description="Share of commerce creators that also have an external store."
    )
    source_goods: bool = Field(
        False, description="Whether the source-goods programme lets creators buy from suppliers."
    )
    source_goods_share: Float = Field(
        0.3, ge=0, le=1, description="Share of suppliers in the source-goods programme."
    )
    middlemen: Int = Field(
        3,
        ge=0,
        le=10,
        description="Middlemen between a supplier and a creator outside the programme.",
    )
    middleman_markup: Float = Field(
        0.2, ge=0, le=2, description="Markup each middleman adds to the price, as a share."
    )
    flash_listing: bool = Field(
        True, description="Whether products can be listed in seconds, lowering listing cost."
    )
    quality_check: Float = Field(
        0.5,
        ge=0,
        le=1,
        description="Daily inspection probability of a seller whose complaint rate reaches 10% "
        "(in proportion below, 2% of it for spot checks); an inspection finds bad goods 90% of "
        "the time and wrongly penalises an honest seller 1% of the time.",
    )
    penalty_days: Int = Field(
        14, ge=0, le=365, description="Days a caught seller is barred from selling."
    )
    event_days: Annotated[
        tuple[Annotated[int, Field(ge=0, le=100_000), BeforeValidator(_reject_bool)], ...],
        AfterValidator(_check_unique),
    ] = Field(
        (308, 309),
        max_length=366,
        description="Days (0-based) of the promotional festival ('1106': 5-6 November 2019, "
        "day 0 being 1 January 2019).",
    )
    event_lift: Float = Field(
        4.176, ge=1, le=50, description="Multiplier on purchase intent during event days."
    )
    buy_rate: Float = Field(
        0.0000942, ge=0, le=1, description="Base purchase probability per commerce view."
    )
    live_multiplier: Float = Field(
        17.01, ge=1, le=100, description="Purchase-probability multiplier for live streams."
    )
    seeding_share: Float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of the decisions to buy from a short video that wait for a later "
        "day (种草, then 拔草); a live stream sells within the stream.",
    )
    seeding_days: Float = Field(
        3.0,
        ge=1,
        le=14,
        description="Mean days from the short video to the order of a decision that waits.",
    )
    trust_gain: Float = Field(
        0.05, ge=0, le=1, description="Trust a fan gains in a creator after a good purchase."
    )
    trust_loss: Float = Field(
        0.3, ge=0, le=1, description="Trust a fan loses in a creator after a bad product."
    )
    bad_quality_share: Float = Field(
        0.1,
        ge=0,
        le=1,
        description="Share of merchants selling bad goods: cheaper (x0.75), paying twice the "
        "commission, looking like good goods until used.",
    )


class Population(BaseModel):
    """How many agents of each kind are simulated, and how creators come and go."""

    model_config = _CONFIG

    fans: Int = Field(200_000, ge=1, le=50_000_000, description="Simulated fans (consumers).")
    creators: Int = Field(20_000, ge=1, le=10_000_000, description="Creators at day 0.")
    commerce_creator_share: Float = Field(
        0.1266, ge=0, le=1, description="Share of creators that sell goods (the rest post content)."
    )
    merchants: Int = Field(2000, ge=1, le=10_000_000, description="Merchants at day 0.")
    suppliers: Int = Field(500, ge=1, le=1_000_000, description="Suppliers at day 0.")
    scale: Float = Field(
        1000.0,
        ge=1,
        le=10_000_000,
        description="Platform users per simulated fan; platform totals are reported times this.",
    )
    creator_scale: Float = Field(
        1.0,
        ge=1,
        le=10_000_000,
        description="Real creators (and merchants, suppliers) per simulated one, all alike: "
        "a creator's own counts are read times scale / creator_scale. A coarser resolution "
        "raises scale and creator_scale by the same factor (docs/scaling.md).",
    )
    creator_entry_rate: Float = Field(
        0.011,
        ge=0,
        le=1,
        description="New commerce creators per day, as a share of active commerce creators.",
    )
    post_rate: Float = Field(
        0.6, ge=0, le=1, description="Probability that a creator posts a short video on a day."
    )
    live_rate: Float = Field(
        0.2099, ge=0, le=1, description="Probability that a commerce creator goes live on a day."
    )
    video_goods_share: Float = Field(
        0.2255,
        ge=0,
        le=1,
        description="Share of a commerce creator's short videos that carry a product link "
        "(live streams always sell).",
    )
    quality_sigma: Float = Field(
        0.7526, ge=0, le=5, description="Spread (log-normal sigma) of creators' content quality."
    )
    sales_skill_sigma: Float = Field(
        1.023,
        ge=0,
        le=5,
        description="Spread (log-normal sigma) of creators' sales skill (persona): "
        "why sales are not proportional to followers.",
    )
    commerce_creator_ceiling: Float = Field(
        8.0,
        ge=1,
        le=1000,
        description="Commerce creators the market can hold, as a multiple of those at day 0: "
        "entry slows as it fills (logistic growth).",
    )
    initial_followers_median: Float = Field(
        5000.0,
        ge=0,
        le=1e9,
        description="Median real-equivalent followers of the creators already on the platform "
        "at day 0 (an eight-year-old platform: the warm start of the follow graph).",
    )
    initial_followers_sigma: Float = Field(
        2.2,
        ge=0,
        le=5,
        description="Spread (log-normal sigma) of those followers: the heavy tail of head "
        "creators with hundreds of thousands to millions of followers.",
    )
    churn_patience: Int = Field(
        60, ge=1, le=10_000, description="Days without income before a creator may leave."
    )
    categories: Annotated[tuple[Category, ...], AfterValidator(_check_unique)] = Field(
        ("apparel", "jewellery", "food", "beauty", "home", "agriculture"),
        min_length=1,
        max_length=64,
        description="Product and content categories (unique names).",
    )
    views_median: Float = Field(
        42.0, ge=1, le=10_000, description="Median views per fan per day (KuaiRec: about 42)."
    )
    views_mean: Float = Field(
        66.0,
        ge=1,
        le=10_000,
        description="Mean views per fan per day (KuaiRec: about 66); above the median.",
        validate_default=True,  # so that raising only the median is checked against it
    )

    @property
    def per_creator_scale(self) -> float:
        """Real units behind one simulated unit of a creator's own counts (followers,
        income, GMV): a simulated follower is `scale` users, shared by the
        `creator_scale` real creators the agent stands for."""
        return self.scale / self.creator_scale

    @field_validator("categories")
    @classmethod
    def _every_category_has_sellers(
        cls, categories: tuple[str, ...], info: ValidationInfo
    ) -> tuple[str, ...]:
        """Every category (industry belt) needs at least one merchant and one supplier."""
        for kind in ("merchants", "suppliers"):
            count = info.data.get(kind)
            if count is not None and count < len(categories):
                raise ValueError(
                    f"{len(categories)} categories need at least {len(categories)} {kind} "
                    f"(one per category), got population.{kind}={count}"
                )
        return categories

    @field_validator("views_mean")
    @classmethod
    def _mean_above_median(cls, views_mean: float, info: ValidationInfo) -> float:
        """A right-skewed (log-normal) views distribution needs mean > median."""
        median = info.data.get("views_median")
        if median is not None and views_mean <= median:
            raise ValueError(
                f"must be greater than population.views_median ({median:g}), got {views_mean:g}"
            )
        return views_mean


class RunSettings(BaseModel):
    """How long to simulate and with which random seed."""

    model_config = _CONFIG

    days: Int = Field(365, ge=1, le=5000, description="Days (rounds) to simulate.")
    seed: Int = Field(2019, ge=0, le=2**63 - 1, description="Seed of the random generators.")


LEVER_GROUPS = ("traffic", "commerce", "population", "run")
"""The groups of settings; every setting's name is unique across them."""


def lever_paths() -> dict[str, str]:
    """Every setting's name with its dotted path: ``{"gini_cap": "traffic.gini_cap", ...}``.

    The names are unique across groups, so a setting can be given by name alone, as the
    keyword arguments of :class:`sim.model.EcosystemModel` are.
    """
    paths: dict[str, str] = {}
    for group in LEVER_GROUPS:
        section = Scenario.model_fields[group].annotation
        assert isinstance(section, type) and issubclass(section, BaseModel)
        for name in section.model_fields:
            if name in paths:
                raise AssertionError(f"{group}.{name} repeats the name of {paths[name]}")
            paths[name] = f"{group}.{name}"
    return paths


class TimelineEntry(BaseModel):
    """Levers set from a given day on: ``{day: 273, set: {commerce.source_goods: true}}``.

    Each key of ``set`` is the dotted path of a traffic or commerce lever; the values are
    checked like ``--set`` against the scenario in force that day
    (:mod:`sim.scenario.timeline`).
    """

    model_config = _CONFIG

    day: Int = Field(
        ge=0,
        le=100_000,
        description="First day (0-based; day 0 is 1 January 2019) the levers take their "
        "new values; a day past run.days never comes in that run.",
    )
    set: dict[str, Any] = Field(
        min_length=1,
        description="Lever paths (traffic.* and commerce.*, like traffic.gini_cap) and "
        "their values from that day on.",
    )

    def __hash__(self) -> int:
        """Hashable like the rest of a frozen scenario, although ``set`` is a mapping."""
        return hash((self.day, json.dumps(self.set, sort_keys=True)))

    @field_validator("set")
    @classmethod
    def _levers_only(cls, levers: dict[str, Any]) -> dict[str, Any]:
        """Every key names one lever a timeline may change (see timeline.check_path)."""
        from sim.scenario.timeline import check_path

        for path in levers:
            check_path(path)
        return levers


class Scenario(BaseModel):
    """One complete, validated simulation setup."""

    model_config = _CONFIG

    name: Slug = Field(
        "baseline",
        description="Short slug naming the scenario and its run directory.",
        json_schema_extra={"pattern": SLUG_PATTERN},
    )
    description: str = Field(
        "Kuaishou 2019 baseline.", max_length=10_000, description="What this scenario explores."
    )
    traffic: TrafficPolicy = Field(
        default_factory=TrafficPolicy, description="Traffic allocation and fairness."
    )
    commerce: CommercePolicy = Field(
        default_factory=CommercePolicy, description="Goods, commissions, checks and events."
    )
    population: Population = Field(
        default_factory=Population, description="Agent counts, scale and turnover."
    )
    run: RunSettings = Field(default_factory=RunSettings, description="Length and seed.")
    timeline: tuple[TimelineEntry, ...] = Field(
        (),
        max_length=1000,
        description="Lever changes from given days on, in order of day (one entry a day): "
        "the scenario in force on a day is this one with every entry up to that day "
        "applied.",
    )

    @field_validator("timeline")
    @classmethod
    def _timeline_applies(
        cls, timeline: tuple[TimelineEntry, ...], info: ValidationInfo
    ) -> tuple[TimelineEntry, ...]:
        """Each entry's values are valid on top of the scenario in force before it;
        they are kept as validated (``20`` for a float lever reads ``20.0``)."""
        if not timeline:
            return timeline
        from sim.scenario.timeline import normalised

        groups = ("name", "description", *LEVER_GROUPS)
        if any(group not in info.data for group in groups):
            return timeline  # another field is invalid: that error is reported instead
        base = Scenario.model_construct(**{group: info.data[group] for group in groups})
        return normalised(base, timeline)

    def phases(self) -> tuple[tuple[int, Scenario], ...]:
        """``(first day, scenario in force from that day)`` for day 0 and every timeline
        entry, in order of day; the scenarios in force carry no timeline of their own.

        >>> base = Scenario(timeline=[{"day": 10, "set": {"traffic.gini_cap": 0.5}}])
        >>> [(day, s.traffic.gini_cap) for day, s in base.phases()]
        [(0, 0.6), (10, 0.5)]
        """
        from sim.scenario.timeline import phases

        return phases(self)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A validated copy with each dotted path set to its value.

        A path that names no setting, or a value out of bounds, raises
        :class:`~sim.scenario.errors.ScenarioError` naming the field:

        >>> Scenario().with_overrides({"traffic.gini_cap": 0.4}).traffic.gini_cap
        0.4
        >>> Scenario().with_overrides({"traffic.gini_cap": 1.5})
        Traceback (most recent call last):
        ...
        sim.scenario.errors.ScenarioError: traffic.gini_cap: must be between 0 and 1, got 1.5
        """
        from sim.scenario.files import override_scenario

        return override_scenario(self, overrides)

    def scenario_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of every field except ``run.seed``.

        The seed is left out so that all seeds of one scenario share a run directory
        (``scenario=<name>-<hash[:8]>/seed=<seed>``); any other change gives a new hash.
        An empty timeline is left out too, so that a scenario without one keeps the hash
        it had before timelines existed.
        """
        data = self.model_dump(mode="json")
        del data["run"]["seed"]
        if not data["timeline"]:
            del data["timeline"]
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()
