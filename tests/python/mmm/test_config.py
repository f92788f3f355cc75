"""The MMM configuration parsed once into typed objects."""
import numpy as np
import pytest

from media_impact.mmm.config import MMMConfig


def test_defaults_are_the_packages():
    cfg = MMMConfig.from_dict({"data": {"kpi_column": "y"}})
    assert cfg.scopes == ("national",) and cfg.preferred_scope == "national"
    assert cfg.intervals.method == "posterior" and cfg.sampler.walkers_per_dim == 2
    assert (cfg.sampler.burn, cfg.sampler.draws) == (250, 250)
    assert cfg.model.adstock == "geometric" and cfg.model.saturation == "hill" and cfg.model.l_max == 8
    assert cfg.planning.amount_usd == 5_000_000 and cfg.planning.window_weeks == 52


def test_sections_are_typed_and_panel_cv_overrides():
    cfg = MMMConfig.from_dict({
        "scopes": ["national", "panel"], "cv": {"folds": 2}, "cv_panel": {"refit": "full"},
        "share_curves": {"from_country": "us", "inflate": 1.5},
        "planning": {"bounds": {"default": [0.6, 1.4], "channels": {"tv": [0.0, 2.0]}},
                     "curve_multipliers": {"start": 0.0, "stop": 1.0, "step": 0.25},
                     "reallocation": {"from_channel": "a", "to_channel": "b", "amount_usd": 10}}})
    assert cfg.preferred_scope == "panel"
    assert cfg.cv_for("national").folds == 2 and cfg.cv_for("national").refit == "local"
    assert cfg.cv_for("panel").folds == 2 and cfg.cv_for("panel").refit == "full"
    assert cfg.share_curves.from_country == "us" and cfg.share_curves.inflate == 1.5
    lo, hi = cfg.planning.bounds(["tv", "radio"])
    np.testing.assert_array_equal(lo, [0.0, 0.6])
    np.testing.assert_array_equal(hi, [2.0, 1.4])
    np.testing.assert_array_equal(cfg.planning.grid(), [0.0, 0.25, 0.5, 0.75, 1.0])
    assert (cfg.planning.from_channel, cfg.planning.to_channel, cfg.planning.amount_usd) == ("a", "b", 10.0)


def test_an_unknown_prior_is_refused():
    with pytest.raises(ValueError, match="unknown prior setting"):
        MMMConfig.from_dict({"priors": {"slope_normal": [1, 1]}})
