"""`media-impact <command>`: one entry point for the project's command-line tools.

Each command is the `__main__` of a package module, so `media-impact build` and
`python -m media_impact.pipeline build` are the same thing.
"""
from __future__ import annotations

import runpy
import sys

COMMANDS = {
    "generate": ("media_impact.world", "write a sample world (raw feeds + truth)"),
    "build": ("media_impact.pipeline", "dbt build with clear bad-input messages"),
    "bench": ("media_impact.pipeline.bench", "build benchmark at several scales"),
    "mmm": ("media_impact.mmm", "fit the MMM on your own data from a YAML config"),
    "bench-mmm": ("media_impact.mmm.bench", "MMM accuracy and speed benchmark"),
    "bench-attribution": ("media_impact.attribution.bench", "path building at 10M touchpoints"),
    "bench-forecast": ("media_impact.forecast.bench", "forecast stage vs statsforecast"),
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        print("usage: media-impact <command> [args]\n\ncommands:")
        for name, (_, help_text) in COMMANDS.items():
            print(f"  {name:<{width}}  {help_text}")
        sys.exit(0 if argv and argv[0] in ("-h", "--help") else 2)
    module, _ = COMMANDS[argv[0]]
    sys.argv = [f"media-impact {argv[0]}", *argv[1:]]
    if module == "media_impact.pipeline":
        sys.argv.insert(1, "build")
    runpy.run_module(module, run_name="__main__", alter_sys=True)
