"""The kernel pin (media_impact/numerics.py): every entry point's process, and the
processes it starts, load numpy with the AVX2 kernels, so a build gives the same bits
on an AVX-512 machine as on an AVX2 one."""
from __future__ import annotations

import os
import subprocess
import sys

from media_impact.numerics import pinned_environment

PROBE = ("import {first}, numpy; from media_impact.numerics import numpy_kernels_pinned as p; "
         "import os; print(p(), os.environ.get('OPENBLAS_CORETYPE'))")


def _run(code: str, env: dict) -> str:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.split()


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")}


def test_importing_the_package_first_pins_numpy_and_openblas():
    pinned, core = _run(PROBE.format(first="media_impact"), _clean_env())
    assert pinned == "True"
    assert core == pinned_environment().get("OPENBLAS_CORETYPE", "None")


def test_a_process_started_by_the_package_inherits_the_pin():
    code = ("import media_impact, subprocess, sys; "
            f"subprocess.run([sys.executable, '-c', {PROBE.format(first='numpy')!r}], check=True)")
    pinned, _ = _run(code, _clean_env())
    assert pinned == "True"


def test_the_users_own_setting_wins():
    env = {**_clean_env(), "OPENBLAS_CORETYPE": "Sandybridge"}
    _, core = _run(PROBE.format(first="media_impact"), env)
    assert core == "Sandybridge"


def test_the_test_suite_itself_runs_pinned():
    """conftest imports the package before anything loads numpy, here and in xdist's workers."""
    from media_impact.numerics import numpy_kernels_pinned

    assert numpy_kernels_pinned()
