"""`python -m media_impact.mmm.bench`: accuracy and speed, side by side with peers.

* PyMC-Marketing example (shared reference file): total contribution per channel
  vs the published truth (x1 274,848; x2 65,906) and fit time (median of
  ``--repeats`` runs; PyMC-Marketing ~380 s on 2 vCPU).
* Sample world (generator in memory: revenue per retailer as the POS feeds report it,
  Poisson units and retailer weeks, :func:`sample_world.retailer_revenue`; no
  geo-experiment calibration; truth from seeds/truth): ROI error per channel, 90%
  interval coverage, out-of-sample MAPE, and the whole run time. ``--seeds``: the
  same accuracy figures on other seeds of the world.
* Robustness family (``--worlds N``; :mod:`robustness`, worlds from :mod:`benchworld`,
  a generator separate from the sample world's and not tuned to the model): N
  varied national worlds with known truth (3-8 channels, 104-208 weeks, geometric or
  delayed carryover, Hill curves, price and events), each written as a CSV plus a
  mapping-only YAML and fitted through ``python -m media_impact.mmm fit`` with the
  package defaults. Prints ROI error, 90% coverage, interval width and fit times;
  ``--peers`` also fits the first ``--peer-worlds`` worlds with the peer adapter
  (``peers.fit_world``) and prints both side by side. Files under ``--out``. With
  ``--worlds`` the other sections run only when asked (``--pymc``, ``--world``, ``--seeds``).

Times are CPU (``time.process_time``) and wall; the machine is shared, so CPU is
the comparable figure and the load average is printed beside it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PYMC_TRUTH = {"x1": 274_848.0, "x2": 65_906.0}


def bench_pymc(repeats: int) -> None:
    from .data import frame_from_csv, load_config
    from .pipeline import run_all

    cfg = load_config(ROOT / "config/mmm/pymc_example.yml")
    ref = Path(os.environ.get("MEDIA_IMPACT_REFERENCE_DATA", ROOT.parent / "shared/reference-data"))
    path = ref / "pymc_mmm_example.csv"
    if not path.exists():
        print(f"pymc: reference file not found at {path}; skipped")
        return
    cfg["data"]["path"] = str(path)
    frame = frame_from_csv(cfg["data"])
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = run_all(frame, cfg["data"], cfg)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    roi = out["channel_roi"].set_index("channel_id")
    print("PyMC-Marketing example (179 weeks, 2 channels), bring-your-own-data with the package defaults "
          "(fit, CV, posterior, planning)")
    print(f"  time: median CPU {statistics.median(cpu):.2f} s, wall {statistics.median(times):.2f} s over "
          f"{repeats} runs (load average {os.getloadavg()[0]:.1f}); bar < 10 s; PyMC-Marketing ~380 s (2 vCPU)")
    for ch, want in PYMC_TRUTH.items():
        r = roi.loc[ch]
        print(f"  {ch}: contribution {r.contribution_usd:,.0f} (90%: {r.contribution_lower_90_usd:,.0f}-"
              f"{r.contribution_upper_90_usd:,.0f}) vs truth {want:,.0f} ({r.contribution_usd / want - 1:+.1%}; "
              "bar +-20% and covered)")


def bench_world(repeats: int) -> None:
    import pandas as pd

    from .data import load_config
    from .pipeline import run_all

    from .sample_world import world_frame

    df, mapping, _ = world_frame()
    cfg = load_config(ROOT / "config/mmm/sample_world.yml")
    truth = pd.read_csv(ROOT / "seeds/truth/truth_channel_effects.csv")
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = run_all(df, mapping, cfg, None, 5e6)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print("\nSample world (generator in memory, POS-like retailer revenue; all fits, intervals, curves, "
          "optimiser, scenarios; no experiment calibration)")
    print(f"  time: median CPU {statistics.median(cpu):.1f} s, wall {statistics.median(times):.1f} s over {repeats} runs "
          f"(load average {os.getloadavg()[0]:.1f}; bar < 60 s for the dbt stage; Robyn/PyMC-Marketing/Meridian: minutes to hours)")
    for r in out["model_runs"].itertuples():
        print(f"  {r.model_scope:8s} {r.country_id}: out-of-sample MAPE {r.mape_oos:.2%}, "
              f"NRMSE {r.nrmse_oos:.3f}, DECOMP.RSSD {r.decomp_rssd:.3f}")
    roi = _score(out, truth)
    print(roi[["country_id", "channel_id", "spend_share", "roi", "roi_lower_90", "roi_upper_90",
               "true_roi", "err", "covered"]].round(3).to_string(index=False))


def _score(out, truth, label: str = ""):
    roi = out["channel_roi"].merge(truth[["country_id", "channel_id", "true_roi"]], on=["country_id", "channel_id"])
    roi = roi[roi.is_preferred].copy()
    roi["err"] = roi.roi / roi.true_roi - 1
    roi["covered"] = (roi.roi_lower_90 <= roi.true_roi) & (roi.true_roi <= roi.roi_upper_90)
    big = roi.spend_share >= 0.05
    miss = roi[big & (roi.err.abs() > 0.2)]
    print(f"  {label}channels >= 5% of spend within +-20% of true ROI: {int((big & (roi.err.abs() <= 0.2)).sum())}"
          f"/{int(big.sum())}; 90% intervals covering truth: {int(roi.covered.sum())}/{len(roi)}"
          + (f"; misses: {', '.join(f'{r.country_id} {r.channel_id} {r.err:+.0%}' for r in miss.itertuples())}"
             if len(miss) else ""))
    return roi


def bench_seeds(seeds: list) -> None:
    """The same run on other seeds of the world (accuracy only: is the committed seed typical?)."""
    from .data import load_config
    from .pipeline import run_all

    from media_impact.world.truth import channel_effects_table

    from .sample_world import world_frame

    cfg = load_config(ROOT / "config/mmm/sample_world.yml")
    print("\nOther seeds of the sample world (same config and generator; truth from the generator)")
    for seed in seeds:
        df, mapping, w = world_frame(seed)
        _score(run_all(df, mapping, cfg, None, 5e6), channel_effects_table(w), f"seed {seed}: ")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m media_impact.mmm.bench")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-world", action="store_true")
    ap.add_argument("--world-repeats", type=int, default=None, help="default: max(1, repeats // 3)")
    ap.add_argument("--seeds", type=int, nargs="*", default=[], help="also score these seeds of the world")
    ap.add_argument("--worlds", type=int, default=None, help="run the robustness family on N bench worlds "
                    "(then the other sections run only with --pymc / --world / --seeds)")
    ap.add_argument("--pymc", action="store_true", help="with --worlds: also the PyMC-Marketing example")
    ap.add_argument("--world", action="store_true", help="with --worlds: also the sample world")
    ap.add_argument("--peers", action="store_true", help="with --worlds: also fit with the peer adapter")
    ap.add_argument("--peer-worlds", type=int, default=5, help="worlds the peer fits (the first K)")
    ap.add_argument("--out", default=str(ROOT / "bench_out/mmm_worlds"), help="folder for the worlds and fits")
    a = ap.parse_args(argv)
    only_worlds = a.worlds is not None
    if not only_worlds or a.pymc:
        bench_pymc(a.repeats)
    if (not only_worlds and not a.skip_world) or a.world:
        bench_world(a.world_repeats or max(1, a.repeats // 3))
    if a.seeds:
        bench_seeds(a.seeds)
    if only_worlds:
        bench_worlds(a.worlds, a.out, a.peers, a.peer_worlds)


def bench_worlds(n: int, out: str, with_peers: bool, peer_worlds: int) -> None:
    from .robustness import run

    peer = None
    if with_peers:
        try:
            from .peers import fit_world as peer
        except Exception as exc:   # the adapter is optional (peer packages may be absent)
            print(f"peers: cannot import media_impact.mmm.peers.fit_world ({exc!r}); peers skipped")
    print(f"\nRobustness family: {n} worlds into {out} (load average {os.getloadavg()[0]:.1f})")
    run(n, out, peers=peer, n_peer_worlds=peer_worlds)


if __name__ == "__main__":
    main()
