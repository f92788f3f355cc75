"""The MMM's configuration, parsed once from the YAML dict into typed, frozen objects.

Sections (every one optional; the defaults are the settings that pass the robustness
benchmark, docs/mmm.md):

* ``data`` - the column mapping (checked by :mod:`media_impact.mmm.inputs`);
* ``scopes`` / ``preferred_scope`` - ``national`` (one model per country on the summed
  series) and/or ``panel`` (one pooled model per country over its markets);
* ``share_curves`` - a donor country whose panel posterior is the others' curve prior;
* ``model`` (:class:`media_impact.mmm.model.Settings`), ``candidates``, ``cv``
  (:class:`CV`, ``cv_panel`` overrides it for panels);
* ``bootstrap`` (:class:`Intervals`: how the 90% intervals are drawn), ``priors``
  (:class:`media_impact.mmm.posterior.Priors`), ``sampler``
  (:class:`media_impact.mmm.posterior.SamplerSettings`);
* ``planning`` (:class:`Planning`).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from .grouping import Grouping
from .model import Settings
from .posterior import Priors, SamplerSettings


def _known(cls, d: dict | None) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in dict(d or {}).items() if k in names}


@dataclass(frozen=True)
class CV:
    """Expanding-window cross-validation (:func:`media_impact.mmm.fitting.cross_validate`)."""

    folds: int = 3
    horizon_weeks: int = 13
    refit: str = "local"
    n_starts: int = 2


@dataclass(frozen=True)
class Intervals:
    """How the 90% intervals are drawn: ``posterior`` (MCMC, the default), ``laplace``
    or ``bootstrap`` (block bootstrap with refits); the rest are the latter two's knobs."""

    method: str = "posterior"
    samples: int = 50
    block_weeks: int = 8
    seed: int = 1
    maxiter: int = 20
    inflate: float = 1.0
    covariance: str = "none"


@dataclass(frozen=True)
class ShareCurves:
    from_country: str | None = None
    inflate: float = 1.0


@dataclass(frozen=True)
class Planning:
    """The planning window and the scenarios' business choices."""

    window_weeks: int = 52
    default_bounds: tuple = (0.5, 1.5)
    channel_bounds: dict = field(default_factory=dict)
    curve_multipliers: tuple = (0.0, 2.0, 0.05)          # start, stop, step
    from_channel: str | None = None
    to_channel: str | None = None
    amount_usd: float = 5_000_000.0
    budget_change: float = 0.2
    flight_weeks: int = 12
    pulse_on: int = 2
    pulse_off: int = 2

    @classmethod
    def from_dict(cls, d: dict | None) -> "Planning":
        d = dict(d or {})
        b = d.get("bounds") or {}
        g = d.get("curve_multipliers") or {}
        r = d.get("reallocation") or {}
        f = d.get("flight") or {}
        return cls(window_weeks=int(d.get("window_weeks", 52)),
                   default_bounds=tuple(b.get("default", (0.5, 1.5))),
                   channel_bounds={k: tuple(v) for k, v in (b.get("channels") or {}).items()},
                   curve_multipliers=(g.get("start", 0.0), g.get("stop", 2.0), g.get("step", 0.05)),
                   from_channel=r.get("from_channel"), to_channel=r.get("to_channel"),
                   amount_usd=float(r.get("amount_usd", 5_000_000)),
                   budget_change=float(d.get("budget_change", 0.2)), flight_weeks=int(f.get("weeks", 12)),
                   pulse_on=int(f.get("pulse_on", 2)), pulse_off=int(f.get("pulse_off", 2)))

    def bounds(self, channels: list) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) spend multipliers per channel."""
        per = [self.channel_bounds.get(ch, self.default_bounds) for ch in channels]
        return np.array([p[0] for p in per], float), np.array([p[1] for p in per], float)

    def grid(self) -> np.ndarray:
        start, stop, step = self.curve_multipliers
        return np.round(np.arange(start, stop + 1e-9, step), 6)


@dataclass(frozen=True)
class MMMConfig:
    name: str | None = None
    data: dict = field(default_factory=dict)
    scopes: tuple = ("national",)
    preferred_scope: str = "national"
    share_curves: ShareCurves = field(default_factory=ShareCurves)
    model: Settings = field(default_factory=Settings)
    candidates: tuple = ({},)
    cv: CV = field(default_factory=CV)
    cv_panel: CV = field(default_factory=CV)
    intervals: Intervals = field(default_factory=Intervals)
    intervals_all_scopes: bool = False
    priors: Priors = field(default_factory=Priors)
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    planning: Planning = field(default_factory=Planning)
    panel: Grouping = field(default_factory=Grouping)
    raw: dict = field(default_factory=dict, repr=False, compare=False)   # as written, for the run's record

    @classmethod
    def from_dict(cls, cfg: dict) -> "MMMConfig":
        scopes = tuple(cfg.get("scopes") or ["national"])
        cv = CV(**_known(CV, cfg.get("cv")))
        return cls(name=cfg.get("name"), data=dict(cfg.get("data") or {}), scopes=scopes,
                   preferred_scope=cfg.get("preferred_scope", scopes[-1]),
                   share_curves=ShareCurves(**_known(ShareCurves, cfg.get("share_curves"))),
                   model=Settings.from_dict(cfg.get("model")),
                   candidates=tuple(cfg.get("candidates") or [{}]), cv=cv,
                   cv_panel=replace(cv, **_known(CV, cfg.get("cv_panel"))),
                   intervals=Intervals(**_known(Intervals, cfg.get("bootstrap"))),
                   intervals_all_scopes=bool(cfg.get("bootstrap_all_scopes", False)),
                   priors=Priors.from_dict(cfg.get("priors")),
                   sampler=SamplerSettings.from_dict(cfg.get("sampler")),
                   planning=Planning.from_dict(cfg.get("planning")), panel=Grouping.from_dict(cfg.get("panel")),
                   raw=dict(cfg))

    def cv_for(self, scope: str) -> CV:
        return self.cv if scope == "national" else self.cv_panel

    def record(self) -> dict:
        """The settings a run used, for ``mmm_model_runs.settings_json``."""
        return {"cv": asdict(self.cv), "bootstrap": asdict(self.intervals), "priors": asdict(self.priors),
                "sampler": asdict(self.sampler), "share_curves": asdict(self.share_curves)}

    def fingerprint(self) -> str:
        return json.dumps(self.raw, sort_keys=True, default=str)
