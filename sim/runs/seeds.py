"""Seeds for many runs: independent children of one base seed, the same on every machine."""

from __future__ import annotations


def spawn_seeds(base_seed: int, count: int) -> list[int]:
    """`count` independent seeds derived from `base_seed` with NumPy's SeedSequence
    (each below 2**63, as the scenario requires)."""
    import numpy as np

    children = np.random.SeedSequence(base_seed).spawn(count)
    return [int(child.generate_state(1, np.uint64)[0] >> np.uint64(1)) for child in children]
