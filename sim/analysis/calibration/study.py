"""The calibration's Optuna study: kept in a journal file, resumed after a kill, and fed
with trials whose runs go to a Dask cluster.

A trial is a point of the parameters: its runs (:meth:`Calibration.jobs`: each seed, and
for F2b the companion runs without the floor) are one Dask task each, returning the run's
:class:`~sim.analysis.facts.RunFacts`; their fit is told to the study, with every fact's
value and miss as the trial's user attributes, so the journal alone rebuilds the table.

``in_flight`` trials are evaluated at once and told in the order they were asked, each
before the next trial is asked; every trial is sampled by a TPE sampler seeded from the
calibration's seed and the trial's place in the study. So the sampler sees the same
history on any cluster, and the same file gives the same trials.

Resuming (:func:`open_study`): trials finished before are kept, never rerun. A trial left
running by a killed process is failed and its point enqueued again (the retry notes which
trial it stands for, ``retry_of``): the rerun evaluates the same points in the same order
as an uninterrupted calibration would, and its trials are the same but for their numbers.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.calibration.layout import CalibrationLayout
from sim.analysis.calibration.spec import Calibration, Fit
from sim.analysis.facts import RunFacts, run_facts
from sim.runs.run import simulate
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    import optuna
    from distributed import Client, Future
    from optuna.distributions import BaseDistribution

__all__ = [
    "RETRY_OF",
    "CalibrationOutcome",
    "JobResult",
    "next_place",
    "open_study",
    "retry_stale",
    "run_calibration",
    "run_job",
]

STUDY_NAME = "calibration"
RETRY_OF = "retry_of"
"""User attribute of a trial enqueued again for one a killed process left running."""
STALE = "stale"
"""User attribute of a trial a killed process left running (failed on resume): it holds
no place in the study, the trial that stands in for it does."""
MAX_FAILURES = 3
"""Failed trials (a run raised, a point was no valid scenario) after which no new trial is
asked: a calibration whose trials keep failing has a bug or a bad range to fix first."""

Connect = Callable[[int], contextlib.AbstractContextManager["Client"]]
"""Opens a client, given the number of runs that can go at once."""


@dataclass(frozen=True)
class JobResult:
    """What a worker returns for one run: its facts and how long it took."""

    facts: RunFacts
    seconds: float


def run_job(scenario: Scenario, seed: int) -> JobResult:
    """Make one run of a trial and keep only its facts (the function a Dask worker runs)."""
    started = time.perf_counter()
    facts = run_facts(simulate(scenario, seed=seed))
    return JobResult(facts, time.perf_counter() - started)


@dataclass
class CalibrationOutcome:
    """How a calibration went: trials found complete, made now, retried, failed."""

    trials: int
    complete_before: int = 0
    made: int = 0
    retried: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    best: tuple[int, float] | None = None
    """The complete trial of least loss: its number and loss."""
    session: str = ""
    code_version: str = ""
    other_code: list[str] = field(default_factory=list)
    """Code versions other than this one that made trials complete before."""

    @property
    def complete(self) -> int:
        return self.complete_before + self.made


TrialProgress = Callable[[CalibrationOutcome, "optuna.trial.FrozenTrial | None"], None]
"""Told how the calibration goes: with no trial once the study is open, then with each
trial as it is told (complete or failed)."""
Written = Callable[["optuna.Study"], None]
"""Writes the outputs kept current during a calibration (after each trial)."""


def open_study(calibration: Calibration, layout: CalibrationLayout) -> optuna.Study:
    """The calibration's study in ``layout.journal``, created or loaded; a journal made
    by a different calibration is refused (a :class:`ScenarioError` naming the first key
    that differs). Call it with the layout locked."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    from sim.sweeps.ledger import cut_torn_line  # the ledger's own repair, for a kill mid-append

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = str(layout.journal)
    # Only this process may use the directory (the layout's lock), so a lock file left by
    # a killed writer is stale: remove it rather than wait out its grace period.
    for leftover in layout.root.glob(f"{layout.journal.name}.lock*"):
        leftover.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        cut_torn_line(descriptor)
    finally:
        os.close(descriptor)
    storage = JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
    study = optuna.create_study(
        study_name=STUDY_NAME, storage=storage, direction="minimize", load_if_exists=True
    )
    fingerprint = calibration.fingerprint()
    recorded = study.user_attrs.get("calibration")
    if recorded is None:
        study.set_user_attr("calibration", fingerprint)
    elif recorded != fingerprint:
        key = next(k for k in fingerprint if recorded.get(k) != fingerprint.get(k))
        raise ScenarioError(
            key,
            f"differs from the calibration that made {layout.journal}; "
            "use --restart to start over, or another --out",
        )
    return study


def retry_stale(study: optuna.Study, parameters: Sequence[str]) -> list[int]:
    """Fail the trials a killed process left running, each after enqueuing its point
    again (once: a retry already waiting is not doubled); their numbers, in order.

    A trial killed while its point was being drawn (the journal records each parameter
    as it is suggested) has only some of ``parameters``: its point is not enqueued, and
    the next trial, at its place, draws the whole point again with the same seed, as
    the uninterrupted calibration did (a partial point would shift the draws)."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get(RETRY_OF) for t in trials}
    stale = [t for t in trials if t.state == TrialState.RUNNING]
    for trial in stale:
        complete = set(parameters) <= set(trial.params)
        if complete and trial.number not in retried:
            study.enqueue_trial(dict(trial.params), user_attrs={RETRY_OF: trial.number})
        study._storage.set_trial_user_attr(trial._trial_id, STALE, True)
        study.tell(trial.number, state=TrialState.FAIL)
    return [trial.number for trial in stale]


def run_calibration(
    calibration: Calibration,
    layout: CalibrationLayout,
    connect: Connect,
    write: Written,
    finish: Written,
    restart: bool = False,
    on_trial: TrialProgress | None = None,
) -> CalibrationOutcome:
    """Open (or resume) the study and evaluate trials until ``calibration.trials`` are
    complete; ``write`` is called once the study is open and after each trial, ``finish``
    at the end (not when interrupted).

    ``connect(runs)`` opens a client only when some trial is left.
    """
    from optuna.trial import TrialState

    from sim.sweeps.cluster import check_workers  # refuses workers that run other code
    from sim.sweeps.ledger import code_version

    with layout.locked():
        if restart:
            layout.clear()
        study = open_study(calibration, layout)
        outcome = CalibrationOutcome(
            trials=calibration.trials, session=uuid.uuid4().hex[:12], code_version=code_version()
        )
        outcome.retried = retry_stale(study, [p.path for p in calibration.parameters])
        before = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        outcome.complete_before = len(before)
        versions = {t.user_attrs.get("code_version") for t in before}
        outcome.other_code = sorted(str(v) for v in versions - {outcome.code_version, None})
        write(study)
        if on_trial is not None:
            on_trial(outcome, None)
        if outcome.complete < calibration.trials:
            with connect(calibration.runs_per_trial * calibration.in_flight) as client:
                check_workers(client, outcome.code_version)
                _evaluate(study, calibration, client, layout, outcome, write, on_trial)
        finish(study)
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if complete:
            best = min(complete, key=lambda t: (t.value, t.number))
            outcome.best = (best.number, float(best.value or 0.0))
    return outcome


@dataclass
class _Pending:
    """A trial asked and its runs submitted (none when its point is no valid scenario)."""

    trial: optuna.Trial
    futures: list[Future[JobResult]]
    seeds: list[int]
    started: float
    error: str | None = None


def _evaluate(
    study: optuna.Study,
    calibration: Calibration,
    client: Client,
    layout: CalibrationLayout,
    outcome: CalibrationOutcome,
    write: Written,
    on_trial: TrialProgress | None,
) -> None:
    """Keep ``in_flight`` trials going; tell each, in order, when its runs are done."""
    from distributed import wait

    window: deque[_Pending] = deque()
    while True:
        while (
            len(window) < calibration.in_flight
            and outcome.complete + len(window) < calibration.trials
            and len(outcome.failed) < MAX_FAILURES
        ):
            window.append(_start(study, calibration, client))
        if not window:
            return
        pending = window.popleft()
        wait(pending.futures)  # type: ignore[no-untyped-call]
        frozen = _tell(study, calibration, pending, layout, outcome)
        write(study)
        if on_trial is not None:
            on_trial(outcome, frozen)


def _start(study: optuna.Study, calibration: Calibration, client: Client) -> _Pending:
    """Ask the next trial (sampled afresh, or a retry waiting) and submit its runs."""
    from sim.sweeps.cluster import TASK_RETRIES

    study.sampler = _sampler(calibration, next_place(study))
    trial = study.ask(_distributions(calibration))
    started = time.monotonic()
    try:
        jobs = calibration.jobs(trial.params)
    except ScenarioError as error:
        return _Pending(trial, [], [], started, error=f"not a valid scenario: {error}")
    futures = [
        client.submit(
            run_job, scenario, seed, pure=False, retries=TASK_RETRIES, priority=-trial.number
        )
        for scenario, seed in jobs
    ]
    return _Pending(trial, futures, [seed for _, seed in jobs], started)


def _tell(
    study: optuna.Study,
    calibration: Calibration,
    pending: _Pending,
    layout: CalibrationLayout,
    outcome: CalibrationOutcome,
) -> optuna.trial.FrozenTrial:
    """Record the trial's fit (or its failure) in the journal, and its runs in runs.log."""
    from optuna.trial import TrialState

    trial = pending.trial
    error = pending.error
    results: list[JobResult] = []
    for future in pending.futures:
        if future.status == "finished":
            results.append(future.result())
        elif error is None:
            problem = future.exception()  # type: ignore[no-untyped-call]
            error = f"a run failed: {type(problem).__name__}: {problem}"
    trial.set_user_attr("session", outcome.session)
    trial.set_user_attr("code_version", outcome.code_version)
    trial.set_user_attr("seconds", round(time.monotonic() - pending.started, 3))
    if error is not None:
        trial.set_user_attr("error", error)
        outcome.failed.append((trial.number, error))
        return study.tell(trial, state=TrialState.FAIL)
    fit = calibration.fit([result.facts for result in results])
    trial.set_user_attr("facts", _json_numbers(fit.values))
    trial.set_user_attr("misses", _json_numbers(fit.misses))
    _log_runs(layout, outcome.session, trial.number, pending.seeds, results, calibration)
    outcome.made += 1
    return study.tell(trial, fit.loss)


def trial_fit(trial: optuna.trial.FrozenTrial) -> Fit | None:
    """A complete trial's fit, read back from its user attributes."""
    if trial.value is None or "facts" not in trial.user_attrs:
        return None
    values = {k: math.nan if v is None else v for k, v in trial.user_attrs["facts"].items()}
    misses = {k: math.inf if v is None else v for k, v in trial.user_attrs["misses"].items()}
    return Fit(float(trial.value), values, misses)


def _json_numbers(numbers: dict[str, float]) -> dict[str, float | None]:
    """NaN and infinity as null: JSON has neither (the journal is JSON lines)."""
    return {key: value if math.isfinite(value) else None for key, value in numbers.items()}


def _log_runs(
    layout: CalibrationLayout,
    session: str,
    number: int,
    seeds: Sequence[int],
    results: Sequence[JobResult],
    calibration: Calibration,
) -> None:
    """One line per run made: when, by which session, for which trial, seed, how long."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    main = len(calibration.seeds)
    lines = [
        f"{stamp} session={session} trial={number} seed={seed} "
        f"run={'main' if i < main else 'unfloored'} seconds={result.seconds:.3f}\n"
        for i, (seed, result) in enumerate(zip(seeds, results, strict=True))
    ]
    with layout.runs_log.open("a", encoding="utf-8") as stream:
        stream.writelines(lines)


def next_place(study: optuna.Study) -> int:
    """The next trial's place: trials so far, less those failed for a retry to stand in
    for (so a resumed calibration samples as an uninterrupted one would)."""
    trials = study.get_trials(deepcopy=False)
    return len(trials) - sum(1 for t in trials if t.user_attrs.get(STALE))


def _sampler(calibration: Calibration, place: int) -> optuna.samplers.BaseSampler:
    """The TPE sampler for the trial at ``place``, seeded from the file's seed and it."""
    import optuna

    sequence = np.random.SeedSequence(calibration.sampler.seed, spawn_key=(place,))
    return optuna.samplers.TPESampler(
        seed=int(sequence.generate_state(1)[0]),
        n_startup_trials=calibration.sampler.startup_trials,
        multivariate=True,
        constant_liar=True,
    )


def _distributions(calibration: Calibration) -> dict[str, BaseDistribution]:
    from optuna.distributions import FloatDistribution, IntDistribution

    distributions: dict[str, BaseDistribution] = {}
    for p in calibration.parameters:
        if p.integer:
            distributions[p.path] = IntDistribution(round(p.low), round(p.high), log=p.log)
        else:
            distributions[p.path] = FloatDistribution(p.low, p.high, log=p.log)
    return distributions
