"""`python -m media_impact.pipeline build [dbt args]` (also `media-impact build`)."""
from __future__ import annotations

import sys

from media_impact.pipeline.build import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
