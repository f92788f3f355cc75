"""Bad-input cases: corrupt a raw feed CSV in one specific way, per the feed's own contract.

Which columns to corrupt is read from the data-contract tests declared on each
raw seed (the YAML property files under seeds/raw), so a feed's applicable kinds
are exactly the kinds its contract checks:

| kind               | corruption                                           | check that must stop it     |
|--------------------|------------------------------------------------------|-----------------------------|
| negative_spend     | a positive money/volume value made negative          | not_negative                |
| duplicate_key      | one row sent twice                                   | unique_combination_of_columns |
| missing_day        | every row of one date in the middle removed          | no_date_gaps                |
| null_key           | a key value blanked                                  | not_null                    |
| unparseable_number | a number replaced by text ("12.50 USD")              | parseable_as                |
| unknown_code       | a channel/product/market code replaced by an unknown | known_code / relationships  |
| future_date        | a date moved after var as_of_date                    | not_in_future               |
| wrong_unit         | a money column multiplied by 1000 (unit mix-up)      | ratio_in_range / accepted_range |

    python -m media_impact.pipeline.badinput --list
    python -m media_impact.pipeline.badinput --feed <seed> --kind negative_spend --out /tmp/bad.csv
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from media_impact.pipeline.build import REPO_ROOT

KINDS = (
    "negative_spend",
    "duplicate_key",
    "missing_day",
    "null_key",
    "unparseable_number",
    "unknown_code",
    "future_date",
    "wrong_unit",
)

# the checks (test macro names) allowed to catch each kind
CATCHING_CHECKS = {
    "negative_spend": {"not_negative"},
    "duplicate_key": {"unique_combination_of_columns", "unique"},
    "missing_day": {"no_date_gaps"},
    "null_key": {"not_null"},
    "unparseable_number": {"parseable_as"},
    "unknown_code": {"known_code", "relationships", "accepted_values"},
    "future_date": {"not_in_future"},
    "wrong_unit": {"ratio_in_range", "accepted_range"},
}

FUTURE_DATE = date(2027, 6, 15)  # after any as_of_date this project uses
UNIT_FACTOR = 1000.0
UNPARSEABLE = "12.50 USD"  # no comma: see docs/decisions/contract.md (CSV quote sniffing)
UNKNOWN_CODE = "zz_unknown_code"


@dataclass
class FeedContract:
    """What a raw feed's declared tests say about its columns."""

    feed: str
    key_columns: list[str] = field(default_factory=list)
    not_null_columns: list[str] = field(default_factory=list)
    number_columns: list[str] = field(default_factory=list)
    non_negative_columns: list[str] = field(default_factory=list)
    code_columns: list[str] = field(default_factory=list)
    gap_date: tuple[str, str | None, str] | None = None  # (column, date_format, datepart)
    future_date: tuple[str, str | None] | None = None  # (column, date_format)
    unit_columns: list[str] = field(default_factory=list)

    def applicable_kinds(self) -> list[str]:
        available = {
            "negative_spend": bool(self.non_negative_columns),
            "duplicate_key": bool(self.key_columns),
            "missing_day": self.gap_date is not None,
            "null_key": bool(self.null_key_column()),
            "unparseable_number": bool(self.number_columns),
            "unknown_code": bool(self.code_columns),
            "future_date": self.future_date is not None,
            "wrong_unit": bool(self.unit_columns),
        }
        return [k for k in KINDS if available[k]]

    def null_key_column(self) -> str | None:
        for col in self.key_columns:
            if col in self.not_null_columns:
                return col
        return self.not_null_columns[0] if self.not_null_columns else None


def _test_name_and_args(entry) -> tuple[str, dict]:
    if isinstance(entry, str):
        return entry, {}
    name, body = next(iter(entry.items()))
    body = body or {}
    args = dict(body.get("arguments", {}) or {})
    for key, value in body.items():
        if key not in ("arguments", "config", "description", "name", "severity"):
            args.setdefault(key, value)
    return name, args


def _short(name: str) -> str:
    return name.split(".")[-1]


def unquote(column: str | None) -> str | None:
    """Column name as in the CSV header ('"Campaign ID"' -> 'Campaign ID')."""
    return column.strip().strip('"') if column else column


# code columns whose reference is a channel or product map are corrupted first:
# an unknown channel or product code is the case the contract names
_PREFERRED_CODE_REFS = ("ref_channel_id_map", "ref_product_id_map", "ref_channels", "ref_products")


def feed_contracts(seed_dirs: list[Path] | None = None) -> dict[str, FeedContract]:
    """Contracts of the raw feeds, read from the property YAML files in seeds/raw."""
    seed_dirs = seed_dirs or [REPO_ROOT / "seeds" / "raw"]
    contracts: dict[str, FeedContract] = {}
    for folder in seed_dirs:
        for path in sorted(folder.glob("*.yml")):
            doc = yaml.safe_load(path.read_text()) or {}
            for seed in doc.get("seeds", []) or []:
                contract = contracts.setdefault(seed["name"], FeedContract(seed["name"]))
                _read_tests(contract, seed.get("data_tests", []) or [], None)
                for column in seed.get("columns", []) or []:
                    _read_tests(contract, column.get("data_tests", []) or [], column["name"])
    return contracts


def _read_tests(contract: FeedContract, tests: list, column: str | None) -> None:
    for entry in tests:
        name, args = _test_name_and_args(entry)
        name = _short(name)
        col = unquote(args.get("column_name", column))
        if name == "unique_combination_of_columns":
            contract.key_columns = [unquote(c) for c in args["combination_of_columns"]]
        elif name == "unique" and col:
            contract.key_columns = contract.key_columns or [col]
        elif name == "not_null" and col:
            contract.not_null_columns.append(col)
        elif name == "parseable_as" and col and args.get("data_type", "number") in ("number", "integer"):
            contract.number_columns.append(col)
        elif name == "not_negative" and col:
            contract.non_negative_columns.append(col)
        elif name in ("known_code", "relationships", "accepted_values") and col:
            if any(ref in str(args.get("to", "")) for ref in _PREFERRED_CODE_REFS):
                contract.code_columns.insert(0, col)
            else:
                contract.code_columns.append(col)
        elif name == "no_date_gaps" and col:
            contract.gap_date = (col, args.get("date_format"), args.get("datepart", "day"))
        elif name == "not_in_future" and col:
            contract.future_date = (col, args.get("date_format"))
        elif name in ("ratio_in_range", "accepted_range") and col:
            if name == "ratio_in_range" or args.get("parse_as") == "number":
                contract.unit_columns.append(col)


def _parse_date(text: str, date_format: str | None):
    text = (text or "").strip()
    try:
        if date_format:
            return datetime.strptime(text, date_format).date()
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _format_date(value: date, date_format: str | None, like: str) -> str:
    if date_format:
        return value.strftime(date_format)
    return value.isoformat() + like[10:]  # keep a time part if the feed has one


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def corrupt(frame, contract: FeedContract, kind: str):
    """Return (corrupted copy of the all-text frame, corrupted column) for one kind."""
    import pandas as pd

    df = frame.copy()
    n = len(df)
    middle = n // 2
    if kind == "negative_spend":
        col = contract.non_negative_columns[0]
        values = df[col].map(_to_float)
        idx = values[values > 0].index[len(values[values > 0]) // 2]
        df.loc[idx, col] = "-" + df.loc[idx, col].strip()
        return df, col
    if kind == "duplicate_key":
        return pd.concat([df, df.iloc[[middle]]], ignore_index=True), "+".join(contract.key_columns)
    if kind == "missing_day":
        col, fmt, _ = contract.gap_date
        parsed = df[col].map(lambda t: _parse_date(t, fmt))
        days = sorted(d for d in parsed.dropna().unique())
        drop_day = days[len(days) // 2]
        return df[parsed != drop_day].reset_index(drop=True), col
    if kind == "null_key":
        col = contract.null_key_column()
        df.loc[df.index[middle], col] = ""
        return df, col
    if kind == "unparseable_number":
        col = contract.number_columns[0]
        present = df.index[df[col].str.strip() != ""]
        df.loc[present[len(present) // 2], col] = UNPARSEABLE
        return df, col
    if kind == "unknown_code":
        col = contract.code_columns[0]
        present = df.index[df[col].str.strip() != ""]
        df.loc[present[len(present) // 2], col] = UNKNOWN_CODE
        return df, col
    if kind == "future_date":
        col, fmt = contract.future_date
        idx = df.index[middle]
        df.loc[idx, col] = _format_date(FUTURE_DATE, fmt, str(df.loc[idx, col]))
        return df, col
    if kind == "wrong_unit":
        col = contract.unit_columns[0]
        values = df[col].map(_to_float)
        scaled = values.map(lambda v: None if v is None or pd.isna(v) else v * UNIT_FACTOR)
        df[col] = [
            (f"{s:.6f}".rstrip("0").rstrip(".") if s is not None and not pd.isna(s) else orig)
            for s, orig in zip(scaled, df[col])
        ]
        return df, col
    raise ValueError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")


def read_feed(path: Path):
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write_feed(frame, path: Path) -> None:
    frame.to_csv(path, index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="list feeds and their applicable kinds")
    parser.add_argument("--feed")
    parser.add_argument("--kind", choices=KINDS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    contracts = feed_contracts()
    if args.list or not args.feed:
        for name, contract in sorted(contracts.items()):
            print(f"{name}: {', '.join(contract.applicable_kinds())}")
        return 0
    contract = contracts[args.feed]
    frame = read_feed(REPO_ROOT / "seeds" / "raw" / f"{args.feed}.csv")
    bad, column = corrupt(frame, contract, args.kind)
    out = args.out or Path(f"/tmp/{args.feed}__{args.kind}.csv")
    write_feed(bad, out)
    print(f"wrote {out}: {args.kind} in column {column}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
