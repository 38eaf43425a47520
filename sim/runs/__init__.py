"""The runs stage: one run (`simulate`), many runs in parallel processes (`pool`), derived
seeds (`seeds`) and the Hive-partitioned run directory on disk (`directory`)."""
