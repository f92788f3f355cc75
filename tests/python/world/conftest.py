"""Fixtures for the world generator tests: one simulated world and one generated
copy of the committed sample per test session."""
from __future__ import annotations

from pathlib import Path

import pytest

from media_impact.world.feeds import write_world
from media_impact.world.simulate import build_world

REPO_ROOT = Path(__file__).resolve().parents[3]
COMMITTED_SEEDS = REPO_ROOT / "seeds"
SAMPLE_SEED = 20261122


@pytest.fixture(scope="session")
def world():
    return build_world(scale=1, seed=SAMPLE_SEED)


@pytest.fixture(scope="session")
def generated(tmp_path_factory, world) -> Path:
    """The sample world written afresh with the committed CLI defaults."""
    out = tmp_path_factory.mktemp("world_seeds")
    write_world(world, out)
    return out
