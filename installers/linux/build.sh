#!/usr/bin/env bash
# Builds the Linux one-folder bundle and its tarball.
#
#   bash installers/linux/build.sh              lite bundle (classical engines, no torch)
#   ULTIMATE_ROTO_BUNDLE_ML=1 bash installers/linux/build.sh    with torch/transformers
#   bash installers/linux/build.sh --package-only   re-package an existing dist/UltimateRoto
#
# Needs: the project venv with the gui+engines extras and `pip install -e ".[packaging]"`
# (PyInstaller 6), plus the model packages tools/setup.sh installs.
# Output: dist/UltimateRoto/ (run ./UltimateRoto; ./install-local.sh puts it in ~/.local)
#         dist/UltimateRoto-<version>-linux-<arch>[-ml].tar.gz
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
HERE=installers/linux
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
log() { printf '\033[1;36m[build]\033[0m %s\n' "$*"; }

if [ "${1:-}" != "--package-only" ]; then
  if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
    echo "error: PyInstaller is not installed for $PY; run: $PY -m pip install -e '.[packaging]'" >&2
    exit 2
  fi
  log "pyinstaller $("$PY" -m PyInstaller --version) (ML: ${ULTIMATE_ROTO_BUNDLE_ML:-0})"
  "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller installers/ultimate_roto.spec
fi

BUNDLE=dist/UltimateRoto
"$PY" installers/spec_helpers.py check "$BUNDLE"
mkdir -p "$BUNDLE/share/applications" "$BUNDLE/share/mime/packages"
cp "$HERE/ultimate-roto.desktop" "$BUNDLE/share/applications/"
cp "$HERE/ultimate-roto-mime.xml" "$BUNDLE/share/mime/packages/ultimate-roto.xml"
install -m 755 "$HERE/install-local.sh" "$BUNDLE/install-local.sh"

log "smoke test: $("$BUNDLE/UltimateRoto" --version)"

VERSION="$("$PY" installers/spec_helpers.py version)"
SUFFIX=""
case "${ULTIMATE_ROTO_BUNDLE_ML:-0}" in 1|true|yes|on) SUFFIX="-ml" ;; esac
TARBALL="dist/UltimateRoto-$VERSION-linux-$(uname -m)$SUFFIX.tar.gz"
tar -C dist -czf "$TARBALL" UltimateRoto
log "bundle: $(du -sh "$BUNDLE" | cut -f1)  tarball: $(du -h "$TARBALL" | cut -f1)  ($TARBALL)"
log "install for this user: tar xzf $(basename "$TARBALL") && ./UltimateRoto/install-local.sh"
