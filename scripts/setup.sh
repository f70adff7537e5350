#!/usr/bin/env bash
# One-step set-up on Debian/Ubuntu, then run something:
#   bash scripts/setup.sh ground   # install what is missing, start `companion ground`
#   bash scripts/setup.sh test     # install what is missing, run the whole test suite
#   bash scripts/setup.sh          # install only
# Idempotent: a second run installs nothing and starts at once.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="${COMPANION_VENV:-$ROOT/.venv}"
MODE="${1:-install}"
shift || true

# System packages: speech output (espeak-ng), audio I/O (PortAudio, ALSA's
# PulseAudio plugin), speaker adaptation (sphinxtrain's bw and map_adapt,
# sphinx_fe, and pocketsphinx_mdef_convert from Debian's pocketsphinx), and for
# tests: PulseAudio virtual devices, flite, festival and sox to make test
# speech, real recorded English from pocketsphinx-testdata.
RUN_PKGS=(espeak-ng libportaudio2 libasound2-plugins alsa-utils
          sphinxtrain sphinxbase-utils pocketsphinx)
TEST_PKGS=(pulseaudio pulseaudio-utils flite festival festvox-kdlpc16k sox
           pocketsphinx-testdata)
PKGS=("${RUN_PKGS[@]}")
[ "$MODE" = "test" ] && PKGS+=("${TEST_PKGS[@]}")

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "companion set-up: installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "companion set-up: creating a virtual environment in $VENV"
  python3 -m venv "$VENV"
fi
STAMP="$VENV/.companion-installed"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "companion set-up: installing companion and its Python dependencies"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -e ".[test]"
  touch "$STAMP"
fi
# Byte-compile the package (only what changed): an editable install leaves that to
# the first run, and where PYTHONDONTWRITEBYTECODE is set every launch compiled ~50
# modules again (bench, 3 runs each: launch to first audio 0.36-0.38 -> 0.29-0.33 s).
"$VENV/bin/python" -m compileall -q companion

# In a terminal, offer the better recognizer once (asks; a "no" is remembered).
if [ "$MODE" != test ] && [ -t 0 ] && [ -t 1 ]; then
  "$VENV/bin/companion" model offer || true
fi

case "$MODE" in
  ground)
    exec "$VENV/bin/companion" ground "$@"
    ;;
  test)
    "$VENV/bin/ruff" check companion tests scripts
    "$VENV/bin/mypy" companion
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  install)
    echo "companion set-up: done. Start with: $VENV/bin/companion"
    ;;
  *)
    echo "usage: bash scripts/setup.sh [ground|test|install] [args...]" >&2
    exit 2
    ;;
esac
