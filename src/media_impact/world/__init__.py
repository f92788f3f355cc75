"""The sample-world generator: a simulated brand selling through retailers, its raw
feeds, and the ground truth they were generated from (see docs/world.md)."""
from .journeys import generate_journeys
from .simulate import World, build_world

__all__ = ["World", "build_world", "generate_journeys"]
