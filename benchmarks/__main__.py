"""``python -m benchmarks [--quick] [--only NAME] [--no-write]``: run the benchmark modules.

Every module ``benchmarks/bench_*.py`` is found automatically and must define
``run(*, quick: bool, write: bool) -> None``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from collections.abc import Sequence
from typing import Protocol, cast

import benchmarks


class BenchModule(Protocol):
    def run(self, *, quick: bool, write: bool) -> None: ...


def discover() -> list[str]:
    return sorted(
        f"benchmarks.{info.name}"
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few repetitions (a smoke run); does not write RESULTS.md "
        "unless --write is given",
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="run modules matching NAME"
    )
    write_group = parser.add_mutually_exclusive_group()
    write_group.add_argument("--write", dest="write", action="store_true", default=None)
    write_group.add_argument(
        "--no-write", dest="write", action="store_false", help="print only, keep RESULTS.md"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmark modules")
    args = parser.parse_args(argv)

    names = [n for n in discover() if not args.only or any(o in n for o in args.only)]
    if args.list:
        print("\n".join(names))
        return 0
    if not names:
        print(f"no benchmark module matches {args.only}", file=sys.stderr)
        return 2
    write = (not args.quick) if args.write is None else bool(args.write)
    for name in names:
        start = time.perf_counter()
        print(f"== {name}{' (quick)' if args.quick else ''}", flush=True)
        module = cast(BenchModule, importlib.import_module(name))
        module.run(quick=args.quick, write=write)
        print(f"== {name} done in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
