"""The ledger of a sweep: which runs are finished, by (scenario hash, seed, code version).

The ledger is ``ledger.jsonl``, one JSON object per line, appended by the client that
runs the sweep, one line per run, only after the run's directory was saved complete.
Appends are a single ``write`` followed by ``fsync``; the one thing a kill or a power cut
can leave is a torn *last* line, which :meth:`Ledger.open` cuts off (that run is then
found complete on disk and adopted, or run again). The open ledger holds an exclusive
``flock``, so two ``ecosim sweep`` processes never write one sweep at once.

The code version is ``<package version>+<12 hex digits>``, a SHA-256 over the installed
``sim`` package: its Python sources and the compiled Rust extension. Unlike a git
commit, it sees uncommitted edits and works where the package was installed from a
wheel, so a sweep never mixes runs made by different code.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import sim
from sim.scenario.errors import ScenarioError

__all__ = ["Ledger", "LedgerEntry", "code_version", "cut_torn_line", "read_ledger"]

CODE_SUFFIXES = (".py", ".so", ".pyd")
"""Files of the installed package that decide what a run computes."""

Key = tuple[str, int, str]


@dataclass(frozen=True)
class LedgerEntry:
    """One finished run; ``adopted`` when found saved on disk rather than seen to finish."""

    scenario_hash: str
    seed: int
    code_version: str
    point: int
    run_dir: str
    adopted: bool
    finished_at: str

    @property
    def key(self) -> Key:
        return (self.scenario_hash, self.seed, self.code_version)


class Ledger:
    """The open, locked ledger of one sweep directory."""

    def __init__(self, path: Path, descriptor: int, entries: list[LedgerEntry]) -> None:
        self.path = path
        self._descriptor = descriptor
        self._keys = {entry.key for entry in entries}

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[Ledger]:
        """Lock the ledger at ``path`` (creating it), cut a torn last line, yield it."""
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ScenarioError(
                    "--out",
                    f"{path.parent} is being run by another 'ecosim sweep'; "
                    "wait for it to finish or stop it",
                ) from None
            cut_torn_line(descriptor)
            yield cls(path, descriptor, read_ledger(path))
        finally:
            os.close(descriptor)  # also releases the lock

    def __contains__(self, key: Key) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def record(
        self, scenario_hash: str, seed: int, version: str, point: int, run_dir: str, adopted: bool
    ) -> LedgerEntry:
        """Append one finished run and force it to disk."""
        finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        entry = LedgerEntry(scenario_hash, seed, version, point, run_dir, adopted, finished_at)
        line = json.dumps(asdict(entry), separators=(",", ":")) + "\n"
        os.write(self._descriptor, line.encode("utf-8"))
        os.fsync(self._descriptor)
        self._keys.add(entry.key)
        return entry


def read_ledger(path: Path) -> list[LedgerEntry]:
    """Every whole entry of the ledger at ``path`` (none when it does not exist)."""
    try:
        lines = path.read_bytes().split(b"\n")
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(LedgerEntry(**json.loads(line)))
        except (ValueError, TypeError):
            continue  # a torn line (or the empty string after the last newline)
    return entries


@functools.cache
def code_version() -> str:
    """``<version>+<sha256[:12]>`` of the installed ``sim`` package (see the module doc)."""
    package = Path(sim.__file__).resolve().parent
    digest = hashlib.sha256()
    files = sorted(
        path
        for path in package.rglob("*")
        if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts and path.is_file()
    )
    for path in files:
        content = path.read_bytes()
        name = path.relative_to(package).as_posix().encode("utf-8")
        digest.update(b"%s\0%d\0" % (name, len(content)))
        digest.update(content)
    return f"{sim.__version__}+{digest.hexdigest()[:12]}"


def cut_torn_line(descriptor: int) -> None:
    """Truncate the file after its last newline: a kill mid-append leaves a partial line
    (the sweep's ledger and the calibration's journal both append lines)."""
    content = os.pread(descriptor, os.fstat(descriptor).st_size, 0)
    if content and not content.endswith(b"\n"):
        os.ftruncate(descriptor, content.rfind(b"\n") + 1)
        os.fsync(descriptor)
