"""Geo experiments: time-based regression (TBR), synthetic control, pre-test power."""
from media_impact.geo.power import minimum_detectable_effect
from media_impact.geo.synthetic_control import SyntheticControlResult, synthetic_control
from media_impact.geo.tbr import TBRResult, group_totals, tbr_fit, tbr_panel

__all__ = [
    "SyntheticControlResult",
    "TBRResult",
    "group_totals",
    "minimum_detectable_effect",
    "synthetic_control",
    "tbr_fit",
    "tbr_panel",
]
