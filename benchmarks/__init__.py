"""Speed and scaling benchmarks of ecosim, against reference implementations.

Run everything with ``python -m benchmarks`` (``make bench``); ``--quick`` for a smoke run.
Each ``benchmarks/bench_*.py`` module defines ``run(*, quick: bool, write: bool) -> None``
and writes its own ``##`` section of ``benchmarks/RESULTS.md`` through
:func:`benchmarks.results.write_section`.
"""
