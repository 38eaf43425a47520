"""Calibration: fit the free parameters of a scenario to the seed's facts with Optuna,
resumably, on a Dask cluster (`ecosim calibrate CALIBRATION.yaml`).

The stages are the modules: :mod:`.spec` reads and validates the calibration file (the
parameters with their ranges and priors, the target facts with their weights, the facts
held out) and defines the loss; :mod:`.study` keeps the Optuna study in a journal file
and evaluates trials, several seeds each, on the cluster; :mod:`.report` writes the
trials as Parquet, the best parameters as a scenario file, and the report with its plots;
:mod:`.layout` names the files of one calibration's directory.
"""

from sim.analysis.calibration.layout import CalibrationLayout
from sim.analysis.calibration.report import write_outputs, write_report
from sim.analysis.calibration.spec import MISS_CAP, Calibration, load_calibration
from sim.analysis.calibration.study import CalibrationOutcome, run_calibration

__all__ = [
    "MISS_CAP",
    "Calibration",
    "CalibrationLayout",
    "CalibrationOutcome",
    "load_calibration",
    "run_calibration",
    "write_outputs",
    "write_report",
]
