"""The same numbers on every x86-64 CPU: pin numpy's and OpenBLAS's kernel choice.

numpy picks its SIMD kernels (exp, log, sums) and OpenBLAS its matrix kernels by the
CPU it starts on, so an AVX-512 machine and an AVX2 machine round differently in the
last bit (and a threaded BLAS splits its sums by the number of cores). Most outputs do
not care, but an MCMC chain amplifies a last-bit difference into a different (equally
valid) set of draws: the MMM's posterior medians moved by
their Monte Carlo error (US CTV ROI 2.59 on one machine, 2.58 on another). Pinning both
to the AVX2 kernels every x86-64 server since 2013 has makes a build bit-identical
across such machines (measured: an AVX-512 machine with the pin reproduces an AVX2
machine's figures exactly; decision in docs/decisions/usage.md).

The variables are read when numpy (and its OpenBLAS) is first imported, so they must be
set before that: `media_impact` sets them on import when numpy is not loaded yet (every
command, the build wrapper, the test suite and the processes they start). A plain
`dbt build` imports numpy before the package: export the variables of
:func:`pinned_environment` (the README lists them) to get the same bits there;
otherwise results are equally valid but may differ from another CPU's by the Monte
Carlo error.
"""
from __future__ import annotations

import os
import platform
import sys

# numpy >= 2.4 names: X86_V4 is the AVX-512 group; the two others are newer AVX-512 sets
NUMPY_DISABLE = "X86_V4 AVX512_ICL AVX512_SPR"
OPENBLAS_CORE = "Haswell"


def _has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return " avx2" in line
    except OSError:
        pass
    return False


def pinned_environment() -> dict[str, str]:
    """The variables that pin the kernels on this machine: one BLAS thread everywhere (a
    threaded BLAS splits a sum by the number of cores, so the last bit would depend on the
    machine's size and on which thread calls it); the AVX2 kernels on x86-64 with AVX2."""
    env = {"OPENBLAS_NUM_THREADS": "1"}
    if platform.machine().lower() in ("x86_64", "amd64") and _has_avx2():
        env.update(NPY_DISABLE_CPU_FEATURES=NUMPY_DISABLE, OPENBLAS_CORETYPE=OPENBLAS_CORE)
    return env


def pin_kernels() -> bool:
    """Set the pinning variables (keeping any the user set) if numpy is not imported yet.
    Returns whether this process's numpy will run pinned."""
    wanted = pinned_environment()
    if "numpy" in sys.modules:
        return bool(wanted) and all(os.environ.get(k) == v for k, v in wanted.items())
    for key, value in wanted.items():
        os.environ.setdefault(key, value)
    return bool(wanted)


def numpy_kernels_pinned() -> bool:
    """Whether the loaded numpy runs without the AVX-512 kernels (True off x86-64 too:
    there is nothing to pin)."""
    if "NPY_DISABLE_CPU_FEATURES" not in pinned_environment():
        return True
    from numpy._core._multiarray_umath import __cpu_features__

    return not any(__cpu_features__.get(name, False) for name in NUMPY_DISABLE.split())
