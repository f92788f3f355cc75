"""Data-driven multi-touch attribution on aggregated paths: Markov removal effects and Shapley values.

Heuristic credit (first, last, linear, time decay, position-based) is SQL, in the
``attribution_heuristic_credit`` macro, so it runs on the warehouse.
"""
from media_impact.attribution.markov import fit_markov_chain, markov_attribution
from media_impact.attribution.paths import PathTable, collapse_repeats, read_path_table, split_path
from media_impact.attribution.shapley import shapley_attribution

__all__ = [
    "PathTable",
    "collapse_repeats",
    "fit_markov_chain",
    "markov_attribution",
    "read_path_table",
    "shapley_attribution",
    "split_path",
]
