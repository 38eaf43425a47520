"""The analysis stage, on top of runs: the facts of the seed (`facts`), paired policy
comparisons (`compare`), confidence intervals (`stats`) and sensitivity (`sensitivity`)."""
