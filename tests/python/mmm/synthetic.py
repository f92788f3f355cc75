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


def simulate_retail_panel(n_weeks=156, seed=5, noise=0.01, own=0.8):
    """A per-capita market panel whose revenue is split over two retailers.

    Channel ``rm`` is retail media on retailer ``r1``: ``own`` of its effect lands on
    r1, the rest by the retailers' shares; ``tv`` and ``search`` split by share. The
    baseline (with its noise) splits by share, so it cancels in a retailer's
    deviation from its share. Returns the PanelData (with the split), the true own
    share and the true incremental revenue per channel (USD).
    """
    rng = np.random.default_rng(seed)
    G, C = 4, 3
    weeks = np.arange(np.datetime64("2022-01-03"), np.datetime64("2022-01-03") + 7 * n_weeks, 7)
    pop = np.array([5.0, 3.0, 2.0, 1.5])
    level = np.exp(rng.normal(0, 0.1, G))
    national = np.exp(rng.normal(0, 0.4, (n_weeks, C)))
    local = np.exp(rng.normal(0, 0.3, (G, n_weeks, C)))
    spend = pop[:, None, None] * national[None] * local * np.array([20.0, 8.0, 10.0])
    spend[:, rng.random(n_weeks) < 0.1, 1] = 0.0                      # retail media dark weeks
    alpha, half, slope, emax = [0.6, 0.3, 0.1], [1.0, 0.9, 1.1], [1.2, 1.1, 1.0], [0.20, 0.12, 0.10]
    pc_mean = spend.sum(axis=(0, 1)) / pop.sum() / n_weeks
    t = np.arange(n_weeks)
    base = (pop * level)[:, None] * (1.0 + 0.06 * np.sin(2 * np.pi * t / 52.18))[None] \
        * np.exp(rng.normal(0, noise, (G, n_weeks))) * 100.0
    eff = np.zeros((G, n_weeks, C))
    for g in range(G):
        for c in range(C):
            a = tf.geometric_adstock(spend[g, :, c] / pop[g] / pc_mean[c], alpha[c], l_max=8)
            eff[g, :, c] = pop[g] * 100.0 * emax[c] * tf.hill(a, half[c], slope[c])
    share = np.array([0.6, 0.4]) * np.exp(rng.normal(0, 0.1, (G, 2)))
    share /= share.sum(axis=1, keepdims=True)
    parts = base[:, :, None] * share[:, None, :]
    parts += (eff[:, :, [0, 2]].sum(axis=2))[:, :, None] * share[:, None, :]
    g_rm = (1 - own) * share
    g_rm[:, 1] += own
    parts += eff[:, :, 1][:, :, None] * g_rm[:, None, :]
    y = parts.sum(axis=2)
    data = PanelData(weeks=weeks, groups=[f"m{g}" for g in range(G)], group_country=["x"] * G,
                     channels=["tv", "rm", "search"], y=y, spend=spend, controls=np.zeros((G, n_weeks, 0)),
                     group_size=pop, split_y=parts, split_names=["r0", "r1"], channel_split={"rm": "r1"})
    return data, own, eff.sum(axis=(0, 1))
