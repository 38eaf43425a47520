"""``python -m sim``: the ``ecosim`` command line."""

from sim.cli import main

raise SystemExit(main())
