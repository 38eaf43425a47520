"""Sweeps: a grid of levers x seeds (`spec`), laid out on disk (`layout`), recorded in a
crash-safe ledger (`ledger`), run on a Dask cluster (`cluster`, `task`) and reported
(`report`, `plots`)."""
