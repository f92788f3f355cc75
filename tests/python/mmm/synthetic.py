"""A small simulated world with known parameters, built with the package's transforms."""
import numpy as np

from media_impact.mmm import transforms as tf
from media_impact.mmm.design import PanelData


def simulate(n_weeks=156, seed=3, noise=0.004):
    rng = np.random.default_rng(seed)
    weeks = np.arange(np.datetime64("2022-01-03"), np.datetime64("2022-01-03") + 7 * n_weeks, 7)
    spend = np.exp(rng.normal(0, 0.5, (n_weeks, 3))) * np.array([100.0, 60.0, 30.0])
    spend[rng.random((n_weeks, 3)) < 0.15] = 0.0
    alpha, half, slope, beta = [0.6, 0.3, 0.1], [1.0, 0.8, 1.2], [1.3, 1.0, 1.1], [0.25, 0.15, 0.08]
    scale = spend.mean(axis=0)
    contrib = np.zeros((n_weeks, 3))
    for c in range(3):
        a = tf.geometric_adstock(spend[:, c] / scale[c], alpha[c], l_max=8)
        contrib[:, c] = beta[c] * tf.hill(a, half[c], slope[c])
    t = np.arange(n_weeks)
    base = 1.0 + 0.1 * t / n_weeks + 0.05 * np.sin(2 * np.pi * t / 52.18)
    y_rel = base + contrib.sum(axis=1) + rng.normal(0, noise, n_weeks)
    ymean = 1000.0
    y = y_rel * ymean
    return PanelData(weeks=weeks, groups=["all"], group_country=["all"], channels=["a", "b", "c"],
                     y=y[None], spend=spend[None], controls=np.zeros((1, n_weeks, 0))), contrib, y_rel
