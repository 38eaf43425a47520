"""``python -m sim``: the ``ecosim`` command line."""

from sim.commands.cli import main

raise SystemExit(main())
