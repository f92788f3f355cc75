import numpy as np
import pytest

from media_impact.forecast.health import psi


def test_psi_hand():
    # reference deciles of 0..99 cut at 9.9, 19.8, ...; recent all in the top bin
    reference = np.arange(100.0)
    recent = np.full(50, 99.0)
    e = np.full(10, 0.1)
    r = np.r_[np.full(9, 1e-4), 1.0]
    assert psi(reference, recent) == pytest.approx(np.sum((r - e) * np.log(r / e)), rel=1e-6)


def test_psi_stable_and_shifted():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 20_000)
    assert psi(reference, rng.normal(0, 1, 5_000)) < 0.02
    assert psi(reference, rng.normal(1, 1, 5_000)) > 0.25
