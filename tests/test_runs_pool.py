"""Many runs in parallel processes: the same results as one by one, in job order, and
from a plain script with no ``__main__`` guard."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sim.runs import simulate, simulate_many
from tests.conftest import ROOT, small_scenario


def test_parallel_runs_equal_serial_runs_in_job_order() -> None:
    scenario = small_scenario("baseline", "population.fans=2000", "run.days=4")
    jobs = [(scenario, 3), (scenario.with_overrides({"traffic.gini_cap": 0.4}), 3), (scenario, 4)]
    parallel = simulate_many(jobs, workers=2)
    for (job_scenario, seed), result in zip(jobs, parallel, strict=True):
        serial = simulate(job_scenario, seed=seed)
        assert result.seed == seed
        assert result.scenario == serial.scenario
        assert result.daily.equals(serial.daily)


def test_simulate_many_works_from_a_script_without_a_main_guard(tmp_path: Path) -> None:
    script = tmp_path / "plain.py"
    script.write_text(
        textwrap.dedent(
            """
            import sim
            print("body")
            scenario = sim.Scenario().with_overrides({
                "population.fans": 2000, "population.creators": 200,
                "population.merchants": 20, "population.suppliers": 6, "run.days": 2})
            runs = sim.simulate_many([(scenario, 1), (scenario, 2)], workers=2)
            print([len(r.daily) for r in runs])
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert out.stdout.split() == ["body", "[2,", "2]"], out.stdout + out.stderr
