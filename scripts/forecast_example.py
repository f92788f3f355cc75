"""Writes examples/forecast/sales.csv and truth.csv (media_impact.forecast.synthetic.example_files).

    .venv/bin/python scripts/forecast_example.py [examples/forecast]
"""
import sys
from pathlib import Path

from media_impact.forecast.synthetic import example_files

out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples/forecast")
out.mkdir(parents=True, exist_ok=True)
sales, truth = example_files()
sales.to_csv(out / "sales.csv", index=False)
truth.to_csv(out / "truth.csv", index=False)
print(f"wrote {len(sales)} rows to {out / 'sales.csv'} and {len(truth)} to {out / 'truth.csv'}")
