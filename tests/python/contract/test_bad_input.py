"""Bad input gets a clear error and nothing is lost, kind by kind, for every raw feed.

Each case is one raw feed CSV corrupted one way (see media_impact.pipeline.badinput).
The cases of one kind share one build (issue 12: 8 builds instead of 109): a copy of
the good database, every feed the kind applies to corrupted, `dbt build --select
<feed>+ ...` through the wrapper. Every feed's contract tests are its own (ratios
within a feed, keys, codes), so one feed's corruption cannot hide another's, and each
case still asserts on its own: the build fails at that feed's own contract test, the
report names the feed, the column and the check with example rows, nothing downstream
of the bad feeds runs, and the marts are exactly those of the last good build.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from media_impact.pipeline import badinput

from .conftest import DB_NAME, marts_fingerprint

CONTRACTS = badinput.feed_contracts()
CASES = [(feed, kind) for feed in sorted(CONTRACTS) for kind in CONTRACTS[feed].applicable_kinds()]
RAW_DIR = Path(__file__).resolve().parents[3] / "seeds" / "raw"

# kinds every feed must be able to prove (the rest depend on the feed's shape:
# no money column, no daily/weekly cadence, no unit to get wrong)
CORE_KINDS = {"duplicate_key", "null_key", "unparseable_number", "unknown_code", "future_date"}
# feeds whose shape has nothing for a core kind to corrupt, and why
EXEMPT = {("raw_cleanroom__conversions", "unknown_code"): "no code column (order id, user hash, time, value)"}


def _norm(column: str | None) -> set[str]:
    return {c.strip().strip('"').lower() for c in (column or "").split("+")}


def test_every_raw_feed_has_a_contract():
    feeds = {p.stem for p in RAW_DIR.glob("*.csv")}
    assert feeds, "no raw feeds found"
    assert feeds == set(CONTRACTS), f"feeds without a contract: {sorted(feeds - set(CONTRACTS))}"
    for feed, contract in CONTRACTS.items():
        missing = {k for k in CORE_KINDS - set(contract.applicable_kinds()) if (feed, k) not in EXEMPT}
        assert not missing, f"{feed}: contract cannot catch {sorted(missing)}"


def test_every_kind_is_covered_by_some_feed():
    covered = {kind for _, kind in CASES}
    assert covered == set(badinput.KINDS)


def _run_kind(ws, work: Path, kind: str):
    """One build with every feed of ``kind`` corrupted: (outcome, {feed: column}, db)."""
    feeds = [f for f, k in CASES if k == kind]
    db = work / DB_NAME
    shutil.copy(ws.good_db, db)
    originals, columns = {}, {}
    try:
        for feed in feeds:
            csv = ws.project / "seeds" / "raw" / f"{feed}.csv"
            originals[csv] = csv.read_bytes()
            bad, columns[feed] = badinput.corrupt(badinput.read_feed(csv), CONTRACTS[feed], kind)
            badinput.write_feed(bad, csv)
        # the report shows example rows for every failure of the batch (a user's build
        # shows them for the first 12)
        outcome = ws.build(db, ["--select", *[f"{f}+" for f in feeds]], max_failures_with_examples=100)
    finally:
        for csv, data in originals.items():
            csv.write_bytes(data)
    return outcome, columns, db


@pytest.fixture(scope="module")
def kind_build(contract_workspace, tmp_path_factory):
    """The shared build of a kind, run the first time one of its cases asks."""
    done = {}

    def get(kind: str):
        if kind not in done:
            done[kind] = _run_kind(contract_workspace, tmp_path_factory.mktemp(kind), kind)
        return done[kind]
    return get


@pytest.mark.parametrize(("feed", "kind"), CASES, ids=[f"{f}-{k}" for f, k in CASES])
def test_bad_feed_stops_at_its_contract(contract_workspace, kind_build, feed, kind):
    ws = contract_workspace
    outcome, columns, db = kind_build(kind)
    column = columns[feed]

    assert not outcome.success, f"{kind} in {feed}.{column} was not caught"
    caught = [
        f for f in outcome.failures
        if f.feed == feed and f.check in badinput.CATCHING_CHECKS[kind] and _norm(f.column) & _norm(column)
    ]
    assert caught, f"expected {sorted(badinput.CATCHING_CHECKS[kind])} on {feed}.{column}; got:\n{outcome.report()}"
    failure = caught[0]
    assert failure.n_rows and failure.n_rows >= 1
    assert failure.examples, "the report must show example offending rows"
    line = failure.describe()
    assert line.startswith(f"feed {feed}, column ") and f"check {failure.check}" in line and ", e.g. {" in line

    # the stop happened at the feeds: no model downstream of them ran
    ran = [r["unique_id"] for r in outcome.node_results if r["unique_id"].startswith("model.") and r["status"] == "success"]
    assert not ran, f"models ran on bad input: {ran}"
    # and the marts of the last good build are intact
    assert marts_fingerprint(db) == ws.fingerprint
