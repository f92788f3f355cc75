"""How the dashboard writes numbers and column names for a reader.

Plain functions over strings and numbers, so they are tested without Streamlit.
A column's kind comes from its name, by the project's naming rules (house style:
units in the name): ``*_usd*`` is money, ``*roi*``/``*roas*`` a ratio of
revenue to spend, ``*_share``/``mape*``/``*growth*`` a fraction shown as a
percent. Internal keys (run ids, fingerprints, settings JSON) are hidden.
"""
from __future__ import annotations

import math
import re

# internal keys a reader has no use for (the page already says which fit it shows)
HIDDEN_COLUMNS = frozenset({
    "run_id", "data_fingerprint", "settings_json", "is_preferred", "config_name", "row_json",
    "country_id",  # every page shows one country, named in the sidebar and the caption
})

_WORDS = {
    "roi": "ROI", "roas": "ROAS", "iroas": "iROAS", "mape": "MAPE", "nrmse": "NRMSE", "r2": "R²",
    "oos": "out-of-sample", "mmm": "MMM", "ctv": "CTV", "crm": "CRM", "p10": "P10", "p50": "P50",
    "p90": "P90", "id": "", "decomp": "DECOMP", "rssd": "RSSD", "cpu": "CPU", "l": "l", "max": "max",
}


def column_kind(name: str) -> str:
    """'hidden', 'money', 'ratio', 'fit_metric', 'percent', 'count' or 'other' for a column name."""
    n = name.lower()
    if n in HIDDEN_COLUMNS:
        return "hidden"
    if "_usd" in n:
        return "money"
    if n.endswith("_share") or n.startswith("mape") or "growth" in n or n.endswith("_pct"):
        return "percent"
    if re.search(r"(^|_)(nrmse|r2|decomp_rssd|objective)(_|$)", n):
        return "fit_metric"  # small numbers where the third decimal matters
    if re.search(r"(^|_)(i?roi|i?roas)(_|$)", n) or n == "spend_multiplier":
        return "ratio"
    if n.startswith(("n_", "units")) or n.endswith(("_units", "_conversions", "weeks")):
        return "count"
    return "other"


def column_label(name: str) -> str:
    """A column name in words: ``roi_lower_90`` -> 'ROI, 90% low'; ``spend_usd`` -> 'Spend ($)'."""
    n = name.lower()
    bound = ""
    m = re.search(r"_(lower|upper)_90", n)
    if m:
        bound = ", 90% low" if m.group(1) == "lower" else ", 90% high"
        n = n[:m.start()] + n[m.end():]
    unit = ""
    if n.endswith("_usd_per_week"):
        n, unit = n[: -len("_usd_per_week")], " ($/week)"
    elif n.endswith("_usd"):
        n, unit = n[: -len("_usd")], " ($)"
    words = [_WORDS.get(w, w) for w in n.split("_")]
    text = " ".join(w for w in words if w).strip() or name
    return text[0].upper() + text[1:] + bound + unit


def money(x: float | None) -> str:
    """USD in short form: $194.42M, -$1.64M, $12.3k, $950."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    sign = "-" if x < 0 else ""
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{sign}${abs(x) / div:,.2f}{suffix}"
    return f"{sign}${abs(x):,.0f}"


def ratio(x: float | None, digits: int = 2) -> str:
    """Revenue per dollar and similar ratios: 2.14."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def percent(x: float | None, digits: int = 1) -> str:
    """A fraction as a percent: 0.126 -> 12.6%."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


def interval(lower: float | None, upper: float | None, fmt=ratio) -> str:
    """'90%: 0.32-0.52', or '' when the table carries no interval for the figure."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (lower, upper)):
        return ""
    return f"90%: {fmt(lower)} – {fmt(upper)}"


def visible_columns(columns) -> list[str]:
    """The columns a reader sees, in their order, internal keys left out."""
    return [c for c in columns if column_kind(c) != "hidden"]
