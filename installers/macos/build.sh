#!/usr/bin/env bash
# Builds UltimateRoto.app (PyInstaller BUNDLE, document types from installers/macos/Info.plist)
# and a drag-to-Applications .dmg. Run on macOS (arm64 builds an arm64 app; build on each arch
# you ship — PyInstaller does not cross-compile).
#
#   bash installers/macos/build.sh                 lite (classical engines, no torch)
#   ULTIMATE_ROTO_BUNDLE_ML=1 bash installers/macos/build.sh   with torch/transformers (MPS)
#   CODESIGN_IDENTITY="Developer ID Application: NAME (TEAMID)" bash installers/macos/build.sh
#
# Signing and notarising (needed for Gatekeeper on other Macs) — with CODESIGN_IDENTITY set this
# script signs the .app; then notarise the .dmg:
#   xcrun notarytool submit dist/UltimateRoto-*.dmg --keychain-profile PROFILE --wait
#   xcrun stapler staple dist/UltimateRoto-*.dmg
# Unsigned builds open with right-click → Open (or: xattr -dr com.apple.quarantine UltimateRoto.app).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
log() { printf '\033[1;36m[build]\033[0m %s\n' "$*"; }
if [ "$(uname -s)" != Darwin ]; then
  echo "error: the .app and .dmg are built on macOS (hdiutil, codesign); this is $(uname -s)" >&2
  exit 2
fi

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller installers/ultimate_roto.spec
APP=dist/UltimateRoto.app
"$PY" installers/spec_helpers.py check "$APP/Contents/Frameworks"
plutil -lint "$APP/Contents/Info.plist"
log "smoke test: $("$APP/Contents/MacOS/UltimateRoto" --version)"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  log "signing with $CODESIGN_IDENTITY"
  codesign --force --deep --options runtime --timestamp \
    --entitlements installers/macos/entitlements.plist --sign "$CODESIGN_IDENTITY" "$APP"
  codesign --verify --strict --verbose=2 "$APP"
else
  log "not signed (set CODESIGN_IDENTITY to sign; see the notes at the top of this script)"
fi

VERSION="$("$PY" installers/spec_helpers.py version)"
SUFFIX=""
case "${ULTIMATE_ROTO_BUNDLE_ML:-0}" in 1|true|yes|on) SUFFIX="-ml" ;; esac
DMG="dist/UltimateRoto-$VERSION-macos-$(uname -m)$SUFFIX.dmg"
STAGE="build/dmg"
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Ultimate Roto $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
log "app: $(du -sh "$APP" | cut -f1)  dmg: $(du -h "$DMG" | cut -f1)  ($DMG)"
