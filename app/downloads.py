"""What the app offers for download: the scenario as YAML, daily metrics as CSV and Parquet."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from sim.runs.directory import parquet_bytes
from sim.scenario.files import dump_scenario
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Download:
    """One file a download button hands out."""

    label: str
    data: bytes
    file_name: str
    mime: str
    help: str = ""

    def button(self, where: DeltaGenerator | None = None) -> None:
        """Draw the download button (in ``where``, default the main area)."""
        (where or st).download_button(
            self.label,
            self.data,
            file_name=self.file_name,
            mime=self.mime,
            help=self.help or None,
            icon=":material/download:",
            on_click="ignore",  # downloading does not rerun the page
        )


def scenario_file(scenario: Scenario) -> Download:
    """The scenario with every setting written out, as ``ecosim run`` reads it."""
    return Download(
        "Scenario (YAML)",
        dump_scenario(scenario).encode("utf-8"),
        f"{scenario.name}.yaml",
        "application/yaml",
        "The scenario as last run (or as loaded), every setting written out; "
        "`ecosim run` reads it.",
    )


def daily_files(daily: pd.DataFrame, stem: str) -> tuple[Download, Download]:
    """The daily metrics as CSV and as Parquet (as in a run directory)."""
    return (
        Download(
            "Daily metrics (CSV)", daily.to_csv(index=False).encode(), f"{stem}.csv", "text/csv"
        ),
        Download(
            "Daily metrics (Parquet)",
            parquet_bytes(daily),
            f"{stem}.parquet",
            "application/vnd.apache.parquet",
        ),
    )
