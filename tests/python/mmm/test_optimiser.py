"""Budget allocation: KKT conditions at the optimum, budget kept, bounds kept."""
import numpy as np
import pytest

from media_impact.mmm.model import MMM, Settings
from media_impact.mmm.optimiser import allocate

from synthetic import simulate


@pytest.fixture(scope="module")
def resp():
    data, *_ = simulate()
    m = MMM(data, Settings(saturation="hill", l_max=8, n_starts=3))
    f = m.fit()
    T = data.n_weeks
    return m.response(f, np.arange(T) >= T - 52)


@pytest.mark.parametrize("budget_factor", [0.8, 1.0, 1.2])
def test_allocation_kkt(resp, budget_factor):
    B = resp.spend.sum() * budget_factor
    a = allocate(resp, B, [0.5] * 3, [1.5] * 3)
    assert a["status"] == "optimal"
    assert a["spend"].sum() == pytest.approx(B, rel=1e-8)
    assert np.all(a["spend"] >= a["lower"] - 1e-6) and np.all(a["spend"] <= a["upper"] + 1e-6)
    inner = ~a["at_lower"] & ~a["at_upper"]
    mroi = a["marginal_roi"]
    if inner.sum() >= 1:
        lam = mroi[inner].mean()
        assert np.ptp(mroi[inner]) <= 0.01 * lam
        assert np.all(mroi[a["at_lower"]] <= lam * 1.01)
        assert np.all(mroi[a["at_upper"]] >= lam * 0.99)
    # the optimum is no worse than the historical mix scaled to the budget
    hist = sum(resp.revenue(c, budget_factor) for c in range(3))
    assert a["revenue"].sum() >= hist - 1e-6
