"""Where policies come from and go: shipped scenarios, policies the planner saved, the
pinned baseline, the resolution the app runs at, and the state a URL carries.

A saved policy is a scenario file (``policies/<name>.yaml`` by default, every setting
written out), so ``ecosim run policies/<name>.yaml`` runs it too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import sim
from sim.scenario.errors import MemoryLimitError
from sim.scenario.files import MAX_SCENARIO_BYTES
from sim.scenario.memory import check_memory

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
POLICIES_ENV = "ECOSIM_APP_POLICIES"
SAVED_PREFIX = "saved: "
DEFAULT_PIN = "baseline"
APP_DAYS = 180
"""Days an app run simulates unless the planner asks for more."""
DAY_CHOICES = (30, 90, 180, 365, 730)
MAX_UPLOAD_MB = 1


@dataclass(frozen=True)
class Resolution:
    """How finely the app simulates the platform: ``factor`` times fewer agents, each
    standing for ``factor`` times as many users (the same DAU)."""

    name: str
    factor: int
    label: str


RESOLUTIONS = {
    "full": Resolution("full", 1, "full (as the scenario says: 200k fans for the baseline)"),
    "quarter": Resolution("quarter", 4, "quarter (50k fans at 4x the scale: faster, approximate)"),
    "tiny": Resolution("tiny", 40, "tiny (5k fans at 40x the scale: a quick look, rough)"),
}
RESOLUTION_NOTE = (
    "The quarter and tiny resolutions simulate the same platform with 4x fewer agents "
    "(tiny: 40x), each standing for 4x the users and creators. The resolution test in "
    "docs/scaling.md (the calibrated baseline at 50k fans x 4000 against 200k x 1000, "
    "8 seeds of a year) finds the incomes by follower tier, the Ginis, the ordinary "
    "shares, GMV per day, views per fan, commerce reach and repeat purchase within 10%, "
    "and days to 1M followers 0.90x, within the seeds' noise (18%) but just outside 10%: "
    "read days to 1M at full resolution. Noise between seeds is wider at the coarser "
    "resolutions."
)


def policies_dir() -> Path:
    """Where saved policies live (``$ECOSIM_APP_POLICIES``, default ``policies``)."""
    return Path(os.environ.get(POLICIES_ENV, "policies"))


def shipped() -> dict[str, Path]:
    """The scenario files shipped under ``scenarios/``, by name, baseline first."""
    paths = sorted(SCENARIO_DIR.glob("*.yaml"), key=lambda p: (p.stem != "baseline", p.stem))
    return {path.stem: path for path in paths}


def saved() -> dict[str, Path]:
    """The policies saved so far, by name."""
    folder = policies_dir()
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def sources() -> dict[str, Path]:
    """Every scenario a page can start from: shipped ones, then ``saved: <name>``."""
    return {**shipped(), **{SAVED_PREFIX + name: path for name, path in saved().items()}}


def load(source: str) -> sim.Scenario:
    """The scenario of a source label; ScenarioError when it is unknown or invalid."""
    path = sources().get(source)
    if path is None:
        raise sim.ScenarioError("scenario", f"there is no scenario or saved policy {source!r}")
    return sim.load_scenario(path)


def save(scenario: sim.Scenario) -> str:
    """Write the policy as ``<policies>/<name>.yaml``; returns its source label."""
    folder = policies_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{scenario.name}.yaml"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(sim.dump_scenario(scenario), encoding="utf-8")
    temporary.replace(path)
    return SAVED_PREFIX + scenario.name


def parse_upload(data: bytes, filename: str) -> sim.Scenario:
    """A scenario from an uploaded file's bytes; ScenarioError for anything wrong."""
    if len(data) > MAX_SCENARIO_BYTES:
        raise sim.ScenarioError(filename, f"is larger than {MAX_UPLOAD_MB} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise sim.ScenarioError(filename, f"is not UTF-8 text (byte {error.start})") from None
    return sim.parse_scenario(text, origin=filename)


def at_resolution(scenario: sim.Scenario, resolution: str) -> sim.Scenario:
    """The same platform with ``factor`` times fewer agents at ``factor`` times the scale."""
    factor = RESOLUTIONS[resolution].factor
    if factor == 1:
        return scenario
    population = scenario.population
    floor = len(population.categories)
    update = {
        "fans": max(1, population.fans // factor),
        "creators": max(1, population.creators // factor),
        "merchants": max(floor, population.merchants // factor),
        "suppliers": max(floor, population.suppliers // factor),
        "scale": population.scale * factor,
        "creator_scale": population.creator_scale * factor,
    }
    return scenario.model_copy(update={"population": population.model_copy(update=update)})


def checked(scenario: sim.Scenario) -> sim.Scenario:
    """The scenario, once its memory estimate fits this machine (MemoryLimitError if not)."""
    check_memory(scenario)
    return scenario


def show_error(error: sim.ScenarioError, context: str = "") -> None:
    """One inline error naming the field and the reason; never a traceback."""
    prefix = f"{context}: " if context else ""
    if isinstance(error, MemoryLimitError):
        st.error(
            f"{prefix}Refused: this scenario is too big for this machine's memory. "
            f"`{error.path}`: {error.reason}",
            icon=":material/memory:",
        )
    else:
        st.error(f"{prefix}`{error.path}`: {error.reason}", icon=":material/error:")


def query_text(params: Mapping[str, object], name: str) -> str | None:
    """One query parameter as text (the last value when a link repeats it)."""
    value = params.get(name)
    if isinstance(value, list):
        return str(value[-1]) if value else None
    return None if value is None else str(value)


def restore_from_url(flag: str, fields: Mapping[str, tuple[str, type]]) -> dict[str, str]:
    """On a page's first visit in a session, set session state from the link's query
    parameters: ``fields`` maps a parameter to (state key, type). Returns the parameters
    refused, with the reason."""
    state = st.session_state
    refused: dict[str, str] = {}
    if state.get(flag):
        return refused
    params = st.query_params.to_dict()
    for name, (key, kind) in fields.items():
        text = query_text(params, name)
        if text is None:
            continue
        try:
            state[key] = kind(text) if kind is not bool else text.lower() in ("1", "true")
        except ValueError:
            refused[name] = f"must be a {kind.__name__}, got {text!r}"
    state[flag] = True
    return refused


def write_url(fields: Mapping[str, tuple[str, type]]) -> None:
    """Put the state behind ``fields`` into the URL, so the link reproduces the view."""
    state = st.session_state
    params = {name: str(state[key]) for name, (key, _) in fields.items() if key in state}
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
