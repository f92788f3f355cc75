"""Accuracy of the dbt MMM outputs against the sample world's truth.

Reads the tables of the shared ``built_db`` (one full ``dbt build`` per session), so
no model is refitted here. Bars (issue 3): every channel with >= 5% of its
country's spend within +-20% of its true ROI; the 90% interval covers the truth for
>= 80% of channels; out-of-sample weekly revenue MAPE < 10%.

Every channel is tested strictly. (Until the retailer rows, US retail_media_walmart
missed by +31%: its curve was not pinned by the total alone; docs/decisions/mmm.md 20.)
The own-retailer share the retailer rows estimate is checked against the world's 0.8.
"""
from pathlib import Path

import pandas as pd
import pytest

from marts import read

ROOT = Path(__file__).resolve().parents[3]
KNOWN_MISSES: dict = {}


@pytest.fixture(scope="module")
def roi(built_db):
    out = read(built_db, "select * from mmm.mmm_channel_roi where is_preferred")
    truth = pd.read_csv(ROOT / "seeds/truth/truth_channel_effects.csv")
    return out.merge(truth[["country_id", "channel_id", "true_roi", "true_incremental_revenue_usd"]],
                     on=["country_id", "channel_id"], validate="one_to_one")


def test_out_of_sample_mape_under_10pct(built_db):
    runs = read(built_db, "select * from mmm.mmm_model_runs")
    assert len(runs) == 4 and (runs["mape_oos"] < 0.10).all(), runs[["model_scope", "country_id", "mape_oos"]]


def test_total_incremental_revenue_within_10pct(roi):
    tot = roi.groupby("country_id")[["incremental_revenue_usd", "true_incremental_revenue_usd"]].sum()
    err = tot.incremental_revenue_usd / tot.true_incremental_revenue_usd - 1
    assert (err.abs() < 0.10).all(), err


def _cases():
    truth = pd.read_csv(ROOT / "seeds/truth/truth_channel_effects.csv")
    share = truth.spend_usd / truth.groupby("country_id").spend_usd.transform("sum")
    for r, s in zip(truth.itertuples(), share):
        if s < 0.05:
            continue
        marks = []
        if (r.country_id, r.channel_id) in KNOWN_MISSES:
            marks.append(pytest.mark.xfail(reason=KNOWN_MISSES[(r.country_id, r.channel_id)], strict=False))
        yield pytest.param(r.country_id, r.channel_id, marks=marks, id=f"{r.country_id}-{r.channel_id}")


@pytest.mark.parametrize("country_id,channel_id", list(_cases()))
def test_roi_within_20pct_of_truth(roi, country_id, channel_id):
    r = roi[(roi.country_id == country_id) & (roi.channel_id == channel_id)].iloc[0]
    assert abs(r.roi / r.true_roi - 1) <= 0.20, (r.roi, r.true_roi)


def test_interval_coverage_at_least_85pct(roi):
    covered = (roi.roi_lower_90 <= roi.true_roi) & (roi.true_roi <= roi.roi_upper_90)
    assert len(roi) == 18 and covered.mean() >= 0.85, roi.loc[~covered, ["country_id", "channel_id", "roi",
                                                                       "roi_lower_90", "roi_upper_90", "true_roi"]]


def test_geo_experiment_is_in_the_preferred_us_fit(built_db):
    runs = read(built_db, "select model_scope, country_id, n_experiments from mmm.mmm_model_runs")
    n = runs.set_index(["model_scope", "country_id"]).n_experiments
    assert n[("panel", "us")] == 1 and n[("national", "us")] == 0 and n[("panel", "ca")] == 0


def test_own_retailer_share_near_the_worlds(built_db):
    """Retail media: the share of the effect on the channel's own retailer (beyond the
    retailer's share of sales) is 0.8 in the world spec; preferred fits within 0.2."""
    import yaml

    spec = yaml.safe_load((ROOT / "src/media_impact/world/world_spec.yml").read_text())
    true_own = spec["media"]["retail_media_own_retailer_share"]
    p = read(built_db, "select p.country_id, p.channel_id, p.own_retailer_share from mmm.mmm_channel_parameters p "
                       "join mmm.mmm_model_runs r using (run_id) where r.is_preferred "
                       "and p.own_retailer_share is not null")
    assert set(zip(p.country_id, p.channel_id)) == {("us", "retail_media_amazon"), ("us", "retail_media_walmart"),
                                                     ("us", "retail_media_target"), ("ca", "retail_media_amazon")}
    assert ((p.own_retailer_share - true_own).abs() <= 0.2).all(), p


def test_the_docs_accuracy_table_is_the_builds(roi):
    """docs/mmm.md "Accuracy against truth": every row's ROI and 90% interval are the
    built table's, rounded to two decimals (the docs quote the build, not a memory)."""
    import re

    text = (ROOT / "docs/mmm.md").read_text()
    section = text[text.index("## Accuracy against truth"):]
    section = section[: section.index("\n## ", 5)]
    rows = re.findall(r"^\| (us|ca) \| (\w+) \| [\d.]+% \| ([\d.]+) \| ([\d.]+)-([\d.]+) \|", section, re.M)
    assert len(rows) == 18, rows
    got = roi.set_index(["country_id", "channel_id"])
    for country, channel, est, lo, hi in rows:
        r = got.loc[(country, channel)]
        assert (f"{r.roi:.2f}", f"{r.roi_lower_90:.2f}", f"{r.roi_upper_90:.2f}") == (est, lo, hi), (country, channel)
