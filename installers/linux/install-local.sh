#!/usr/bin/env bash
# Installs the unpacked Ultimate Roto bundle (the folder this script is in) for the current user:
#   ~/.local/lib/ultimate-roto/        the bundle
#   ~/.local/bin/ultimate-roto         launcher link (ultimate-roto-cli too, when built)
#   ~/.local/share/applications/       ultimate-roto.desktop (menu entry, file associations)
#   ~/.local/share/mime/packages/      ultimate-roto.xml (*.roto → application/x-ultimate-roto)
#   ~/.local/share/icons/hicolor/      the app icon
#
#   ./install-local.sh                 install (replaces an earlier install)
#   ./install-local.sh --uninstall     remove everything listed above
#   PREFIX=/some/prefix ./install-local.sh   install elsewhere (default: ~/.local)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX="${PREFIX:-$HOME/.local}"
LIB="$PREFIX/lib/ultimate-roto"
BIN="$PREFIX/bin"
SHARE="$PREFIX/share"
DESKTOP="$SHARE/applications/ultimate-roto.desktop"
MIME="$SHARE/mime/packages/ultimate-roto.xml"
ICON_PNG="$SHARE/icons/hicolor/256x256/apps/ultimate-roto.png"
ICON_SVG="$SHARE/icons/hicolor/scalable/apps/ultimate-roto.svg"

refresh() {  # desktop caches; each tool is optional
  command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$SHARE/mime" || true
  command -v update-desktop-database >/dev/null 2>&1 &&
    update-desktop-database -q "$SHARE/applications" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 &&
    gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$LIB"
  rm -f "$BIN/ultimate-roto" "$BIN/ultimate-roto-cli" "$DESKTOP" "$MIME" "$ICON_PNG" "$ICON_SVG"
  refresh
  echo "Ultimate Roto removed from $PREFIX"
  exit 0
fi

if [ ! -x "$HERE/UltimateRoto" ]; then
  echo "error: $HERE/UltimateRoto not found; run this script from the unpacked bundle" >&2
  exit 2
fi

mkdir -p "$BIN" "$(dirname "$DESKTOP")" "$(dirname "$MIME")" "$(dirname "$ICON_PNG")" \
  "$(dirname "$ICON_SVG")" "$PREFIX/lib"
if [ "$HERE" != "$LIB" ]; then
  rm -rf "$LIB.new"
  cp -a "$HERE" "$LIB.new"
  rm -rf "$LIB"
  mv "$LIB.new" "$LIB"
fi
ln -sfn "$LIB/UltimateRoto" "$BIN/ultimate-roto"
[ -x "$LIB/ultimate-roto-cli" ] && ln -sfn "$LIB/ultimate-roto-cli" "$BIN/ultimate-roto-cli"

sed -e "s|^Exec=ultimate-roto |Exec=\"$LIB/UltimateRoto\" |" \
    -e "s|^TryExec=.*|TryExec=$LIB/UltimateRoto|" \
    "$LIB/share/applications/ultimate-roto.desktop" >"$DESKTOP"
cp "$LIB/share/mime/packages/ultimate-roto.xml" "$MIME"
[ -f "$LIB/_internal/icon-256.png" ] && cp "$LIB/_internal/icon-256.png" "$ICON_PNG"
[ -f "$LIB/_internal/resources/icons/app.svg" ] && cp "$LIB/_internal/resources/icons/app.svg" "$ICON_SVG"
refresh

echo "Ultimate Roto installed in $LIB"
echo "  menu entry: $DESKTOP"
case ":$PATH:" in
  *":$BIN:"*) echo "  run: ultimate-roto   (headless: ultimate-roto --batch JOB.json)" ;;
  *) echo "  run: $BIN/ultimate-roto   ($BIN is not on PATH)" ;;
esac
