#!/usr/bin/env bash
# Create .venv-peers: a separate venv for the optional PyMC-Marketing peer
# (src/media_impact/mmm/peers.py). PyMC-Marketing would move the main venv's
# numpy/pandas/scipy pins, so it never goes into .venv; the main venv only calls
# `.venv-peers/bin/python -m media_impact.mmm.peers` as a subprocess.
#
#   scripts/peers_venv.sh        (what `make peers` runs; idempotent)
#
# Every version is pinned: the top-level packages on the install line, everything
# they pull in through the constraints below (the tested `pip freeze`).
# Not in CI's path: nothing in `make test` / .ci/run needs this venv.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
VENV=".venv-peers"
STAMP="$VENV/.installed"

if [ -f "$STAMP" ] && [ "$STAMP" -nt "$0" ]; then
    echo "$VENV is up to date ($(cat "$STAMP"))"
    exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"

CONSTRAINTS="$(mktemp)"
trap 'rm -f "$CONSTRAINTS"' EXIT
cat > "$CONSTRAINTS" <<'PINS'
annotated-types==0.8.0
arro3-core==0.9.1
arviz==0.23.4
arviz-stats==0.8.0
better_optimize==0.3.2
cachetools==6.2.6
cloudpickle==3.1.3
cons==0.4.7
contourpy==1.3.3
cycler==0.12.1
donfig==0.8.1.post1
etuples==0.3.10
filelock==4.3.1
fonttools==4.68.0
google-crc32c==1.9.0
h5netcdf==1.8.2
h5py==3.16.0
joblib==1.6.0
kiwisolver==1.5.1
llvmlite==0.47.0
logical-unification==0.4.7
markdown-it-py==4.3.0
matplotlib==3.11.2
mdurl==0.1.2
miniKanren==1.0.5
multipledispatch==1.0.0
narwhals==2.29.0
numba==0.65.1
numcodecs==0.16.6
numpy==2.4.6
nutpie==0.16.8
obstore==0.12.1
packaging==26.4
pandas==3.1.1
pillow==13.0.0
platformdirs==4.14.9
preliz==0.24.0
pyarrow==26.0.1
pydantic==2.14.4
pydantic_core==2.50.5
Pygments==2.21.0
pymc==5.28.5
pymc-extras==0.10.0
pymc-marketing==0.19.2
pyparsing==3.3.3
pyprojroot==0.3.0
pytensor==2.38.3
pytensor-distributions==0.1.3
python-dateutil==4.0.0
PyYAML==6.0.4
rich==15.0.0
scikit-learn==1.9.1
scipy==1.17.1
seaborn==0.13.2
threadpoolctl==3.8.0
toolz==1.2.0
tqdm==4.70.1
typing-inspection==0.4.5
typing_extensions==4.16.0
tzdata==2026.6
xarray==2026.9.0
xarray-einstats==0.9.1
zarr==3.1.6
PINS

"$VENV/bin/pip" install --quiet --disable-pip-version-check \
    -c "$CONSTRAINTS" \
    "pymc-marketing==0.19.2" "nutpie==0.16.8" "pyyaml==6.0.4"
# the project itself, without its dependencies (its pins are the main venv's)
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -e .

"$VENV/bin/python" -c "import pymc_marketing, nutpie, media_impact.mmm.peers; print('pymc-marketing', pymc_marketing.__version__, '/ nutpie', nutpie.__version__)" \
    | tee "$STAMP"
