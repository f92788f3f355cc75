"""Build pipeline: the `dbt build` wrapper, the raw-feed loader and the build benchmark.

`python -m media_impact.pipeline build [dbt args]` runs `dbt build` in-process and,
when a data-contract test fails, prints one line per failure naming the feed, the
column, the check and example offending rows, then exits non-zero.
"""
from media_impact.pipeline.build import BuildOutcome, ContractFailure, run_build

__all__ = ["BuildOutcome", "ContractFailure", "run_build"]
