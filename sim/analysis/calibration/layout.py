"""Where a calibration keeps its files, and the lock that lets one process at a time use them.

``<out>/`` holds ``journal.log`` (Optuna's journal: the study itself, from which
everything else can be rebuilt), ``trials.parquet`` and ``best.yaml`` (rewritten after
every trial), ``runs.log`` (one line per run made), ``report.md`` and ``plots/``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sim.scenario.errors import ScenarioError

__all__ = ["CalibrationLayout"]

OUTPUTS = ("trials.parquet", "best.yaml", "report.md")


@dataclass(frozen=True)
class CalibrationLayout:
    """The files of one calibration under ``root``."""

    root: Path

    @property
    def journal(self) -> Path:
        return self.root / "journal.log"

    @property
    def trials(self) -> Path:
        return self.root / "trials.parquet"

    @property
    def best(self) -> Path:
        return self.root / "best.yaml"

    @property
    def report(self) -> Path:
        return self.root / "report.md"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def runs_log(self) -> Path:
        return self.root / "runs.log"

    @property
    def lock_file(self) -> Path:
        return self.root / "calibration.lock"

    @contextlib.contextmanager
    def locked(self, option: str = "--out") -> Iterator[None]:
        """Hold the directory for this process (``flock``: the kernel drops it when the
        holder dies, so a killed calibration never leaves it held); a second calibration
        on the same directory is refused, naming ``option``."""
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScenarioError(
                    option, f"another calibration is running in {self.root}"
                ) from None
            yield
        finally:
            os.close(descriptor)

    def clear(self) -> None:
        """Remove the calibration's files (``--restart``); only under :meth:`locked`."""
        for path in (self.journal, self.runs_log, *(self.root / name for name in OUTPUTS)):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.plots, ignore_errors=True)
