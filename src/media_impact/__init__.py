"""media_impact: statistics and the sample-world generator for the dbt project."""
from media_impact.numerics import pin_kernels as _pin_kernels

# before numpy loads: the same kernels, hence the same bits, on every x86-64 CPU (numerics.py)
_pin_kernels()
